"""One poller per workflow and topic filter, holding its latest items for every subscriber."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

from temporalio.api.common.v1 import Payload

from wstream.item import WorkflowStreamItem
from wstream.pages import PageReader, PollStats
from wstream.poller import Poller
from wstream.wire import PollResult

logger = logging.getLogger(__name__)

#: Items a shared poller holds, and so how far one subscriber may lag behind the newest item
#: before it leaves the shared feed and reads on its own.
DEFAULT_CAPACITY = 512


class PollerStopped(RuntimeError):
    """The shared poller was stopped while a subscriber still read from it."""


class PayloadPassThrough:
    """The shared poller's codec: keeps each item's payload, decoded per subscriber later."""

    def encode(self, value: Payload) -> Payload:
        """Return ``value`` (never used: the shared poller only reads)."""
        return value

    def decode(self, payload: Payload) -> Payload:
        """Return ``payload`` as it is; each subscriber decodes it with its own codec."""
        return payload


class SharedStats(PollStats):
    """The shared poller's counters, also added to the ``poll_stats`` of its subscribers.

    A query made for everyone is made on behalf of each subscriber's client, so each sees it
    counted as if its subscription had made it (a truncation skip, too, skipped its items).
    """

    def __init__(self) -> None:
        """Start every counter at zero, with no subscriber client to tell yet."""
        #: The ``poll_stats`` of the clients whose subscriptions read from the poller.
        self.mirrors: dict[int, tuple[PollStats, int]] = {}
        super().__init__()

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a counter here and add the increase to every mirror."""
        if name != "mirrors" and hasattr(self, "mirrors"):
            increase = value - getattr(self, name, 0)
            for stats, _ in self.mirrors.values():
                setattr(stats, name, getattr(stats, name) + increase)
        super().__setattr__(name, value)

    def mirror(self, stats: PollStats) -> None:
        """Count into ``stats`` too, until :meth:`unmirror` was called as often."""
        held, count = self.mirrors.get(id(stats), (stats, 0))
        self.mirrors[id(stats)] = (held, count + 1)

    def unmirror(self, stats: PollStats) -> None:
        """Undo one :meth:`mirror` of ``stats``."""
        held, count = self.mirrors.get(id(stats), (stats, 0))
        if count <= 1:
            self.mirrors.pop(id(stats), None)
        else:
            self.mirrors[id(stats)] = (held, count - 1)


class SharedPages(PageReader):
    """The shared poller's page reader, which also tells the poller where it skipped to.

    A subscriber joining at an offset the reader skipped (truncated, or in a deleted run)
    must learn of the skip from its own reading, so the poller serves no offset below it.
    """

    on_skip: Callable[[int], None] = staticmethod(lambda _offset: None)
    #: Each subscriber decodes the poller's items again, and counts them as delivered then.
    counts_delivery = False

    async def query(self) -> PollResult:
        """Return the next page, as :meth:`PageReader.query` does; report a skip it made."""
        before = self.offset
        page = await super().query()
        if self.offset > before:  # query moves the offset only to skip
            self.on_skip(self.offset)
        return page

    def decode(self, page: PollResult) -> list[WorkflowStreamItem[Any]]:
        """Decode as :meth:`PageReader.decode` does; report a skip to the page's base first."""
        if page.base_offset is not None and self.offset < page.base_offset:
            self.on_skip(page.base_offset)
        return super().decode(page)


class Member:
    """One subscriber's place in a shared poller: the sequence number of its next item."""

    __slots__ = ("seq",)

    def __init__(self, seq: int) -> None:
        """Place the subscriber at ``seq``."""
        self.seq = seq


class SharedPoller:
    """Follows one workflow's stream for every subscriber with the same topic filter.

    The poller holds the latest ``capacity`` items it read (payloads, not decoded: each
    subscriber decodes with its own codec). Items get sequence numbers, so an attached
    subscriber steps to its next item in constant time; a subscriber joins by offset
    (:meth:`position`), since a topic filter leaves gaps in the offsets.

    Every item of the filter at or after :attr:`low` is held or still to come; a subscriber
    whose next offset is older reads on its own until it gets there. The poller reads no
    further while even its fastest attached subscriber holds ``capacity`` unread items (so a
    lone subscriber is never left behind), nor while no subscriber is attached; slower
    subscribers are passed, and the oldest items dropped, so none of them holds the others
    back.
    """

    def __init__(self, pages: SharedPages, stats: SharedStats, *, capacity: int) -> None:
        """Prepare to read ``pages`` (made with :class:`PayloadPassThrough`) once started."""
        self.pages = pages
        pages.on_skip = self._skipped
        self.stats = stats
        #: Subscribers using the poller, those reading on their own included.
        self.subscribers = 0
        #: Subscribers currently reading older items on their own.
        self.catching_up = 0
        self._capacity = capacity
        self._items: deque[WorkflowStreamItem[Payload]] = deque()
        self._first_seq = 0
        self._low = pages.offset
        self._attached: set[Member] = set()
        self._fastest = -1  # the highest seq of an attached member; -1 when none is attached
        self._moved = asyncio.Event()
        self._room = asyncio.Event()
        self._wake_scheduled = False
        self._ended = False
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_finish: Callable[[SharedPoller], None] | None = None

    # -- state read by subscribers and the registry ------------------------------------------

    @property
    def low(self) -> int:
        """The oldest offset from which the poller can serve every item of its filter."""
        return self._low

    @property
    def first_seq(self) -> int:
        """Sequence number of the oldest held item."""
        return self._first_seq

    @property
    def next_seq(self) -> int:
        """Sequence number the next item read will get."""
        return self._first_seq + len(self._items)

    @property
    def buffered(self) -> int:
        """How many items the poller holds."""
        return len(self._items)

    @property
    def attached(self) -> int:
        """Subscribers reading from the poller's items (not on their own)."""
        return len(self._attached)

    @property
    def finished(self) -> bool:
        """Whether the poller reads no more: the workflow ended, or it failed or stopped."""
        return self._ended or self._error is not None

    @property
    def ended(self) -> bool:
        """Whether the workflow ended and every item was read."""
        return self._ended

    @property
    def error(self) -> BaseException | None:
        """Why the poller stopped before the workflow ended, if it did."""
        return self._error

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task reading the stream, once started."""
        return self._task

    def position(self, offset: int) -> int | None:
        """Return the sequence number of the first held item at or after ``offset``.

        Returns ``None`` when ``offset`` is older than :attr:`low`. :attr:`next_seq` means
        the subscriber waits for the next item (items older than its offset that the poller
        still has to read are for the subscriber to skip).
        """
        if offset < self._low:
            return None
        return self._first_seq + bisect.bisect_left(self._items, offset, key=_offset_of)

    def _skipped(self, offset: int) -> None:
        # Everything held is older than the skip: a subscriber asking for an offset below it
        # reads on its own, and its own reader tells it (and counts) what was skipped.
        self._low = max(self._low, offset)

    def item(self, seq: int) -> WorkflowStreamItem[Payload]:
        """Return the held item ``seq`` (``first_seq <= seq < next_seq``)."""
        return self._items[seq - self._first_seq]

    # -- subscribers -------------------------------------------------------------------------

    def attach(self, seq: int) -> Member:
        """Start reading the poller's items at ``seq`` (from :meth:`position`)."""
        member = Member(seq)
        self._attached.add(member)
        self._moved_on(member)
        return member

    def detach(self, member: Member) -> None:
        """Stop reading the poller's items (left, or passed by the poller)."""
        self._attached.discard(member)
        if member.seq >= self._fastest:
            self._fastest = max((m.seq for m in self._attached), default=-1)
            self._room.set()  # the poller may have been waiting for this one only

    def advance(self, member: Member) -> None:
        """Count the item at ``member.seq`` as read by ``member``."""
        member.seq += 1
        self._moved_on(member)

    def _moved_on(self, member: Member) -> None:
        if member.seq > self._fastest:
            self._fastest = member.seq
            self._room.set()

    async def wait_past(self, seq: int) -> None:
        """Return once the item ``seq`` is held or the poller has finished."""
        while seq >= self.next_seq and not self.finished:
            # No await between the check and taking the event, and every change sets the
            # current event before replacing it: no wake-up is missed.
            await self._moved.wait()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, on_finish: Callable[[SharedPoller], None]) -> None:
        """Start following the stream; ``on_finish`` is told when it reads no more."""
        if self._task is not None:
            raise RuntimeError("the shared poller is already started")
        self._on_finish = on_finish
        self._task = asyncio.create_task(
            self._follow(), name=f"wstream-shared-poller:{self.pages.handle().id}"
        )

    def stop(self) -> None:
        """Stop reading (the last subscriber left); the task ends at its next await."""
        # Marked here and not only in the task: a task cancelled before it ever ran never
        # reaches its own exception handler.
        self._finish(PollerStopped("the shared poller was stopped"))
        if self._task is not None:
            self._task.cancel()

    async def _follow(self) -> None:
        try:
            # Poller.items() is an async generator; closed here so its long-poll ends with us.
            reader = cast(
                AsyncGenerator[WorkflowStreamItem[Payload], None], Poller(self.pages).items()
            )
            async with contextlib.aclosing(reader) as items:
                async for item in items:
                    while self._fastest < 0 or self.next_seq - self._fastest >= self._capacity:
                        # Read on only for a subscriber with room: past the fastest one's
                        # buffer, every subscriber would have to read on its own; with none
                        # attached (all reading on their own, or suspended) nobody needs it.
                        self._room.clear()
                        await self._room.wait()
                    self._append(item)
            self._finish(None)
        except asyncio.CancelledError:
            self._finish(PollerStopped("the shared poller was stopped"))
            raise
        except Exception as error:
            logger.warning("shared poller of workflow %r failed: %s", self.pages.handle().id, error)
            self._finish(error)

    def _append(self, item: WorkflowStreamItem[Payload]) -> None:
        self._items.append(item)
        if len(self._items) > self._capacity:
            dropped = self._items.popleft()
            self._first_seq += 1
            self._low = max(self._low, dropped.offset + 1)  # never below a skip
        if not self._wake_scheduled:
            # Once per run of items: a page's items are appended without an await between
            # them, so subscribers are woken once per page, not once per item.
            self._wake_scheduled = True
            asyncio.get_running_loop().call_soon(self._wake)

    def _finish(self, error: BaseException | None) -> None:
        if self.finished:
            return
        self._ended = error is None
        self._error = error
        self._wake()
        if self._on_finish is not None:
            self._on_finish(self)

    def _wake(self) -> None:
        self._wake_scheduled = False
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()


def _offset_of(item: WorkflowStreamItem[Any]) -> int:
    return item.offset
