"""Temporal server limits and the stream defaults derived from them."""

from __future__ import annotations

from typing import Final

#: The server rejects a single payload (signal/update argument or result) above this size.
PAYLOAD_REJECT_BYTES: Final = 2 * 1024 * 1024
#: The SDK logs a warning for payloads above this size.
PAYLOAD_WARN_BYTES: Final = 512 * 1024
#: Signals one workflow run accepts before the server refuses more.
SIGNALS_PER_RUN: Final = 10_000
#: Updates one workflow run accepts in total.
UPDATES_PER_RUN: Final = 2_000
#: Updates one workflow run holds in flight at once.
UPDATES_IN_FLIGHT: Final = 10

#: Default byte budget of one publish batch: the whole signal envelope stays under this.
DEFAULT_MAX_BATCH_BYTES: Final = 192 * 1024
#: Default bound on items buffered in one client before ``publish()`` refuses more.
DEFAULT_MAX_BUFFER_ITEMS: Final = 100_000
#: Default bound on bytes buffered in one client before ``publish()`` refuses more.
DEFAULT_MAX_BUFFER_BYTES: Final = 32 * 1024 * 1024
#: A poll answer (query or update result) is paged below this many bytes: under the SDK's
#: 512 KiB payload warning, so answering never fills the worker's log with warnings.
MAX_POLL_RESPONSE_BYTES: Final = 500_000
#: Uncompressed bytes a compressed page (asked by a wstream reader) starts from: a 4 MiB run
#: and what piles up while it continues as new fit in one answer, so in one replay of a
#: closed run, when items compress 16x; items that compress less make smaller pages.
MAX_COMPRESSED_SOURCE_BYTES: Final = 8_000_000
#: zlib level of a live run's pages: the fastest, as a backlog read waits on it.
COMPRESSION_LEVEL: Final = 1
#: The same for a closed run, whose every answer costs the worker a replay of the run: its
#: pages are packed harder, from up to this many bytes. Level 6 packs the benchmark's records
#: into a binary page (:mod:`wstream.raw_pages`) 1.25x as densely as level 1 and 4x faster
#: than level 9, whose last 10% more items per page saved less replay than it cost: a page
#: holds ~46,000 of those records, and a run of 26 MB of history is read in 2 replays.
SEALED_COMPRESSED_SOURCE_BYTES: Final = 12_000_000
SEALED_COMPRESSION_LEVEL: Final = 6
#: ``get_state`` refuses a state larger than this: it must fit in one continue-as-new payload.
MAX_STATE_BYTES: Final = PAYLOAD_REJECT_BYTES - 64 * 1024
#: Log bytes one run writes to its history before the stream asks to continue as new. With
#: Temporal's own suggestion at 4 MB of history and batches of at most 192 KiB, no run's
#: history passes about 8 MB, far below the 50 MB at which Temporal terminates a run.
DEFAULT_MAX_RUN_LOG_BYTES: Final = 4 * 1024 * 1024
#: Temporal's default ``history.continueAsNewMinInterval``: the server starts the first task of
#: a run no sooner than this after the previous run's first task, so everything published
#: meanwhile would pile into that one task. The stream suggests continuing as new for size
#: only once a run is this old, answering publishes in small tasks until then.
DEFAULT_MIN_RUN_SECONDS: Final = 1.0
#: Longest a run that has told wstream publishers it is closing waits for one to answer that
#: it holds (a publisher at full speed looks every 1 MB it sends, ~80 ms here); Temporal
#: fires shorter timers after about a second anyway.
DEFAULT_CLOSING_WAIT_SECONDS: Final = 2.0
#: A run that received less than this per second of its life continues as new at once:
#: wstream publishers look at the run once per MiB they send, so they would answer late,
#: and a closing task rarely meets a signal of so slow a stream.
HAND_OVER_MIN_BYTES_PER_SECOND: Final = 1024 * 1024
#: Newest log bytes the next run carries in its continue-as-new state (the rest stays sealed).
DEFAULT_CARRY_TAIL_BYTES: Final = 256 * 1024
#: Sealed segments the state lists; older ones are found through the oldest listed run.
MAX_SEGMENTS_CARRIED: Final = 128
#: Signals per run after which the stream asks the workflow to continue-as-new.
SIGNALS_BEFORE_CONTINUE_AS_NEW: Final = SIGNALS_PER_RUN * 9 // 10
#: Updates per run after which the stream asks the workflow to continue-as-new.
UPDATES_BEFORE_CONTINUE_AS_NEW: Final = UPDATES_PER_RUN * 9 // 10
#: Poll updates the stream holds in flight before it turns wstream tail pollers to queries.
MAX_WAITING_NOTIFY_POLLS: Final = UPDATES_IN_FLIGHT - 4
