"""A read-only, lazily decoded view of one email for bounce/ARF/report parsers.

Built on the stdlib parser (compat32 policy) because it is ~3x faster than flanker and never
raises on broken MIME; decoded pieces are cached so several dialects can look cheaply.
"""
from __future__ import annotations

import email.message
import quopri
import re

from ..errors import LimitExceeded
from ..lazy import lazy_property
from .headers import decode_header_value  # noqa: F401 - part of the view's API
from .charsets import codec_of, decode_charset
from .message import MISSING_PARAM, header_param
from .transfer import SURROGATES, message_text, unsurrogate

_FIELD_BLOCK_TYPES = ("message/delivery-status", "message/global-delivery-status",
                      "message/feedback-report")
_VIEW_KEY = "_bouncepipe_view"   # where MailView.of keeps a message's shared view


# Deeper trees are walked by the stdlib itself: its recursive generators stop with a
# RecursionError somewhere past this depth, and walk_parts must fail the same way.
_FLAT_WALK_DEPTH = 100


def walk_parts(msg: email.message.Message) -> list[email.message.Message]:
    """`list(msg.walk())`: the same parts in the same order (depth first, `msg` first), from
    one loop instead of a generator per part. Whatever walk() would not take as written (a
    payload item that is no Message, a very deep tree) is left to walk() itself, so its
    answer and its exceptions stay the reference."""
    found = []
    stack = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        found.append(part)
        payload = part._payload   # walk() descends exactly when is_multipart(): a list
        if isinstance(payload, list) and payload:
            if depth >= _FLAT_WALK_DEPTH:
                return list(msg.walk())
            for sub in reversed(payload):
                if not isinstance(sub, email.message.Message):
                    return list(msg.walk())
                stack.append((sub, depth + 1))
    return found


def decoded_payload(part: email.message.Message) -> bytes | None:
    """`part.get_payload(decode=True)`, except that a quoted-printable body with bare-CR
    line ends (an old Mac / CR-only copy) is read with LF line ends first: the stdlib's
    quopri only knows "=\\n" soft line breaks and would keep every "=\\r" (base64 ignores
    line ends; other encodings are left to the stdlib)."""
    raw = part._payload
    if (isinstance(raw, str) and "\r" in raw and "\n" not in raw
            and str(part.get("content-transfer-encoding", "")).strip().lower()
            == "quoted-printable"):
        return quopri.decodestring(raw.replace("\r", "\n").encode("ascii", "surrogateescape"))
    return part.get_payload(decode=True)


def part_text(part: email.message.Message) -> str:
    """Decoded text of one non-multipart part (transfer encoding and charset)."""
    payload = decoded_payload(part)
    if payload is None:
        raw = part.get_payload()
        return unsurrogate(raw) if isinstance(raw, str) else ""
    return decode_charset(payload, part.get_content_charset())  # CachedMessage: a direct read


_NEWLINES = re.compile(r"\r\n?")


def normalise_newlines(text: str) -> str:
    if not text:
        return ""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def decoded_text(part: email.message.Message, *, fallbacks: tuple[str, ...] = ("utf-8",),
                 aliases: dict[str, str] | None = None) -> str:
    """Decoded text of one leaf part with LF newlines, for dialects that scan bodies.

    Tries the declared charset (through `aliases`, for labels that lie), then each of
    `fallbacks` strictly, then UTF-8 with replacement; never raises (broken transfer
    encodings and unknown charsets included)."""
    try:
        payload = decoded_payload(part)
    except Exception:  # noqa: BLE001 - broken transfer encoding
        payload = None
    if payload is None:
        raw = part.get_payload()
        return normalise_newlines(raw) if isinstance(raw, str) else ""
    declared = (part.get_content_charset() or "").lower()
    tried: list[str] = []
    for charset in ([(aliases or {}).get(declared, declared)] if declared else []) + list(fallbacks):
        if not charset or charset in tried:
            continue
        tried.append(charset)
        codec = codec_of(charset)
        if codec is None:
            continue
        try:
            return normalise_newlines(payload.decode(codec))
        except (UnicodeError, ValueError, TypeError):
            continue
    return normalise_newlines(payload.decode("utf-8", "replace"))


class MailView:
    """Convenience accessors over a parsed message. Cheap to build; everything is lazy."""

    def __init__(self, msg: email.message.Message):
        self.msg = msg

    @classmethod
    def of(cls, msg: email.message.Message) -> "MailView":
        """The view of `msg`, built once and shared by every handler that looks at it."""
        view = msg.__dict__.get(_VIEW_KEY)
        if view is None:
            view = cls(msg)
            msg.__dict__[_VIEW_KEY] = view
        return view

    @staticmethod
    def release(msg: object) -> None:
        """Forget the view shared on `msg` (no-op for anything else). The view refers to
        msg and msg to its view: a cycle that only the cyclic garbage collector frees, late
        and at a cost that grows with everything alive (a batch of parsed emails). The core
        breaks it when it is done with an email; the whole tree is then freed at once."""
        if isinstance(msg, email.message.Message):
            msg.__dict__.pop(_VIEW_KEY, None)

    @lazy_property
    def _headers(self) -> dict[str, object]:
        """First value of each top-level header by lower-case name: one pass instead of the
        stdlib's linear, lower-casing scan on every `msg.get()`."""
        found: dict[str, object] = {}
        raw_headers = getattr(self.msg, "_headers", None)  # stdlib internals, stable since 3.3
        if raw_headers is None:
            for name, value in self.msg.items():
                found.setdefault(name.lower(), value)
            return found
        received = []   # every Received value, in order: many dialects test their hops
        for name, value in raw_headers:  # raw values: 8-bit UTF-8 survives (see unsurrogate)
            lowered = name.lower()
            if lowered == "received":
                received.append(value)
            found.setdefault(lowered, value)
        self.__dict__["_received_raw"] = received
        return found

    @lazy_property
    def header_names(self) -> dict[str, object]:
        """The lower-case names of the top-level headers: `"x-name" in view.header_names` is
        one hash look-up, exactly `view.get("X-Name") is not None`. The dialects' gates test
        their marker headers with it first: most markers are absent from most emails."""
        return self._headers

    def received_raw(self) -> list | None:
        """The raw values of every top-level Received header, in order (None when the
        message keeps no raw header list)."""
        self._headers  # noqa: B018 - the one pass that collects them
        return self.__dict__.get("_received_raw")

    def get(self, name: str):
        """Exactly `self.msg.get(name)` (first raw value, or None when absent), from the
        one-pass index instead of the stdlib's lower-casing scan of every header."""
        value = self._headers.get(name.lower())
        if isinstance(value, str) and not value.isascii() and SURROGATES.search(value):
            return self.msg.get(name)  # compat32 hands back a Header for 8-bit values
        return value

    def get_param(self, param: str, failobj=None, header: str = "content-type"):
        """Exactly `self.msg.get_param(param, failobj, header)`: a simple value is read from
        the one-pass index (the stdlib scans and lower-cases every header for it)."""
        value = self.get(header)
        if value is None:
            return failobj
        found = header_param(self.msg, header, value, param)
        if found is None:
            return self.msg.get_param(param, failobj, header)
        return failobj if found is MISSING_PARAM else found

    def header(self, name: str) -> str:
        """Decoded value of the first `name` header, or "" when absent (memoised)."""
        key = name.lower()
        raw = self._headers.get(key)
        if raw is None:
            return ""  # absent (most look-ups: the dialects' marker headers)
        memo = self.__dict__.get("_decoded")
        if memo is None:
            memo = self.__dict__["_decoded"] = {}
        value = memo.get(key)
        if value is None:
            value = memo[key] = decode_header_value(raw)
        return value

    @lazy_property
    def from_(self) -> str:
        return self.header("From")

    @lazy_property
    def subject(self) -> str:
        return self.header("Subject")

    @lazy_property
    def content_type(self) -> str:
        return self.msg.get_content_type()

    @lazy_property
    def parts(self) -> list[email.message.Message]:
        """Every part, depth first (the message itself first)."""
        try:
            return walk_parts(self.msg)
        except Exception:  # noqa: BLE001 - pathological nesting
            return [self.msg]

    @lazy_property
    def body_text(self) -> str:
        """Text of the first text/plain part (or of the whole body when not multipart)."""
        if not self.msg.is_multipart():
            return part_text(self.msg)
        for ctype, part in self.part_types:
            if ctype == "text/plain" and not part.is_multipart():
                return part_text(part)
        return ""

    @lazy_property
    def text_sources(self) -> list[tuple[bool, email.message.Message]]:
        """The parts `full_text` is made of, in order: (True, part) for a delivery-status /
        feedback-report part (its field blocks, as text), (False, part) for a text/* leaf
        (the message itself when it is not multipart). Shared with dialects that test a
        phrase without building the whole text."""
        if not self.msg.is_multipart():
            return [(False, self.msg)]
        sources = []
        skip: set[int] = set()
        for ctype, part in self.part_types:
            if id(part) in skip:
                continue
            if ctype in _FIELD_BLOCK_TYPES:
                sources.append((True, part))
                blocks = part.get_payload()
                if isinstance(blocks, list):  # its blocks are read through the part
                    skip.update(id(b) for b in blocks)
                continue
            if not part.is_multipart() and ctype.startswith("text/"):
                sources.append((False, part))
        return sources

    @lazy_property
    def full_text(self) -> str:
        """All text/* parts and the delivery-status / feedback-report field blocks (as text),
        joined: for dialects that scan."""
        # the stdlib split field parts into header blocks: their fields are headers, so
        # part_text() of the blocks would lose them; message_text() rebuilds the text
        return "\n".join(message_text(part) if fields else part_text(part)
                         for fields, part in self.text_sources)

    @lazy_property
    def part_types(self) -> list[tuple[str, email.message.Message]]:
        """(content type, part) for every part, computed once: dialects ask many times and
        `get_content_type()` re-parses the Content-Type header on each call."""
        return [(p.get_content_type(), p) for p in self.parts]

    def parts_of_type(self, *ctypes: str) -> list[email.message.Message]:
        return [p for t, p in self.part_types if t in ctypes]


def checked_view(raw, msg: email.message.Message, settings) -> MailView:
    """The handler's view of `msg`, refusing emails with more MIME parts than
    settings.limits.max_mime_parts (a LimitExceeded dead letter, never a slow crawl)."""
    view = MailView.of(msg)
    limit = settings.limits.max_mime_parts if settings is not None else 0
    if limit and len(view.parts) > limit:
        raise LimitExceeded(f"email has {len(view.parts)} MIME parts, over the {limit} part cap "
                            "(limits.max_mime_parts)", raw_sha256=raw.sha256, parser="email")
    return view

