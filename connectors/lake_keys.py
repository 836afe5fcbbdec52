"""Which keys a lake table already holds, remembered across calls in one process.

`LakeWriter.land` asks, for every batch, which of its keys are landed already. Answering by
reading the key column of every file (DuckDB over the whole table) makes a long-running poller
(`bouncepipe imap`: one small batch after another) slower with every batch it lands: the cost
of a batch grows with the lake. The index here reads each file's key column once and keeps the
keys in a set; a later call reads only the files that appeared since.

It stays right when other processes write the same lake: each call lists the table's files
and compares each one's (inode, size, mtime) with what was read. A new file is read and added; a file
that changed or vanished (a replay overwriting its stem, a compaction) drops the whole index,
which is then rebuilt from the files as they are. Past `MAX_KEYS` keys in one table the index
is dropped and the caller asks DuckDB as before (memory stays bounded: a 64-character key
costs ~120 bytes in a set).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pyarrow.parquet as pq

MAX_KEYS = 500_000   # ~60 MB per table at most: a long-running service stays small


class _TableIndex:
    def __init__(self) -> None:
        self.files: dict[str, tuple[int, int, int]] = {}   # path -> (inode, size, mtime_ns) read
        self.keys: set[str] = set()
        # Past MAX_KEYS: no keys kept, only the files that made it too big. New files only add
        # keys, so it stays too big until one of those is rewritten or removed.
        self.too_big = False


_indexes: dict[tuple[str, str], _TableIndex] = {}
_lock = threading.Lock()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns   # an atomic rewrite is a new inode


def landed_among(table_dir: Path, table: str, key: str, files: list[Path],
                 candidates: list[str]) -> set[str] | None:
    """Which `candidates` the table's `files` (all of them, as just listed) hold, or None when
    the table is too big to index (the caller asks DuckDB instead)."""
    seen = {str(f): sig for f in files if (sig := _signature(f)) is not None}
    name = (str(table_dir.resolve()), table)
    with _lock:
        index = _indexes.get(name)
        if index is not None and any(seen.get(path) != sig for path, sig in index.files.items()):
            index = None   # a file was rewritten or removed: its old keys may be gone
        if index is None:
            index = _indexes[name] = _TableIndex()
        if index.too_big:
            return None   # not read again on every call only to overflow again
        for path, sig in seen.items():
            if path in index.files:
                continue
            try:
                column = pq.ParquetFile(path).read(columns=[key]).column(0)
            except FileNotFoundError:
                continue   # removed since it was listed: the next call rebuilds
            index.keys.update(k for k in column.to_pylist() if k is not None)
            index.files[path] = sig
            if len(index.keys) > MAX_KEYS:
                index.keys = set()
                index.too_big = True
                return None
        return {k for k in candidates if k in index.keys}


def forget() -> None:
    """Drop every index (the next call reads the files again)."""
    with _lock:
        _indexes.clear()
