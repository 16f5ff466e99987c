"""How long a subscriber at the tail waits between two poll queries."""

from __future__ import annotations

#: Pause between queries that a brief gap between items stretches toward: a sparse stream
#: then costs a few empty queries per item, and an item waits no longer than it would at
#: the official module's 100 ms cooldown.
BRIEF_GAP_INTERVAL_SECONDS = 0.1
#: Longest pause between tail queries while the stream is quiet.
MAX_IDLE_INTERVAL_SECONDS = 0.5
#: Quiet time after which the pause grows past the brief-gap pace.
QUIET_BEFORE_BACKOFF_SECONDS = 1.0
_GROWTH = 1.5


class TailPace:
    """The pause between tail queries: ``cooldown`` while items flow, longer while none come.

    Every answer with items sets the pause back to the cooldown. An empty answer stretches a
    pause shorter than :data:`BRIEF_GAP_INTERVAL_SECONDS` toward it at once (one empty
    answer between two items is normal); only after :data:`QUIET_BEFORE_BACKOFF_SECONDS` of
    quiet does it grow further, up to :data:`MAX_IDLE_INTERVAL_SECONDS`. A cooldown set
    above those bounds is kept as it is: a subscriber that asked for slow polls never polls
    faster.
    """

    def __init__(self, cooldown: float) -> None:
        """Pace queries at ``cooldown`` seconds while items flow."""
        self._cooldown = cooldown
        self.interval = cooldown

    def items_arrived(self) -> None:
        """An answer carried items: poll at the cooldown again."""
        self.interval = self._cooldown

    def answer_empty(self, quiet_seconds: float) -> None:
        """An answer carried nothing new; the stream has been quiet for ``quiet_seconds``."""
        ceiling = (
            MAX_IDLE_INTERVAL_SECONDS
            if quiet_seconds >= QUIET_BEFORE_BACKOFF_SECONDS
            else BRIEF_GAP_INTERVAL_SECONDS
        )
        if self.interval < ceiling:
            self.interval = min(self.interval * _GROWTH, ceiling)
