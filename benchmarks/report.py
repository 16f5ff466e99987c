"""Medians, ratios against the targets, the printed table and the JSON file."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure of both implementations and its target."""

    key: str
    label: str
    unit: str
    #: Ratio wstream/official must be ``<=`` (``"le"``) or ``>=`` (``"ge"``) ``bound``.
    op: str | None = None
    bound: float | None = None
    #: Compare wstream's figure with this key of the official results instead of ``key``.
    official_key: str | None = None
    #: Absolute target on wstream's figure (``"lt"`` ``bound``), when there is no baseline.
    absolute: bool = False


ROWS = [
    Row("burst_items_per_s", "1. burst publish", "items/s"),
    Row(
        "burst_items_per_s",
        "1. burst vs official paced",
        "items/s",
        "ge",
        3.0,
        official_key="paced_items_per_s",
    ),
    Row("paced_items_per_s", "2. paced publish (flush/500)", "items/s"),
    Row("backlog_items_per_s", "3. backlog read (defaults)", "items/s", "ge", 2.0),
    Row("backlog_tuned_items_per_s", "3. backlog read, poll_cooldown=0 both", "items/s", "ge", 3.0),
    # Defaults differ (wstream 20 ms, official 100 ms): no target; rows 4b and 4c compare alike.
    Row("live_p50_ms", "4. live latency p50 (defaults)", "ms"),
    Row("live_p99_ms", "4. live latency p99 (defaults)", "ms"),
    Row("live_hist_events_per_item", "4. live history events/item", "events", "le", 1.0),
    Row("live_hist_bytes_per_item", "4. live history bytes/item", "B"),
    Row("live_fast_p50_ms", "4b. live p50, poll_cooldown=20 ms both", "ms", "le", 1.0),
    Row("live_fast_p99_ms", "4b. live p99, poll_cooldown=20 ms both", "ms", "le", 1.0),
    Row("live_fast_hist_bytes_per_item", "4b. live history bytes/item, 20 ms", "B", "le", 1.0),
    Row("live_fast_hist_events_per_item", "4b. live history events/item, 20 ms", "events"),
    Row("live_slow_p50_ms", "4c. live p50, poll_cooldown=100 ms both", "ms", "le", 1.0),
    Row("live_slow_p99_ms", "4c. live p99, poll_cooldown=100 ms both", "ms", "le", 1.0),
    Row("live_slow_hist_bytes_per_item", "4c. live history bytes/item, 100 ms", "B", "le", 1.0),
    Row("hist_publish_bytes_per_item", "5. history after publish", "B/item"),
    Row("hist_1reader_bytes_per_item", "5. history, 1 backlog reader", "B/item", "le", 0.5),
    Row("hist_1reader_events_per_item", "5. events, 1 backlog reader", "ev/item"),
    Row("hist_3reader_bytes_per_item", "5. history, 3 backlog readers", "B/item", "le", 0.25),
    Row("hist_3reader_events_per_item", "5. events, 3 backlog readers", "ev/item"),
    Row("fanout_all_received", "6. fan-out: all received", "ok"),
    Row("fanout_hist_bytes_per_item", "6. fan-out history bytes/item", "B", "le", 0.1),
    Row("fanout_hist_events_per_item", "6. fan-out history events/item", "events"),
    Row("fanout_updates", "6. fan-out updates spent", "updates", "le", 0.1),
    Row("fanout_p50_ms", "6. fan-out latency p50", "ms", "le", 1.5),
    Row("fanout_p99_ms", "6. fan-out latency p99", "ms"),
    Row("fanout_large_subscribers", "6b. fan-out, many: subscribers", "subs"),
    Row("fanout_large_all_received", "6b. fan-out, many: all received", "ok"),
    Row("fanout_large_complete_subscribers", "6b. fan-out, many: complete", "subs"),
    Row("fanout_large_hist_bytes_per_item", "6b. fan-out, many: history bytes/item", "B"),
    Row("fanout_large_updates", "6b. fan-out, many: updates spent", "updates"),
    Row("fanout_large_p50_ms", "6b. fan-out, many: latency p50", "ms"),
    Row("fanout_large_p99_ms", "6b. fan-out, many: latency p99", "ms", "lt", 1000.0, absolute=True),
    Row("long_items_per_s", "9. long stream: sustained publish", "items/s"),
    Row("long_runs", "9. long stream: runs", "runs"),
    Row("long_max_run_history_mb", "9. long stream: largest run history", "MB"),
    Row("long_total_history_mb", "9. long stream: total history", "MB"),
    Row("long_holds", "9. long stream: publisher holds (RunWatch)", "holds"),
    Row("long_held_seconds", "9. long stream: time held", "s"),
    Row("long_signal_p99_ms", "9. long stream: publish signal p99", "ms"),
    Row("long_signal_max_ms", "9. long stream: publish signal max", "ms"),
    Row("long_readback_items_per_s", "9. long stream: read back from 0", "items/s"),
    Row("long_lost", "9. long stream: lost", "items"),
    Row("long_duplicated", "9. long stream: duplicated", "items"),
    Row("limit_signal_items_per_s", "10. transport: signal ceiling", "items/s"),
    Row("limit_query_items_per_s", "10. transport: query ceiling", "items/s"),
    Row("limit_rtt_p50_ms", "10. transport: signal→waiting update p50", "ms"),
    Row("limit_rtt_p99_ms", "10. transport: signal→waiting update p99", "ms"),
    Row("obs_off_burst_items_per_s", "11. burst, observability off", "items/s"),
    Row("obs_on_burst_items_per_s", "11. burst, metrics + tracing (10% sampled)", "items/s"),
    Row("obs_all_burst_items_per_s", "11. burst, metrics + tracing (all sampled)", "items/s"),
    Row("obs_stamped_burst_items_per_s", "11. burst, all sampled + time stamps", "items/s"),
    Row("obs_off_p50_ms", "11. live p50, observability off", "ms"),
    Row("obs_off_p99_ms", "11. live p99, observability off", "ms"),
    Row("obs_on_p50_ms", "11. live p50, metrics + tracing (10% sampled)", "ms"),
    Row("obs_on_p99_ms", "11. live p99, metrics + tracing (10% sampled)", "ms"),
    Row("obs_all_p50_ms", "11. live p50, metrics + tracing (all sampled)", "ms"),
    Row("obs_all_p99_ms", "11. live p99, metrics + tracing (all sampled)", "ms"),
    Row("obs_stamped_p50_ms", "11. live p50, all sampled + time stamps", "ms"),
    Row("obs_stamped_p99_ms", "11. live p99, all sampled + time stamps", "ms"),
    Row("obs_off_hist_bytes_per_item", "11. live history/item, observability off", "B"),
    Row(
        "obs_on_hist_bytes_per_item", "11. live history/item, metrics + tracing (10% sampled)", "B"
    ),
    Row(
        "obs_all_hist_bytes_per_item", "11. live history/item, metrics + tracing (all sampled)", "B"
    ),
    Row("obs_stamped_hist_bytes_per_item", "11. live history/item, all sampled + time stamps", "B"),
    Row("encode_us", "7. typed encode", "µs/item"),
    Row("decode_us", "7. typed decode", "µs/item", "le", 0.5),
    Row("generator_seconds", "8. wstream-gen, 200 topics", "s", "lt", 10.0, absolute=True),
]


def median(values: list[Any]) -> Any:
    """Median of the numeric values; the first failure text when none is numeric."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers:
        return statistics.median(numbers)
    texts = [v for v in values if isinstance(v, str)]
    return texts[0] if texts else None


def failures(values: list[Any]) -> int:
    return sum(isinstance(v, str) for v in values)


def summarize(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """One summary entry per table row: medians, ratio, target and whether it is met."""
    collected: dict[str, dict[str, list[Any]]] = {}
    for by_impl in runs.values():
        for impl, reps in by_impl.items():
            for rep in reps:
                for key, value in rep.items():
                    collected.setdefault(key, {}).setdefault(impl, []).append(value)
    summary = []
    for row in ROWS:
        ours_values = collected.get(row.key, {}).get("wstream", [])
        theirs_values = collected.get(row.official_key or row.key, {}).get("official", [])
        ours, theirs = median(ours_values), median(theirs_values)
        entry: dict[str, Any] = {
            "metric": row.label,
            "key": row.key,
            "unit": row.unit,
            "wstream": ours,
            "official": None if row.absolute else theirs,
            "wstream_failed_runs": failures(ours_values),
            "official_failed_runs": failures(theirs_values),
        }
        numeric = isinstance(ours, int | float) and isinstance(theirs, int | float)
        ratio = ours / theirs if numeric and theirs else None
        entry["ratio"] = ratio
        if row.op is not None:
            entry["target"] = (
                f"< {row.bound:g} {row.unit}"
                if row.absolute
                else f"ratio {_sym(row.op)} {row.bound:g}"
            )
            if row.absolute:
                met = isinstance(ours, int | float) and ours < (row.bound or 0)
            elif isinstance(ours, int | float) and isinstance(theirs, str):
                met = True  # the baseline failed where wstream worked
            elif ratio is None:
                met = False
            else:
                met = ratio >= row.bound if row.op == "ge" else ratio <= row.bound
            entry["met"] = met
        summary.append(entry)
    return summary


#: wstream's long stream against its own single-run figures: (label, figure, baseline, unit,
#: op, bound), the ratio figure/baseline to be ``op`` the bound.
SINGLE_RUN = [
    (
        "9. sustained vs single-run burst",
        "long_items_per_s",
        "burst_items_per_s",
        "items/s",
        "ge",
        0.8,
    ),
    (
        "9. read back vs in-run backlog",
        "long_readback_items_per_s",
        "backlog_items_per_s",
        "items/s",
        "ge",
        0.5,
    ),
]
#: wstream against what the transport itself allows (scenario 10), same shape.
TRANSPORT = [
    (
        "1. burst vs signal ceiling",
        "burst_items_per_s",
        "limit_signal_items_per_s",
        "items/s",
        "ge",
        0.6,
    ),
    (
        "3. backlog vs query ceiling",
        "backlog_tuned_items_per_s",
        "limit_query_items_per_s",
        "items/s",
        "ge",
        0.5,
    ),
    ("4. live p50 vs round trip p50", "live_p50_ms", "limit_rtt_p50_ms", "ms", "le", 2.0),
    ("4. live p99 vs round trip p99", "live_p99_ms", "limit_rtt_p99_ms", "ms", "le", 3.0),
    (
        "4c. live p50 (100 ms) vs round trip",
        "live_slow_p50_ms",
        "limit_rtt_p50_ms",
        "ms",
        "le",
        2.0,
    ),
    (
        "4c. live p99 (100 ms) vs round trip",
        "live_slow_p99_ms",
        "limit_rtt_p99_ms",
        "ms",
        "le",
        3.0,
    ),
]


#: wstream with metrics and tracing on against off (scenario 11), same shape.
OBSERVABILITY = [
    (
        "11. burst, 10% sampled vs off",
        "obs_on_burst_items_per_s",
        "obs_off_burst_items_per_s",
        "items/s",
        "ge",
        0.95,
    ),
    ("11. live p50, 10% sampled vs off", "obs_on_p50_ms", "obs_off_p50_ms", "ms", "le", 1.05),
    ("11. live p99, 10% sampled vs off", "obs_on_p99_ms", "obs_off_p99_ms", "ms", "le", 1.05),
    (
        "11. burst, all sampled vs off",
        "obs_all_burst_items_per_s",
        "obs_off_burst_items_per_s",
        "items/s",
        "ge",
        0.95,
    ),
    ("11. live p50, all sampled vs off", "obs_all_p50_ms", "obs_off_p50_ms", "ms", "le", 1.05),
    ("11. live p99, all sampled vs off", "obs_all_p99_ms", "obs_off_p99_ms", "ms", "le", 1.05),
    (
        "11. burst, + time stamps vs off",
        "obs_stamped_burst_items_per_s",
        "obs_off_burst_items_per_s",
        "items/s",
        "ge",
        0.95,
    ),
    (
        "11. live p50, + time stamps vs off",
        "obs_stamped_p50_ms",
        "obs_off_p50_ms",
        "ms",
        "le",
        1.05,
    ),
    (
        "11. live p99, + time stamps vs off",
        "obs_stamped_p99_ms",
        "obs_off_p99_ms",
        "ms",
        "le",
        1.05,
    ),
]


def against(
    summary: list[dict[str, Any]], comparisons: list[tuple[str, str, str, str, str, float]]
) -> list[dict[str, Any]]:
    """wstream's figures as ratios to other figures of its own in the same run."""
    ours = {entry["key"]: entry["wstream"] for entry in summary}
    entries = []
    for label, key, baseline_key, unit, op, bound in comparisons:
        value, baseline = ours.get(key), ours.get(baseline_key)
        numeric = isinstance(value, int | float) and isinstance(baseline, int | float)
        ratio = value / baseline if numeric and baseline else None
        met = ratio is not None and (ratio >= bound if op == "ge" else ratio <= bound)
        entries.append(
            {
                "metric": label,
                "key": key,
                "unit": unit,
                "wstream": value,
                "official": baseline,
                "wstream_failed_runs": 0,
                "official_failed_runs": 0,
                "ratio": ratio,
                "target": f"ratio {_sym(op)} {bound:g}",
                "met": met,
            }
        )
    return entries


def _sym(op: str) -> str:
    return {"ge": "≥", "le": "≤", "lt": "<"}[op]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value if len(value) <= 44 else value[:41] + "..."
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(
    summary: list[dict[str, Any]], *, markdown: bool = False, baseline: str = "official"
) -> str:
    """The summary as a text (or Markdown) table; ``baseline`` names the compared column."""
    ratio = "ratio w/o" if baseline == "official" else "ratio"
    header = ["scenario", "unit", "wstream", baseline, ratio, "target", "met"]
    lines = []
    for entry in summary:
        ours = _fmt(entry["wstream"])
        theirs = _fmt(entry["official"])
        if entry["official_failed_runs"] and isinstance(entry["official"], int | float):
            theirs += f" ({entry['official_failed_runs']} failed)"
        if entry["wstream_failed_runs"] and isinstance(entry["wstream"], int | float):
            ours += f" ({entry['wstream_failed_runs']} failed)"
        met = "-" if "met" not in entry else ("yes" if entry["met"] else "NO")
        lines.append(
            [
                entry["metric"],
                entry["unit"],
                ours,
                theirs,
                "-" if entry["ratio"] is None else f"{entry['ratio']:.2f}",
                entry.get("target", ""),
                met,
            ]
        )
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "/") for cell in line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt.format(*header), rule, *(fmt.format(*line) for line in lines)])


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=False, default=str) + "\n")
