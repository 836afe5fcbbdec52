"""Reading one zip member's bytes ourselves, at most a chunk of output at a time.

Why not `zipfile.ZipFile.open`: its readers for bzip2 (method 12) and LZMA (method 14) call
the decompressor without an output limit, so one small compressed chunk can inflate to
gigabytes before any cap counts a byte (a 901-byte zip grew the process by 2 GB). Here every
method (stored, deflate, bzip2, LZMA) is driven with `max_length`, the CRC is checked at the
end, and every failure is a ParseError naming the member and what is wrong with it.
zipfile still reads the central directory (names, sizes, offsets, methods).
"""
from __future__ import annotations

import bz2
import io
import lzma
import struct
import zipfile
import zlib

from pipeline.errors import ParseError

READ_CHUNK = 64 * 1024          # most output per read
COMPRESSED_CHUNK = 16 * 1024    # compressed bytes per step (the per-stream ratio cap's grain)
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")   # 30 bytes, APPNOTE 4.3.7
_LOCAL_MAGIC = 0x04034B50
_EOCD_MAGIC = b"PK\x05\x06"
_EOCD_SIZE = 22
_METHOD_NAMES = {0: "stored", 8: "deflate", 9: "deflate64", 12: "bzip2", 14: "lzma",
                 93: "zstandard", 95: "xz", 98: "ppmd", 99: "aes-encrypted"}
_CORRUPT = (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError, struct.error)


def central_directory_entries(source: io.IOBase) -> int | None:
    """The entry count the end-of-central-directory record declares (None when there is
    no such record: zipfile then refuses the archive itself). Read before zipfile builds a
    ZipInfo per entry, which for a hostile archive of a million tiny entries is most of a
    gigabyte."""
    try:
        size = source.seek(0, io.SEEK_END)
        start = max(0, size - (_EOCD_SIZE + 0xFFFF))
        source.seek(start)
        tail = source.read(size - start)
        source.seek(0)
    except (OSError, ValueError):
        return None
    at = tail.rfind(_EOCD_MAGIC)
    if at < 0 or at + _EOCD_SIZE > len(tail):
        return None
    entries, directory_size = struct.unpack_from("<H4xI", tail, at + 10)
    if entries == 0xFFFF:   # zip64: the real count is elsewhere; a central entry is >= 46 bytes
        return directory_size // 46 if directory_size != 0xFFFFFFFF else None
    return entries


class _Inflater:
    """One decompressor behind one interface: feed compressed bytes, get at most `limit`
    bytes out, and say whether it wants more input."""

    def __init__(self, method: int, properties: bytes = b""):
        self.method = method
        self._tail = b""
        self._last_full = False
        if method == 8:
            self._zlib = zlib.decompressobj(-15)
        elif method == 12:
            self._other = bz2.BZ2Decompressor()
        elif method == 14:
            filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, properties)]  # noqa: SLF001
            self._other = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)

    @property
    def needs_input(self) -> bool:
        if self.method == 8:
            return not self._tail and not self._last_full
        return self._other.needs_input

    @property
    def eof(self) -> bool:
        return self._zlib.eof if self.method == 8 else self._other.eof

    def inflate(self, data: bytes, limit: int) -> bytes:
        if self.method == 8:
            out = self._zlib.decompress(self._tail + data, limit)
            self._tail = self._zlib.unconsumed_tail
            self._last_full = len(out) >= limit
            return out
        if self._other.eof:
            return b""
        return self._other.decompress(data, limit)


class MemberStream(io.RawIOBase):
    """The inflated bytes of one member, read from `source` (a seekable stream shared with
    the other members: every read seeks first)."""

    def __init__(self, source: io.IOBase, info: zipfile.ZipInfo, what: str,
                 sha256: str | None = None):
        self._source = source
        self._info = info
        self._what = what
        self._sha = sha256
        self._crc = 0
        self._done = False
        self.consumed = 0   # compressed bytes read so far (the ratio cap's denominator)
        if info.flag_bits & 0x1:
            raise self._error("is encrypted")
        method = info.compress_type
        if method not in (0, 8, 12, 14):
            name = _METHOD_NAMES.get(method, "unknown")
            raise self._error(f"uses compression method {method} ({name}), which is not "
                              "supported (stored, deflate, bzip2 and lzma are)")
        self._method = method
        try:
            source.seek(info.header_offset)
            header = source.read(_LOCAL_HEADER.size)
            fields = _LOCAL_HEADER.unpack(header)
        except _CORRUPT as exc:
            raise self._error(f"has no readable local header ({exc})") from exc
        if fields[0] != _LOCAL_MAGIC:
            raise self._error("has no local header where the central directory points")
        self._pos = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
        self._left = info.compress_size
        properties = b""
        if method == 14:   # LZMA in zip: version (2), properties size (2), properties
            head = self._read(4)
            if len(head) < 4:
                raise self._error("is truncated (no LZMA header)")
            properties = self._read(struct.unpack("<2xH", head)[0])
        try:
            self._inflater = _Inflater(method, properties) if method else None
        except _CORRUPT as exc:
            raise self._error(f"has invalid LZMA properties ({exc})") from exc

    def _error(self, what: str) -> ParseError:
        return ParseError(f"{self._what} {what}", raw_sha256=self._sha, parser="dmarc")

    def readable(self) -> bool:
        return True

    def _read(self, n: int) -> bytes:
        n = min(n, self._left)
        if n <= 0:
            return b""
        self._source.seek(self._pos)
        data = self._source.read(n)
        self._pos += len(data)
        self.consumed += len(data)
        self._left = self._left - len(data) if data else 0
        return data

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._done:
            return 0
        limit = min(len(buffer), READ_CHUNK)
        try:
            out = self._next(limit)
        except ParseError:
            raise
        except _CORRUPT as exc:
            raise self._error(f"is corrupt ({type(exc).__name__}: {exc})") from exc
        if not out:
            self._finish()
            return 0
        self._crc = zlib.crc32(out, self._crc)
        buffer[:len(out)] = out
        return len(out)

    def _next(self, limit: int) -> bytes:
        if self._inflater is None:
            return self._read(limit)
        inflater = self._inflater
        while not inflater.eof:
            data = b""
            if inflater.needs_input:
                data = self._read(COMPRESSED_CHUNK)
                if not data:
                    if self._method != 14:   # LZMA in zip may end without an end marker
                        raise self._error("is truncated (its compressed data ends early)")
                    return b""
            out = inflater.inflate(data, limit)
            if out:
                return out
        return b""

    def _finish(self) -> None:
        self._done = True
        if self._crc != self._info.CRC:
            raise self._error(f"is corrupt (CRC-32 {self._crc:08x}, the archive says "
                              f"{self._info.CRC:08x})")
