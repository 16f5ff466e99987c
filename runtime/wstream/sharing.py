"""Which shared poller serves a subscription: one per Temporal client, workflow and filter."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHandle

from wstream.shared_poller import (
    DEFAULT_CAPACITY,
    PayloadPassThrough,
    SharedPages,
    SharedPoller,
    SharedStats,
)

PollerKey = tuple[str, tuple[str, ...]]

_PASS_THROUGH = PayloadPassThrough()


def poller_key(workflow_id: str, topics: Sequence[str]) -> PollerKey:
    """Return the key of a shared poller: the workflow id and the topic filter as a sorted set."""
    return workflow_id, tuple(sorted(set(topics)))


@dataclass(frozen=True)
class SharedPollerStatus:
    """What one shared poller is doing, for operators and tests.

    Attributes:
        workflow_id: The workflow it follows.
        topics: Its topic filter, sorted (empty: every topic).
        subscribers: Subscriptions using it, those reading on their own included.
        catching_up: Subscriptions reading older items with their own queries.
        buffered: Items it holds.
        low: The oldest offset it can serve every item of its filter from.
        queries: Poll queries it made (for all its subscribers).
        long_polls: Long-poll updates it made.
    """

    workflow_id: str
    topics: tuple[str, ...]
    subscribers: int
    catching_up: int
    buffered: int
    low: int
    queries: int
    long_polls: int


class _Registry:
    """The shared pollers of one Temporal client, alive while subscriptions use them."""

    def __init__(self) -> None:
        self.pollers: dict[PollerKey, SharedPoller] = {}

    def join(
        self,
        key: PollerKey,
        *,
        latest: Callable[[], WorkflowHandle[Any, Any]],
        run_handle: Callable[[str], WorkflowHandle[Any, Any]],
        start_offset: int,
        poll_cooldown: float,
    ) -> SharedPoller:
        poller = self.pollers.get(key)
        loop = asyncio.get_running_loop()
        if (
            poller is None
            or poller.finished
            or poller.task is None
            or poller.task.get_loop() is not loop  # left over from a closed event loop
        ):
            stats = SharedStats()
            pages = SharedPages(
                latest,
                topics=list(key[1]),
                from_offset=start_offset,
                codec_for_topic=lambda _topic: _PASS_THROUGH,
                poll_cooldown=poll_cooldown,
                stats=stats,
                run_handle=run_handle,
            )
            poller = SharedPoller(pages, stats, capacity=DEFAULT_CAPACITY)
            self.pollers[key] = poller
            poller.start(on_finish=lambda done: self._forget(key, done))
        else:
            # The shortest pause any of its subscribers asked for.
            poller.pages.cooldown = min(poller.pages.cooldown, max(poll_cooldown, 0.001))
        poller.subscribers += 1
        return poller

    def leave(self, poller: SharedPoller) -> None:
        poller.subscribers -= 1
        if poller.subscribers <= 0:
            poller.stop()  # finishes it, which forgets it

    def _forget(self, key: PollerKey, poller: SharedPoller) -> None:
        if self.pollers.get(key) is poller:  # a newer poller may already have taken its place
            del self.pollers[key]


_registries: weakref.WeakKeyDictionary[Client, _Registry] = weakref.WeakKeyDictionary()


def registry(client: Client) -> _Registry:
    """Return the shared pollers of ``client`` (made on first use)."""
    found = _registries.get(client)
    if found is None:
        found = _registries[client] = _Registry()
    return found


def shared_pollers(client: Client) -> list[SharedPollerStatus]:
    """Return the status of every running shared poller of ``client``."""
    found = _registries.get(client)
    if found is None:
        return []
    return [
        SharedPollerStatus(
            workflow_id=key[0],
            topics=key[1],
            subscribers=poller.subscribers,
            catching_up=poller.catching_up,
            buffered=poller.buffered,
            low=poller.low,
            queries=poller.stats.queries,
            long_polls=poller.stats.long_polls,
        )
        for key, poller in found.pollers.items()
    ]
