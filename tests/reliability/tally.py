"""Counting what was published and what every subscriber received, for the fault tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

from temporalio.client import Client

from tests.runtime.stream_workflows import Event
from wstream import WorkflowStreamClient, WorkflowStreamItem

#: One line per fault test, printed in the terminal summary.
FIGURES: list[str] = []


class Reader:
    """Follows one subscription in the background, keeping every item it yields."""

    def __init__(self, name: str, items: AsyncIterator[WorkflowStreamItem[Event]]) -> None:
        """Start reading ``items`` at once."""
        self.name = name
        self.items: list[WorkflowStreamItem[Event]] = []
        self._task = asyncio.create_task(self._run(items), name=f"reader-{name}")

    async def _run(self, items: AsyncIterator[WorkflowStreamItem[Event]]) -> None:
        async for item in items:
            self.items.append(item)

    async def wait_for_offset(self, end_offset: int, timeout: float) -> None:
        """Wait until the item at ``end_offset - 1`` was read (or the subscription failed)."""

        async def reached() -> None:
            while not (self.items and self.items[-1].offset >= end_offset - 1):
                if self._task.done():
                    self._task.result()  # raises what ended the subscription early
                    raise AssertionError(
                        f"subscription {self.name} ended at {len(self.items)} items, "
                        f"before offset {end_offset - 1}"
                    )
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reached(), timeout)

    async def wait_for_count(self, count: int, timeout: float) -> None:
        """Wait until ``count`` items were read (or the subscription failed)."""

        async def reached() -> None:
            while len(self.items) < count:
                if self._task.done():
                    self._task.result()
                    raise AssertionError(f"subscription {self.name} ended early")
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reached(), timeout)

    async def stop(self) -> None:
        """Stop following the stream."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@dataclass
class Counts:
    """What one subscriber got compared with what was published."""

    subscriber: str
    received: int
    lost: int
    duplicated: int
    out_of_order: int


@dataclass
class Tally:
    """Items published per publisher and items received per subscriber."""

    fault: str
    published: dict[str, list[int]] = field(default_factory=dict)

    def record_published(self, publisher: str, numbers: Iterable[int]) -> None:
        """Record items a publisher had acknowledged (``Event(name=publisher, n=...)``)."""
        self.published.setdefault(publisher, []).extend(numbers)

    @property
    def total_published(self) -> int:
        """Items published by every publisher together."""
        return sum(len(v) for v in self.published.values())

    def count(self, reader: Reader) -> Counts:
        """Compare one subscriber's items with what was published."""
        expected = {(p, n) for p, ns in self.published.items() for n in ns}
        got = [(item.data.name, item.data.n) for item in reader.items]
        seen = Counter(got)
        offsets = [item.offset for item in reader.items]
        out_of_order = sum(1 for a, b in itertools.pairwise(offsets) if b <= a)
        last: dict[str, int] = {}
        for publisher, n in got:
            if n <= last.get(publisher, -1):
                out_of_order += 1
            last[publisher] = n
        return Counts(
            subscriber=reader.name,
            received=len(got),
            lost=len(expected - set(seen)),
            duplicated=sum(c - 1 for c in seen.values()) + len(set(seen) - expected),
            out_of_order=out_of_order,
        )

    def check(self, readers: Iterable[Reader], extra: str = "") -> list[Counts]:
        """Record the figures and assert nothing lost, duplicated or reordered."""
        counts = [self.count(reader) for reader in readers]
        received = "/".join(str(c.received) for c in counts)
        lost = sum(c.lost for c in counts)
        duplicated = sum(c.duplicated for c in counts)
        FIGURES.append(
            f"{self.fault}: published {self.total_published} by {len(self.published)} "
            f"publishers; received {received} by {len(counts)} subscribers; lost {lost}; "
            f"duplicated {duplicated}" + (f"; {extra}" if extra else "")
        )
        for c in counts:
            assert (c.lost, c.duplicated, c.out_of_order) == (0, 0, 0), c
            assert c.received == self.total_published, c
        return counts


async def publish_paced(
    stream: WorkflowStreamClient, tag: str, count: int, *, every: int = 20, pause: float = 0.002
) -> list[int]:
    """Publish ``Event(name=tag, n=0..count-1)`` in small bursts, then flush; return the ``n``."""
    events = stream.topic("events", type=Event)
    for n in range(count):
        await events.publish_wait(Event(name=tag, n=n))
        if n % every == every - 1:
            await asyncio.sleep(pause)
    await stream.flush()
    return list(range(count))


def check_exact(
    fault: str, reader: Reader, expected: list[WorkflowStreamItem[Event]], extra: str = ""
) -> Counts:
    """Assert ``reader`` got exactly ``expected``, each once and in order; record the figures.

    For a subscriber that may, as documented, miss some items (truncation skipped them):
    ``expected`` lists the items it should have seen, taken from a subscriber that saw all.
    """
    want = [(item.offset, item.data.name, item.data.n) for item in expected]
    got = [(item.offset, item.data.name, item.data.n) for item in reader.items]
    seen = Counter(got)
    counts = Counts(
        subscriber=reader.name,
        received=len(got),
        lost=len(set(want) - set(seen)),
        duplicated=sum(c - 1 for c in seen.values()) + len(set(seen) - set(want)),
        out_of_order=sum(1 for a, b in itertools.pairwise(got) if b[0] <= a[0]),
    )
    FIGURES.append(
        f"{fault}: {reader.name} received {counts.received} of {len(want)} expected; "
        f"lost {counts.lost}; duplicated {counts.duplicated}" + (f"; {extra}" if extra else "")
    )
    assert (counts.lost, counts.duplicated, counts.out_of_order) == (0, 0, 0), counts
    assert got == want, counts
    return counts


def subscriber(client: Client, workflow_id: str, name: str) -> Reader:
    """A subscriber with a stream client of its own, following the events topic from 0."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    return Reader(name, stream.topic("events", type=Event).subscribe())


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Wait until ``condition()`` holds, checking every 10 ms."""

    async def reached() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(reached(), timeout)
