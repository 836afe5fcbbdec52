"""Crash-safe file replacement, shared by the lake writer, ingest's staged chunks and the spool.

Kept free of heavy imports (no pyarrow) so push sources that only spool bytes stay light.
"""
from __future__ import annotations

import os
from pathlib import Path


def durable_replace(tmp: Path, path: Path) -> None:
    """Make a written temp file durable, then rename it into place (fsync the file, rename,
    fsync the directory): after this returns, `path` survives a crash whole or not at all."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must survive a crash
    finally:
        os.close(dir_fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or all of `data`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    durable_replace(tmp, path)
