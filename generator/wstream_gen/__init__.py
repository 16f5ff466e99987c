"""wstream-gen: generate typed Workflow Streams packages from a topics schema."""

__version__ = "0.1.0"
