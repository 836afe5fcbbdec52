"""Robustness as a property: every labelled corpus bounce, re-encoded the ways mail systems
re-encode mail, classifies exactly as the original does (recipients, categories, reasons,
status codes): CR-only (old Mac), CRLF and LF line ends; text bodies as quoted-printable and
as base64; forwarded by a person as a message/rfc822 attachment; headers folded differently.

ARF reports and RFC 3834 auto-replies are left out of the forwarding variant: a forwarded
complaint or vacation notice is not a bounce, and the bounce engine is what unwraps forwards.
"""
from __future__ import annotations

import base64
import email
import email.generator
import io
import quopri
from pathlib import Path

import pytest

from pipeline.core import process_bytes
from tests.conformance.bounce_corpus import corpus_root

_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")


def _samples() -> list[Path]:
    root = corpus_root()
    return sorted((root / "emails" / "maildir" / "bsd").glob("*.eml")) if root else []


def _signature(raw: bytes) -> list[tuple]:
    return [(e.recipient, e.category, e.reason, e.status) for e in process_bytes(raw).events]


def _lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def cr_only(raw: bytes) -> bytes:
    return _lf(raw).replace(b"\n", b"\r")


def crlf(raw: bytes) -> bytes:
    return _lf(raw).replace(b"\n", b"\r\n")


def forwarded(raw: bytes) -> bytes:
    """As a mail client forwards a message "as attachment"."""
    return (b"From: Alice Example <alice@example.org>\nTo: postmaster@example.net\n"
            b"Subject: Fwd: see the attached bounce\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"fwd-boundary\"\n\n--fwd-boundary\n"
            b"Content-Type: text/plain\n\nForwarding the bounce below.\n\n--fwd-boundary\n"
            b"Content-Type: message/rfc822\n\n" + _lf(raw) + b"\n--fwd-boundary--\n")


def _text_leaves(part: email.message.Message):
    """The text/* leaves, not descending into delivery-status parts (their field blocks
    are sub-messages the stdlib types text/plain, but are not bodies)."""
    if part.get_content_type() in _DSN_TYPES:
        return
    if part.is_multipart():
        for sub in part.get_payload():
            yield from _text_leaves(sub)
    elif part.get_content_maintype() == "text":
        yield part


def _body_encoded(raw: bytes, cte: str) -> bytes | None:
    msg = email.message_from_bytes(raw)
    changed = False
    for part in _text_leaves(msg):
        if str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower() not in (
                "7bit", "8bit", ""):
            continue
        data = part.get_payload(decode=True) or b""
        encoded = (base64.encodebytes(data) if cte == "base64"
                   else quopri.encodestring(data)).decode("ascii")
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = cte
        part.set_payload(encoded)
        changed = True
    if not changed:
        return None
    out = io.BytesIO()
    email.generator.BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(msg)
    return out.getvalue()


def quoted_printable(raw: bytes) -> bytes | None:
    return _body_encoded(raw, "quoted-printable")


def base64_body(raw: bytes) -> bytes | None:
    return _body_encoded(raw, "base64")


_LEGACY_CHARSETS = ("iso-2022-jp", "koi8-r", "iso-8859-1", "gb2312", "euc-kr", "shift_jis")


def legacy_charset(raw: bytes) -> bytes | None:
    """Every non-ASCII UTF-8 text part in the first legacy charset that holds its text
    (Japanese as ISO-2022-JP, Cyrillic as KOI8-R, Western as Latin-1, ...), base64-encoded
    as such mail systems send it. None when the sample has no such part."""
    msg = email.message_from_bytes(raw)
    changed = False
    for part in _text_leaves(msg):
        if (part.get_content_charset() or "").lower() not in ("utf-8", "utf8"):
            continue
        data = part.get_payload(decode=True) or b""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.isascii():
            continue
        for charset in _LEGACY_CHARSETS:
            try:
                encoded = text.encode(charset)
            except UnicodeEncodeError:
                continue
            del part["Content-Transfer-Encoding"]
            part["Content-Transfer-Encoding"] = "base64"
            part.set_param("charset", charset)
            part.set_payload(base64.encodebytes(encoded).decode("ascii"))
            changed = True
            break
    if not changed:
        return None
    out = io.BytesIO()
    email.generator.BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(msg)
    return out.getvalue()


def refolded(raw: bytes) -> bytes:
    """Every long top-level header folded once more, at a word boundary (RFC 5322 s2.2.3)."""
    head, sep, body = _lf(raw).partition(b"\n\n")
    out = []
    for line in head.split(b"\n"):
        name, colon, value = line.partition(b": ")
        words = value.split(b" ")
        if colon and len(line) > 40 and not line[:1].isspace() and len(words) > 2:
            half = len(words) // 2
            out += [name + b": " + b" ".join(words[:half]), b"\t" + b" ".join(words[half:])]
        else:
            out.append(line)
    return b"\n".join(out) + sep + body


VARIANTS = [cr_only, crlf, forwarded, quoted_printable, base64_body, refolded, legacy_charset]


@pytest.mark.skipif(corpus_root() is None, reason="../shared/corpus is absent")
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_a_reencoded_bounce_classifies_the_same(variant):
    differ, tried = [], 0
    for path in _samples():
        if variant is forwarded and path.name.startswith(("arf-", "rfc3834-")):
            continue
        raw = path.read_bytes()
        changed = variant(raw)
        if changed is None:
            continue
        tried += 1
        want, got = _signature(raw), _signature(changed)
        if got != want:
            differ.append((path.name, want, got))
    assert tried > (10 if variant is legacy_charset else 100)
    assert differ == []


def test_the_variants_change_the_bytes():
    raw = (b"From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender "
           b"because of a long subject line\nContent-Type: text/plain\n\nbody line\n")
    assert b"\n" not in cr_only(raw) and crlf(raw).count(b"\r\n") == raw.count(b"\n")
    assert b"message/rfc822" in forwarded(raw)
    assert b"Content-Transfer-Encoding: base64" in base64_body(raw)
    assert b"Content-Transfer-Encoding: quoted-printable" in quoted_printable(raw)
    assert b"\n\tbecause" in refolded(raw) or b"\n\tof" in refolded(raw)
