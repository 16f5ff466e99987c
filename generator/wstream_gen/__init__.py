"""wstream-gen: generate typed Workflow Streams packages from a topics schema."""

from importlib.metadata import version

#: The installed distribution's version (generated files name it in their header).
__version__ = version("wstream-gen")
