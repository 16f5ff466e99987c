"""``wstream tail``: follow a live workflow stream from the terminal."""

from wstream.tail.command import add_tail_parser, run_tail
from wstream.tail.errors import TailError

__all__ = ["TailError", "add_tail_parser", "run_tail"]
