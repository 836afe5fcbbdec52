"""Bounded unwrapping of report containers: gzip and zip, streamed, never trusted.

Every cap comes from `settings.limits` and each violation raises `LimitExceeded` with a
reason (the caller turns it into a dead letter). Decompression is streamed: a gzip bomb is
stopped at the cap, never inflated in memory.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pipeline.errors import LimitExceeded, ParseError
from pipeline.settings import Limits

from . import zipmember

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_EMPTY_MAGIC = b"PK\x05\x06"
CHUNK = 64 * 1024
# Compressed bytes read per step: small, so the per-stream ratio cap (add_stream) sees a
# bomb's ratio after ~1 MiB of output rather than after 50 x 64 KiB.
COMPRESSED_CHUNK = 16 * 1024
# The compression-ratio cap only applies past this much output: a 2 KiB gzip of a small
# report can legitimately inflate 300x; a bomb cannot stay under it.
RATIO_FLOOR_BYTES = 1024 * 1024


@dataclass
class Budget:
    """Caps for one raw input, with the compressed size the ratio is measured against.

    `produced` counts inflated bytes across every layer and member of the input.
    """

    limits: Limits
    compressed_size: int
    sha256: str | None = None
    produced: int = 0

    def add(self, n: int, what: str) -> None:
        self.produced += n
        produced = self.produced
        lim = self.limits
        if produced > lim.max_decompressed_bytes:
            raise LimitExceeded(
                f"{what} inflates past {lim.max_decompressed_bytes} bytes "
                "(limits.max_decompressed_bytes)", raw_sha256=self.sha256, parser="dmarc")
        if produced > RATIO_FLOOR_BYTES and produced > lim.max_compression_ratio * max(
                self.compressed_size, 1):
            raise LimitExceeded(
                f"{what} inflates more than {lim.max_compression_ratio}x its "
                f"{self.compressed_size} compressed bytes (limits.max_compression_ratio)",
                raw_sha256=self.sha256, parser="dmarc")


    def add_stream(self, produced: int, consumed: int, what: str) -> None:
        """The ratio cap on one stream so far (its output over the compressed bytes it has
        read): a bomb of many highly compressible members is refused after its first MiB
        instead of after `ratio x` the whole input (a 266 KB gzip of identical records took
        0.7 s of XML parsing to reach the whole-input cap)."""
        lim = self.limits
        if produced > RATIO_FLOOR_BYTES and produced > lim.max_compression_ratio * max(
                consumed, 1):
            raise LimitExceeded(
                f"{what} inflates more than {lim.max_compression_ratio}x the {consumed} "
                "compressed bytes read so far (limits.max_compression_ratio)",
                raw_sha256=self.sha256, parser="dmarc")


class GzipStream(io.RawIOBase):
    """A readable stream that inflates gzip (multi-member too) under a Budget."""

    def __init__(self, source: io.BufferedIOBase | io.RawIOBase, budget: Budget,
                 what: str = "gzip data"):
        self._src = source
        self._budget = budget
        self._what = what
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._pending = b""      # compressed bytes not yet fed
        self._out = b""          # inflated bytes not yet returned
        self._eof = False
        self.produced = 0
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        while not self._out and not self._eof:
            if not self._pending:
                self._pending = self._src.read(COMPRESSED_CHUNK) or b""
                self.consumed += len(self._pending)
                if not self._pending:
                    if not self._inflater.eof and self.produced == 0:
                        raise ParseError(f"{self._what} is truncated or not gzip",
                                         raw_sha256=self._budget.sha256, parser="dmarc")
                    self._eof = True
                    return
            try:
                out = self._inflater.decompress(self._pending, CHUNK)
            except zlib.error as exc:
                raise ParseError(f"{self._what} is not valid gzip: {exc}",
                                 raw_sha256=self._budget.sha256, parser="dmarc") from exc
            self._pending = self._inflater.unconsumed_tail
            if self._inflater.eof:  # next member of a multi-member gzip, or trailing junk
                # At the end of a member, what follows it is in unused_data (unconsumed_tail
                # may repeat part of it), plus whatever the source still holds.
                rest = self._inflater.unused_data
                if len(rest) < 2:
                    more = self._src.read(CHUNK) or b""
                    self.consumed += len(more)
                    rest += more
                self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                # Trailing bytes that are not another gzip member are ignored, as gzip(1) does.
                self._pending = rest if rest.startswith(GZIP_MAGIC) else b""
                if rest and not self._pending:
                    self._src = io.BytesIO(b"")
            self.produced += len(out)
            self._budget.add(len(out), self._what)
            self._budget.add_stream(self.produced, self.consumed, self._what)
            self._out = out

    def readinto(self, buffer) -> int:  # type: ignore[override]
        self._fill()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


class CappedStream(io.RawIOBase):
    """Counts what a zip member stream yields and enforces the Budget."""

    def __init__(self, source, budget: Budget, what: str):
        self._src = source
        self._budget = budget
        self._what = what
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._src.read(min(len(buffer), CHUNK))
        self.produced += len(data)
        self._budget.add(len(data), self._what)
        consumed = getattr(self._src, "consumed", None)
        if consumed is not None:
            self._budget.add_stream(self.produced, consumed, self._what)
        buffer[: len(data)] = data
        return len(data)


def read_capped(stream: io.RawIOBase | io.BufferedIOBase, cap: int, what: str,
                sha256: str | None = None) -> bytes:
    """Read a whole (small) stream, refusing more than `cap` bytes."""
    chunks, total = [], 0
    while True:
        data = stream.read(CHUNK)
        if not data:
            return b"".join(chunks)
        total += len(data)
        if total > cap:
            raise LimitExceeded(f"{what} is larger than {cap} bytes", raw_sha256=sha256,
                                parser="dmarc")
        chunks.append(data)


@dataclass
class Member:
    name: str
    open: Callable[[], io.BufferedReader]   # a fresh stream of the inflated bytes, capped


def open_gzip(source, budget: Budget, what: str = "gzip data") -> io.BufferedReader:
    """Inflate `source` (bytes or a binary stream) lazily under the budget."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    return io.BufferedReader(GzipStream(source, budget, what), CHUNK)


def zip_members(source, budget: Budget) -> Iterator[Member]:
    """Every file member of a zip archive (parsedmarc reads only the first), capped.

    `source` is bytes or a seekable binary stream. The member count is read from the
    end-of-central-directory record before zipfile builds one ZipInfo per entry."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    sha = budget.sha256
    declared_entries = zipmember.central_directory_entries(source)
    if declared_entries is not None and declared_entries > budget.limits.max_zip_members:
        raise LimitExceeded(
            f"zip archive has {declared_entries} members, over the "
            f"{budget.limits.max_zip_members} member cap (limits.max_zip_members)",
            raw_sha256=sha, parser="dmarc")
    try:
        archive = zipfile.ZipFile(source)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
            OSError, EOFError, struct.error, KeyError, IndexError, OverflowError) as exc:
        raise ParseError(f"not a readable zip archive: {type(exc).__name__}: {exc}",
                         raw_sha256=sha, parser="dmarc") from exc
    if len(infos) > budget.limits.max_zip_members:
        raise LimitExceeded(
            f"zip archive has {len(infos)} members, over the {budget.limits.max_zip_members} "
            "member cap (limits.max_zip_members)", raw_sha256=sha, parser="dmarc")
    declared = sum(i.file_size for i in infos)
    if declared > budget.limits.max_decompressed_bytes:
        raise LimitExceeded(
            f"zip archive declares {declared} inflated bytes, over "
            f"{budget.limits.max_decompressed_bytes} (limits.max_decompressed_bytes)",
            raw_sha256=sha, parser="dmarc")
    for info in infos:
        if info.filename.endswith("/"):   # is_dir() raises IndexError on an empty name
            continue
        yield Member(info.filename, _member_opener(source, info, budget))


def _member_opener(source, info: zipfile.ZipInfo, budget: Budget):
    """Members are inflated here, never by zipfile: its bzip2 and LZMA readers inflate a
    whole compressed chunk at once (a 901-byte bzip2 member grew the process by 2 GB before
    any cap saw a byte); `zipmember.MemberStream` asks every method for at most CHUNK bytes
    at a time, so the Budget stops a bomb after one chunk."""
    what = f"zip member {info.filename!r}"

    def open_member() -> io.BufferedReader:
        stream = zipmember.MemberStream(source, info, what, budget.sha256)
        return io.BufferedReader(CappedStream(stream, budget, what), CHUNK)

    return open_member
