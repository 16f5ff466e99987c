"""Typed Workflow Streams for Temporal: the runtime."""
