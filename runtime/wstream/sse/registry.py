"""An app's shared feeds: one per workflow and topic filter, alive while connections use it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client

from wstream.sse.feed import Feed

FeedKey = tuple[str, tuple[str, ...]]


def feed_key(workflow_id: str, topics: Sequence[str]) -> FeedKey:
    """Return the key of a feed: the workflow id and the topic filter as a sorted set."""
    return workflow_id, tuple(sorted(set(topics)))


@dataclass(frozen=True)
class FeedStatus:
    """What one shared feed is doing, for operators and tests.

    Attributes:
        workflow_id: The workflow the feed follows.
        topics: Its topic filter, sorted (empty: every topic).
        connections: Connections reading from it, those catching up included.
        catching_up: Connections still reading their backlog with their own queries.
        buffered: Items it holds.
        low: The oldest offset it can serve every item of its filter from.
        queries: Poll queries its one subscription made.
        long_polls: Long-poll updates its one subscription made.
    """

    workflow_id: str
    topics: tuple[str, ...]
    connections: int
    catching_up: int
    buffered: int
    low: int
    queries: int
    long_polls: int


@dataclass(frozen=True)
class SharingStats:
    """Counters of an app's subscriptions since it started.

    Attributes:
        feeds_started: Shared feeds started (each is one subscription).
        catch_ups: Times a connection read its backlog on its own before joining a feed, or
            fell behind a feed's buffer and read on its own again.
        catch_up_queries: Poll queries those catch-ups made.
        own_subscriptions: Connections served by a subscription of their own because sharing
            is off.
    """

    feeds_started: int = 0
    catch_ups: int = 0
    catch_up_queries: int = 0
    own_subscriptions: int = 0


class FeedRegistry:
    """The shared feeds of one endpoint (and so of one app), keyed by workflow and filter.

    A feed starts with its first connection and stops when its last connection leaves, or
    by itself when the workflow has ended (connections still reading it keep it until they
    have sent its last item). Read it through :meth:`feeds` and :attr:`stats`; get an app's
    registry with :func:`wstream.sse.feed_registry`.
    """

    def __init__(self, client: Client, *, capacity: int, poll_cooldown: timedelta) -> None:
        """Share subscriptions made with ``client``; each feed holds ``capacity`` items."""
        self._client = client
        self._capacity = capacity
        self._poll_cooldown = poll_cooldown
        self._feeds: dict[FeedKey, Feed] = {}
        self._stats = SharingStats()

    @property
    def stats(self) -> SharingStats:
        """Counters of the subscriptions made so far."""
        return self._stats

    def feeds(self) -> list[FeedStatus]:
        """Return the status of every running feed."""
        return [
            FeedStatus(
                workflow_id=feed.workflow_id,
                topics=feed.topics,
                connections=feed.connections,
                catching_up=feed.catching_up,
                buffered=feed.buffered,
                low=feed.low,
                queries=feed.poll_stats.queries,
                long_polls=feed.poll_stats.long_polls,
            )
            for feed in self._feeds.values()
        ]

    def running_low(self, workflow_id: str, topics: Sequence[str]) -> int | None:
        """Return :attr:`Feed.low` of the feed reading this workflow and filter, if one is.

        A reading feed shows that the workflow exists and hosts a stream; its ``low`` is a
        safe start for a new feed, as it is never past the stream's end.
        """
        feed = self._feeds.get(feed_key(workflow_id, topics))
        return None if feed is None or feed.finished else feed.low

    def join(self, workflow_id: str, topics: Sequence[str], start_offset: int) -> Feed:
        """Return the feed for this workflow and filter, starting it at ``start_offset`` if new.

        Every call must be matched by one :meth:`leave`.
        """
        key = feed_key(workflow_id, topics)
        feed = self._feeds.get(key)
        if feed is None or feed.finished:
            feed = Feed(
                self._client,
                workflow_id,
                key[1],
                start_offset=start_offset,
                capacity=self._capacity,
                poll_cooldown=self._poll_cooldown,
            )
            self._feeds[key] = feed
            feed.start(on_finish=self._forget)
            self._count(feeds_started=1)
        feed.connections += 1
        return feed

    def leave(self, feed: Feed) -> None:
        """Drop one connection of ``feed``; the last one stops it."""
        feed.connections -= 1
        if feed.connections <= 0:
            feed.stop()  # finishes it, which forgets it

    def count_catch_up(self, queries: int) -> None:
        """Count one catch-up of a connection and the queries it made."""
        self._count(catch_ups=1, catch_up_queries=queries)

    def count_own_subscription(self) -> None:
        """Count one connection served without sharing."""
        self._count(own_subscriptions=1)

    def _count(
        self,
        *,
        feeds_started: int = 0,
        catch_ups: int = 0,
        catch_up_queries: int = 0,
        own_subscriptions: int = 0,
    ) -> None:
        now = self._stats
        self._stats = SharingStats(
            feeds_started=now.feeds_started + feeds_started,
            catch_ups=now.catch_ups + catch_ups,
            catch_up_queries=now.catch_up_queries + catch_up_queries,
            own_subscriptions=now.own_subscriptions + own_subscriptions,
        )

    def _forget(self, feed: Feed) -> None:
        key = feed_key(feed.workflow_id, feed.topics)
        if self._feeds.get(key) is feed:  # a newer feed may already have taken its place
            del self._feeds[key]
