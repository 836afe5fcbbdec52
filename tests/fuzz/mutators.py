"""Mutators for fuzzing the core: each takes (a seeded random.Random, a seed input) and
returns hostile or broken bytes. Shared by the short Hypothesis run in the test suite
(tests/fuzz/test_fuzz_short.py) and the long run (bench/fuzz.py).

Seeds are the public corpus (../shared/corpus or $BOUNCEPIPE_CORPUS, when present) and
tests/fixtures. Generators that need no seed (bombs, deep nests) ignore it. Bombs are
built once per process (functools.cache) and small on disk: what they inflate to is the
attack, never what they cost to build.
"""
from __future__ import annotations

import bz2
import copy
import functools
import gzip
import io
import os
import random
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
MAX_SEED_BYTES = 2 * 1024 * 1024

Mutator = Callable[[random.Random, bytes], bytes]


def corpus_root() -> Path | None:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    root = Path(env) if env else REPO.parent / "shared" / "corpus"
    return root if root.is_dir() else None


@functools.cache
def seeds() -> tuple[bytes, ...]:
    """Every seed input, in a stable order (sorted paths)."""
    roots = [REPO / "tests" / "fixtures"]
    corpus = corpus_root()
    if corpus is not None:
        roots.append(corpus)
    found: list[bytes] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix.lower() in (".md", ".txt", ".py", ".pl"):
                continue
            if path.name in ("labels.jsonl", "manifest.json", "expected.jsonl") \
                    or "licenses" in path.parts or path.stat().st_size > MAX_SEED_BYTES:
                continue
            found.append(path.read_bytes())
    return tuple(found)


# -- byte and line level ---------------------------------------------------------------
def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def duplicate_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(1, 20))
    return b"".join(lines[:j] + lines[i:j] * rng.choice((1, 2, 50, 500)) + lines[j:])


def remove_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    return b"".join(lines[:i] + lines[i + rng.randint(1, 10):])


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    chunk = lines[i:i + rng.randint(2, 30)]
    rng.shuffle(chunk)
    return b"".join(lines[:i] + chunk + lines[i + len(chunk):])


_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.I)


def swap_boundaries(rng: random.Random, data: bytes) -> bytes:
    """Boundary lines removed, swapped between levels, closed early, or never closed."""
    names = _BOUNDARY.findall(data)
    if not names:
        return remove_lines(rng, data)
    a = rng.choice(names)
    choice = rng.randrange(4)
    if choice == 0 and len(set(names)) > 1:
        b = rng.choice([n for n in names if n != a])
        return data.replace(b"--" + a, b"--\0TMP").replace(b"--" + b, b"--" + a) \
            .replace(b"--\0TMP", b"--" + b)
    if choice == 1:
        return data.replace(b"--" + a + b"--", b"")
    if choice == 2:
        return data.replace(b"--" + a, b"--" + a + b"--", 1)
    return data.replace(b"--" + a + b"\n", b"", rng.randint(1, 3))


_INJECTED = [
    b"Content-Type: multipart/mixed; boundary=\"zz\"",
    b"Content-Type: message/rfc822",
    b"Content-Type: message/delivery-status",
    b"Content-Type: text/plain; charset=idna",
    b"Content-Type: text/plain; charset=punycode",
    b"Content-Type: text/plain; charset=\"utf-8\x00\"",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Transfer-Encoding: x-uuencode",
    b"From: Mail Deliver System <x@x.example>",
    b"Subject: Returned Mail: failed",
    b"X-Failed-Recipients: a@example.com, b@example.com",
    b"Date: Mon, 1 Jan 99999 00:00:00 +9999",
    b"Date: =?utf-8?b?/w==?=",
    b"Subject: =?idna?q?xn--a?=",
    b"Feedback-Type: auth-failure",
    b"Arrival-Date: \xff\xfe 2020",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\x00",
]


def inject_header(rng: random.Random, data: bytes) -> bytes:
    header = rng.choice(_INJECTED)
    lines = _lines(data)
    at = rng.randrange(min(len(lines), 30) + 1)
    return b"".join(lines[:at] + [header + b"\n"] + lines[at:])


def huge_header(rng: random.Random, data: bytes) -> bytes:
    size = rng.choice((64 * 1024, 256 * 1024, 1024 * 1024))
    kind = rng.randrange(4)
    if kind == 0:
        value = b"w" * size
    elif kind == 1:
        value = b" ".join([b"word"] * (size // 5))
    elif kind == 2:
        value = b", ".join(b"u%d@example.com" % i for i in range(size // 16))
    else:
        value = b"\n ".join([b"folded"] * (size // 8))
    name = rng.choice((b"X-Junk", b"Subject", b"X-Failed-Recipients", b"Received", b"To"))
    return name + b": " + value + b"\n" + data


def insert_nul(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


_CHARSETS = [b"idna", b"punycode", b"utf-7", b"utf-16", b"x-unknown", b"utf-8\x00",
             b"rot13", b"zlib", b"base64", b"hex", b"cp65001", b"unicode-escape",
             b"raw-unicode-escape", b"iso-2022-jp-ext", b"", b"\xff\xfe"]


def bad_charset(rng: random.Random, data: bytes) -> bytes:
    charset = rng.choice(_CHARSETS)
    if b"charset=" in data.lower():
        return re.sub(rb'(?i)charset="?[^";\s]*"?', b'charset="' + charset + b'"', data)
    return b"Content-Type: text/plain; charset=\"" + charset + b"\"\n" + data


def bad_transfer_encoding(rng: random.Random, data: bytes) -> bytes:
    cte = rng.choice((b"base64", b"quoted-printable", b"x-uuencode", b"7bit\x00", b"binary",
                      b"\xff"))
    if b"content-transfer-encoding:" in data.lower():
        data = re.sub(rb"(?i)content-transfer-encoding:[^\r\n]*",
                      b"Content-Transfer-Encoding: " + cte, data)
    else:
        data = b"Content-Transfer-Encoding: " + cte + b"\n" + data
    return flip_bytes(rng, data) if rng.random() < 0.5 else data


def newlines(rng: random.Random, data: bytes) -> bytes:
    plain = data.replace(b"\r\n", b"\n")
    return plain.replace(b"\n", rng.choice((b"\r", b"\r\n", b"\n\r", b"\r\r\n")))


# -- structure -----------------------------------------------------------------------
def deep_mime(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((50, 200, 1000, 2000))
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
                    for i in range(depth))
    return b"From: a@example.com\nSubject: deep\n" + head + b"\nleaf\n"


def deep_rfc822(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((50, 200, 1000, 2000))
    return (b"From: MAILER-DAEMON@example.com\nContent-Type: message/rfc822\n\n" * depth
            + (data[:4096] or b"Subject: x\n\nbody\n"))


def many_parts(rng: random.Random, data: bytes) -> bytes:
    count = rng.choice((600, 5000, 50000))
    part = b"--p\nContent-Type: text/plain\n\nx\n"
    return (b"From: a@example.com\nContent-Type: multipart/mixed; boundary=p\n\n"
            + part * count + b"--p--\n")


def many_delivery_blocks(rng: random.Random, data: bytes) -> bytes:
    count = rng.choice((600, 5000, 40000))
    nl = rng.choice((b"\n", b"\r", b"\r\n"))
    head = (b"From: MAILER-DAEMON@mx.example|Subject: Undelivered Mail Returned to Sender|"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=B||--B|"
            b"Content-Type: message/delivery-status||Reporting-MTA: dns; mx.example||")
    block = b"Final-Recipient: rfc822; u@example.com|Action: failed|Status: 5.1.1||"
    return (head + block * count + b"--B--|").replace(b"|", nl)


def xml_nest(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((100, 1000, 10000, 100000))
    return (b'<?xml version="1.0"?><feedback><report_metadata>' + b"<a>" * depth
            + b"</a>" * depth + b"</report_metadata></feedback>")


def json_nest(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((100, 1000, 10000))
    opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
    inner = opener * depth + b"1" + closer * depth
    return rng.choice((inner, b'[{"event":"bounce","email":"a@x.example","x":' + inner + b"}]",
                       b'{"organization-name":"o","policies":' + inner + b"}"))


_ENTITY_ATTACKS = [
    b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><feedback>&c;'
    b"</feedback>",
    b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>",
    b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x">'
    b"%p;]><feedback/>",
    b'<!DOCTYPE feedback SYSTEM "file:///etc/passwd"><feedback/>',
    b'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY y "z">]><feedback/>',
    b'<feedback xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"'
    b' parse="text"/></feedback>',
]


def entity_attack(rng: random.Random, data: bytes) -> bytes:
    attack = rng.choice(_ENTITY_ATTACKS)
    wrap = rng.randrange(3)
    if wrap == 1:
        return gzip.compress(attack)
    if wrap == 2:
        return _zip({"r.xml": attack}, zipfile.ZIP_DEFLATED)
    return attack


_WRONG_TYPES = [None, 0, -1, 1e308, True, "", "x" * 300, "a@b", [], ["a"], [1, [2]], {},
                {"a": 1}, "2020-01-01T00:00:00Z"]


def wrong_json_types(rng: random.Random, data: bytes) -> bytes:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = {"organization-name": "o", "policies": [{"policy": {}, "summary": {}}]}
    paths: list[tuple] = []

    def walk(node, path):
        if len(paths) > 2000:
            return
        if isinstance(node, dict):
            for key, child in node.items():
                paths.append((*path, key))
                walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node[:20]):
                paths.append((*path, index))
                walk(child, (*path, index))

    walk(value, ())
    for _ in range(rng.randint(1, 3)):
        if not paths:
            break
        path = rng.choice(paths)
        node = value
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = copy.deepcopy(rng.choice(_WRONG_TYPES))  # never shared
        except (KeyError, IndexError, TypeError):
            continue
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


# -- containers and bombs ------------------------------------------------------------
def _zip(members: dict[str, bytes], method: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buf.getvalue()


def corrupt_gzip(rng: random.Random, data: bytes) -> bytes:
    packed = gzip.compress(data[:50_000])
    return rng.choice((flip_bytes, truncate, duplicate_lines))(rng, packed)


def corrupt_zip(rng: random.Random, data: bytes) -> bytes:
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                         zipfile.ZIP_LZMA))
    packed = _zip({"report.xml": data[:20_000]}, method)
    return rng.choice((flip_bytes, truncate))(rng, packed)


_REPORT_HEAD = (b'<?xml version="1.0"?><feedback><report_metadata><org_name>x</org_name>'
                b"<email>r@x.example</email><report_id>f-1</report_id><date_range><begin>"
                b"1600000000</begin><end>1600086399</end></date_range></report_metadata>"
                b"<policy_published><domain>example.com</domain><p>none</p></policy_published>")
_RECORD = (b"<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated>"
           b"<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>"
           b"</policy_evaluated></row><identifiers><header_from>example.com</header_from>"
           b"</identifiers><auth_results/></record>")


def _lie_about_sizes(packed: bytes) -> bytes:
    """Every central-directory entry claims 1,000 inflated bytes."""
    out = bytearray(packed)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", out, at + 24, 1000)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


@functools.cache
def _packed(method: int, mib_count: int = 256) -> bytes:
    """A zip of one member that inflates to `mib_count` MiB of whitespace after an XML
    prolog (8 MiB stored: stored cannot be small). Compressed once per process."""
    mib = b" " * (1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        with archive.open("report.xml", "w") as member:
            member.write(b'<?xml version="1.0"?><feedback>')
            for _ in range(min(8, mib_count) if method == zipfile.ZIP_STORED else mib_count):
                member.write(mib)
    return buf.getvalue()


@functools.cache
def bomb(kind: str, method: int = zipfile.ZIP_DEFLATED, lying: bool = True,
         mib_count: int = 256) -> bytes:
    """A small input that inflates far past the caps (`kind`: "gzip" (1 GiB), "zip",
    "gzip-of-zip" (256 MiB per member, `method` any zip method, `lying` central-directory
    sizes), "zip-of-gzip", "records" (valid records at ~400x), "members" (20,000))."""
    if kind == "gzip":
        return (gzip.compress(b'<?xml version="1.0"?><feedback>')
                + gzip.compress(b" " * (1 << 20), 9) * 1024)
    if kind == "records":
        return gzip.compress(_REPORT_HEAD) + gzip.compress(_RECORD * 4000, 9) * 64
    if kind == "members":
        return _zip({f"m{i}.xml": b"<a/>" for i in range(20_000)}, zipfile.ZIP_STORED)
    if kind == "zip-of-gzip":
        return _zip({"inner.xml.gz": gzip.compress(b'<?xml version="1.0"?><feedback>')
                     + gzip.compress(b" " * (1 << 20), 9) * 64}, zipfile.ZIP_STORED)
    packed = _packed(method, mib_count)
    packed = _lie_about_sizes(packed) if lying else packed
    return gzip.compress(packed) if kind == "gzip-of-zip" else packed


def bombs(rng: random.Random, data: bytes) -> bytes:
    kind = rng.choice(("gzip", "zip", "gzip-of-zip", "zip-of-gzip", "records", "members"))
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                         zipfile.ZIP_LZMA))
    return bomb(kind, method, rng.random() < 0.7)


def bzip2_raw(rng: random.Random, data: bytes) -> bytes:
    """Bare bzip2 data: no reader should take it for a report."""
    return bz2.compress(data[:100_000])


def nested_containers(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 7)):
        data = gzip.compress(data) if rng.random() < 0.5 else _zip(
            {"r.xml": data}, rng.choice((zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2)))
    return data


MUTATORS: dict[str, Mutator] = {
    "flip_bytes": flip_bytes, "truncate": truncate, "duplicate_lines": duplicate_lines,
    "remove_lines": remove_lines, "shuffle_lines": shuffle_lines,
    "swap_boundaries": swap_boundaries, "inject_header": inject_header,
    "huge_header": huge_header, "insert_nul": insert_nul, "bad_charset": bad_charset,
    "bad_transfer_encoding": bad_transfer_encoding, "newlines": newlines,
    "deep_mime": deep_mime, "deep_rfc822": deep_rfc822, "many_parts": many_parts,
    "many_delivery_blocks": many_delivery_blocks, "xml_nest": xml_nest,
    "json_nest": json_nest, "entity_attack": entity_attack,
    "wrong_json_types": wrong_json_types, "corrupt_gzip": corrupt_gzip,
    "corrupt_zip": corrupt_zip, "bombs": bombs, "bzip2_raw": bzip2_raw,
    "nested_containers": nested_containers,
}
# Cheap mutators stack: a second one after the first, some of the time.
STACKABLE = ("flip_bytes", "truncate", "duplicate_lines", "remove_lines", "inject_header",
             "insert_nul", "bad_charset", "newlines", "swap_boundaries")


def mutate(rng: random.Random, seed: bytes) -> tuple[str, bytes]:
    """One mutated input: (the mutators applied, joined by "+", the bytes)."""
    name = rng.choice(tuple(MUTATORS))
    data = MUTATORS[name](rng, seed)
    if name in STACKABLE and rng.random() < 0.3:
        second = rng.choice(STACKABLE)
        data = MUTATORS[second](rng, data)
        name = f"{name}+{second}"
    return name, data
