"""What "observability on" means in the benchmarks: a metrics exporter and a tracer provider."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace import NoOpTracerProvider
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def metered_runtime() -> Runtime:
    """A Temporal runtime exporting its metrics, wstream's among them, to Prometheus."""
    address = f"127.0.0.1:{_free_port()}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


class _Discard(SpanExporter):
    """Takes finished spans and drops them: the cost of recording, without a collector."""

    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


#: The share of traces the ratio sampler keeps (a common production setting).
SAMPLED_RATIO = 0.1


class SwitchableTracing(TracerProvider):
    """The global tracer provider, switched between off (no-op) and two samplers.

    OpenTelemetry takes one global provider per process; this one hands out the tracers of
    whichever is switched on (``mode``: ``None`` for off, ``"ratio"`` for
    :data:`SAMPLED_RATIO` of traces, ``"always"`` for every trace), so one process measures
    them all. Both recording providers export to one exporter that drops what it gets.
    """

    def __init__(self) -> None:
        super().__init__()
        self.exporter = _Discard()
        self._off = NoOpTracerProvider()
        self._recording: dict[str, TracerProvider] = {
            "ratio": TracerProvider(sampler=ParentBased(TraceIdRatioBased(SAMPLED_RATIO))),
            "always": TracerProvider(sampler=ALWAYS_ON),
        }
        for provider in self._recording.values():
            provider.add_span_processor(BatchSpanProcessor(self.exporter))
        self.mode: str | None = None

    def get_tracer(self, *args: object, **kwargs: object) -> trace.Tracer:
        """A tracer of the provider switched on, a no-op one while off."""
        if self.mode is None:
            return self._off.get_tracer(*args, **kwargs)  # type: ignore[arg-type]
        return self._recording[self.mode].get_tracer(*args, **kwargs)  # type: ignore[arg-type]


_SWITCH: SwitchableTracing | None = None


def tracing_switch() -> SwitchableTracing:
    """The process's switchable provider, installed as the global one on first use."""
    global _SWITCH
    if _SWITCH is None:
        _SWITCH = SwitchableTracing()
        trace.set_tracer_provider(_SWITCH)
    return _SWITCH
