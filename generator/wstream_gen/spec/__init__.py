"""The typed intermediate model between a loaded schema file and the generated code."""

from wstream_gen.spec.build import build_spec
from wstream_gen.spec.stream import StreamSpec
from wstream_gen.spec.topic import TopicSpec

__all__ = ["StreamSpec", "TopicSpec", "build_spec"]
