"""Write generated files all at once, or compare them with what is on disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def changed_files(files: Mapping[Path, str]) -> list[Path]:
    """Return the files whose content on disk differs from ``files`` (or that are missing).

    Args:
        files: Wanted content by path.

    Returns:
        The paths that a write would change, sorted.
    """
    changed = []
    for path, text in files.items():
        try:
            current = path.read_bytes()
        except OSError:
            changed.append(path)
            continue
        if current != text.encode("utf-8"):
            changed.append(path)
    return sorted(changed)


def write_all(files: Mapping[Path, str]) -> list[Path]:
    """Write every file, or none: all contents are staged first, then moved into place.

    Each file is written to a temporary file in its target directory and renamed over the
    target only once every temporary file exists; a failure while staging removes the
    temporary files and leaves the targets untouched. Unchanged files are not rewritten.

    Args:
        files: Content by path.

    Returns:
        The paths that were written (changed ones only), sorted.

    Raises:
        OSError: A file could not be staged; nothing was written.
    """
    changed = changed_files(files)
    staged: list[tuple[Path, Path]] = []
    created_dirs: list[Path] = []
    try:
        for path in changed:
            created_dirs.extend(_make_parents(path.parent))
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((Path(name), path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(files[path].encode("utf-8"))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            shutil.rmtree(directory, ignore_errors=True)
        raise
    for temporary, path in staged:
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    return changed


def _make_parents(directory: Path) -> list[Path]:
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))
