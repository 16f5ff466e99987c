"""Stream metrics on Temporal's own metric meter, so they reach the exporter users already run.

Every instrument is created once per meter and namespace. Per-item work never makes a call
into the meter: items are tallied in Python and added once per batch, page or topic.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import (
    MetricCounter,
    MetricGauge,
    MetricHistogramTimedelta,
    MetricMeter,
)
from temporalio.runtime import Runtime

#: Every metric's name starts with this, as Temporal's own start with ``temporal_``.
PREFIX = "wstream_"


@dataclass(frozen=True)
class StreamMetrics:
    """The instruments one Temporal client's streams record on, labelled with its namespace.

    Counters and histograms carry ``namespace`` (and ``topic`` where an item has one); gauges
    carry ``namespace`` and ``workflow_id``, since a gauge holds one value per label set.
    """

    published_items: MetricCounter
    published_bytes: MetricCounter
    publish_batches: MetricCounter
    publish_retries: MetricCounter
    dropped_items: MetricCounter
    buffer_full: MetricCounter
    buffered_items: MetricGauge
    buffered_bytes: MetricGauge
    flush_latency: MetricHistogramTimedelta
    received_items: MetricCounter
    poll_queries: MetricCounter
    poll_updates: MetricCounter
    skipped_items: MetricCounter
    subscriber_lag: MetricGauge
    delivery_latency: MetricHistogramTimedelta

    def count_topics(self, counter: MetricCounter, topics: Iterable[str]) -> None:
        """Add one to ``counter`` per topic occurrence, in one call per distinct topic."""
        for topic, count in Counter(topics).items():
            counter.add(count, {"topic": topic})


def _counter(meter: MetricMeter, name: str, unit: str, description: str) -> MetricCounter:
    return meter.create_counter(PREFIX + name, description, unit)


def _gauge(meter: MetricMeter, name: str, unit: str, description: str) -> MetricGauge:
    return meter.create_gauge(PREFIX + name, description, unit)


def _latency(meter: MetricMeter, name: str, description: str) -> MetricHistogramTimedelta:
    # Recorded as a duration, so it follows the runtime's choice of milliseconds or seconds
    # like Temporal's own latencies.
    return meter.create_histogram_timedelta(PREFIX + name, description, "duration")


@functools.lru_cache(maxsize=32)
def _instruments(meter: MetricMeter, namespace: str) -> StreamMetrics:
    labelled = meter.with_additional_attributes({"namespace": namespace})
    return StreamMetrics(
        published_items=_counter(
            labelled, "published_items", "{item}", "Items acknowledged by the server"
        ),
        published_bytes=_counter(
            labelled, "published_bytes", "By", "Encoded bytes of the acknowledged items"
        ),
        publish_batches=_counter(
            labelled, "publish_batches", "{batch}", "Publish signals acknowledged"
        ),
        publish_retries=_counter(
            labelled, "publish_retries", "{attempt}", "Publish signal attempts sent again"
        ),
        dropped_items=_counter(
            labelled, "dropped_items", "{item}", "Items dropped after max_retry_duration"
        ),
        buffer_full=_counter(
            labelled, "buffer_full", "{error}", "publish() calls refused with BufferFullError"
        ),
        buffered_items=_gauge(
            labelled, "buffered_items", "{item}", "Items published and not yet acknowledged"
        ),
        buffered_bytes=_gauge(
            labelled, "buffered_bytes", "By", "Bytes published and not yet acknowledged"
        ),
        flush_latency=_latency(
            labelled, "flush_latency", "From a batch's first send attempt to its acknowledgement"
        ),
        received_items=_counter(
            labelled, "received_items", "{item}", "Items delivered to subscribers"
        ),
        poll_queries=_counter(labelled, "poll_queries", "{query}", "Poll queries sent"),
        poll_updates=_counter(labelled, "poll_updates", "{update}", "Long-poll updates sent"),
        skipped_items=_counter(
            labelled, "skipped_items", "{item}", "Items skipped: truncated or retention-deleted"
        ),
        subscriber_lag=_gauge(
            labelled, "subscriber_lag", "{item}", "Stream end offset minus next offset to deliver"
        ),
        delivery_latency=_latency(
            labelled, "delivery_latency", "From publish() to delivery, for time-stamped items"
        ),
    )


@dataclass(frozen=True)
class WorkflowStreamMetrics:
    """The workflow side's instruments, on the workflow's replay-safe meter.

    That meter records nothing while a workflow task replays, and labels every value with
    the namespace, task queue and workflow type.
    """

    appended_items: MetricCounter
    duplicate_batches: MetricCounter
    malformed_signals: MetricCounter

    @classmethod
    def on(cls, meter: MetricMeter) -> WorkflowStreamMetrics:
        """Create the instruments on ``meter`` (``workflow.metric_meter()``)."""
        return cls(
            appended_items=_counter(
                meter, "workflow_appended_items", "{item}", "Items appended to the log"
            ),
            duplicate_batches=_counter(
                meter, "workflow_duplicate_batches", "{batch}", "Publish batches dropped as seen"
            ),
            malformed_signals=_counter(
                meter, "workflow_malformed_signals", "{signal}", "Publish signals not readable"
            ),
        )


def runtime_of(client: Client | None) -> Runtime:
    """The Temporal runtime a client was connected with (the default one without a client)."""
    if client is None:
        return Runtime.default()
    return client.service_client.config.runtime or Runtime.default()


def stream_metrics(client: Client | None) -> StreamMetrics:
    """The instruments for streams used through ``client``, on its runtime's metric meter.

    With no metrics configured on that runtime, the meter does nothing and neither do these.
    """
    namespace = client.namespace if client is not None else "default"
    return _instruments(runtime_of(client).metric_meter, namespace)


def client_of(handle: Any) -> Client | None:
    """The client a workflow handle was made by, when it keeps one."""
    client = getattr(handle, "_client", None)
    return client if isinstance(client, Client) else None


def since(started: float) -> timedelta:
    """Time passed since the ``time.monotonic()`` reading ``started``."""
    return timedelta(seconds=time.monotonic() - started)
