"""wstream-gen: generate typed Workflow Streams packages from a topics schema."""
