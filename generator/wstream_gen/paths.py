"""How schema paths are shown in headers and messages."""

from __future__ import annotations

import os
from pathlib import PurePath


def shown_path(given: str) -> str:
    """Normalise a schema path for headers and messages: relative when under the cwd, ``/``.

    Args:
        given: The path as the user wrote it.

    Returns:
        The normalised path.
    """
    path = os.path.normpath(given)
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:
            return PurePath(path).as_posix()
        if path.startswith(".."):
            path = os.path.normpath(given)
    return PurePath(path).as_posix()
