"""Atomic file writes: a temp file in the target folder, then ``os.replace``.

An interrupted run never leaves a half-written file: either the old file or the new
one is in place.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@cache
def _file_mode() -> int:
    """Mode of a new file under the process umask (``mkstemp`` would give 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` through ``write(fileobj)`` into a temp file, then rename it.

    The file gets the permissions an ordinary new file would (0644 under umask 022).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV (no index, full float precision) atomically."""
    return write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def write_json(path: Path, data: Any) -> Path:
    """Write JSON (indented, UTF-8) atomically."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_figure(path: Path, figure: Figure, **savefig_kwargs: Any) -> Path:
    """Save a matplotlib figure atomically; the format follows the file suffix."""
    fmt = path.suffix.lstrip(".") or "png"
    return write_atomic(path, lambda f: figure.savefig(f, format=fmt, **savefig_kwargs))
