"""Breaking-change detection between two versions of a topics schema (``wstream-gen diff``)."""

from wstream_gen.compat.report import Finding, Impact, ordered, summary
from wstream_gen.compat.stream import compare_streams
from wstream_gen.compat.versions import Versions

__all__ = ["Finding", "Impact", "Versions", "compare_streams", "ordered", "summary"]
