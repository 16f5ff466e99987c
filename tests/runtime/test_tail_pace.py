"""The pause between tail queries: fast while items flow, slower while answers come back empty."""

from __future__ import annotations

import pytest

from wstream.tail_pace import (
    BRIEF_GAP_INTERVAL_SECONDS,
    MAX_IDLE_INTERVAL_SECONDS,
    QUIET_BEFORE_BACKOFF_SECONDS,
    TailPace,
)


def test_starts_at_the_cooldown() -> None:
    assert TailPace(0.02).interval == 0.02


def test_empty_answers_stretch_a_short_pause_to_the_brief_gap_pace_and_no_further() -> None:
    pace = TailPace(0.02)
    seen = []
    for _ in range(20):
        pace.answer_empty(quiet_seconds=0.2)
        seen.append(pace.interval)
    assert seen[0] > 0.02
    assert seen == sorted(seen)
    assert seen[-1] == BRIEF_GAP_INTERVAL_SECONDS


def test_a_quiet_stream_backs_off_to_the_idle_pace() -> None:
    pace = TailPace(0.02)
    for _ in range(30):
        pace.answer_empty(quiet_seconds=QUIET_BEFORE_BACKOFF_SECONDS)
    assert pace.interval == MAX_IDLE_INTERVAL_SECONDS


def test_items_bring_the_pause_back_to_the_cooldown() -> None:
    pace = TailPace(0.02)
    for _ in range(30):
        pace.answer_empty(quiet_seconds=5.0)
    pace.items_arrived()
    assert pace.interval == 0.02


@pytest.mark.parametrize("cooldown", [0.1, 0.3, 2.0])
def test_a_slow_cooldown_is_never_shortened(cooldown: float) -> None:
    pace = TailPace(cooldown)
    pace.answer_empty(quiet_seconds=0.0)
    assert pace.interval >= cooldown
    for _ in range(30):
        pace.answer_empty(quiet_seconds=5.0)
        assert pace.interval >= cooldown
    pace.items_arrived()
    assert pace.interval == cooldown
