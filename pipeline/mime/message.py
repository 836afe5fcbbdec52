"""The stdlib compat32 `Message`, with its content type memoised per part and a direct read
of simple header parameters.

Bounce dialects and the stdlib's own feed parser ask a part for `get_content_type()` ~40
times per message; each call re-reads the Content-Type header with a linear, lower-casing
header scan and re-splits its parameters. The answer only changes when a header or the
default type changes: an appended header changes the memo's key, every other mutator
drops the memo.

`get_param()` (and through it get_boundary, get_content_charset, get_filename) runs the
stdlib's generic parameter parse (quote-aware split, RFC 2231 decoding, re-quoting), ~3-10 us
a call, on every part the parser, the dialects and the DMARC check look at. Nearly every
value is simple (see _SIMPLE_PARAMS); for those the answer is read with one regex.
"""
from __future__ import annotations

import email.message
import email.utils
import re

_MEMO = CONTENT_TYPE_MEMO = "_bouncepipe_ctype"  # (header count, content type); fastparse seeds it
# (header count, first Content-Type value, first Content-Transfer-Encoding value, whether a
# Content-Disposition header was seen): what fastparse saw while reading the header block,
# raw ASCII values (None when absent). Parameters, the transfer encoding and the file name are
# read from it without the stdlib's lower-casing scan of every header.
HEAD_MEMO = "_bouncepipe_head"
PARAMS_MEMO = "_bouncepipe_params"  # (Content-Type value, simple_params of it)


# A header value whose parameters need none of the stdlib's harder rules: ASCII; no quotes
# inside quoted strings, no backslashes, no `;` inside quotes, no RFC 2231 (name*)
# parameters, no <bracketed> tokens, no `=` before the first `;`. For such a value
# `_parseparam` + `decode_params` + `_unquotevalue` reduce to: the first parameter of that
# name (case-insensitive), without its quotes.
# Possessive throughout: each run stops at a character the next item cannot start with, so
# giving back never helps a match (~12 % faster).
_SIMPLE_PARAMS = re.compile(
    r"[^;\"\\=]*+(?:;\s*+[A-Za-z0-9!#$%&'+.^_`{|}~-]++\s*+=\s*+(?:\"[^\"\\;]*+\"|[^\";\\\s<>]++)"
    r"\s*+)*+;?\s*+",
    re.ASCII)
_PARAM = re.compile(r";\s*+([^\s=]++)\s*+=\s*+(?:\"([^\"]*+)\"|([^;\s]++))", re.ASCII)
_MISSING = MISSING_PARAM = object()  # simple_param: no such parameter


def content_params(msg: email.message.Message, value: object) -> tuple | None:
    """`simple_params(value)` for `msg`'s Content-Type value, memoised on the message: the
    parser (boundary), the DMARC check (report-type) and the dialects (charset) each ask."""
    memo = msg.__dict__.get(PARAMS_MEMO)
    if memo is None or memo[0] is not value:   # the memo holds `value`: no id reuse
        memo = msg.__dict__[PARAMS_MEMO] = (value, simple_params(value))
    return memo[1]


def header_param(msg: email.message.Message, header: str, value: object, param: str) -> object:
    """`simple_param(value, param)` for the value of `msg`'s `header` (its Content-Type
    parameters memoised on msg): the value, _MISSING, or None when the stdlib must read it.
    The one direct read behind CachedMessage.get_param and MailView.get_param."""
    params = content_params(msg, value) if header == "content-type" else simple_params(value)
    return None if params is None else params_get(params, param)


def simple_param(value: object, param: str) -> object:
    """`get_param(param)` (unquoted) of a header value in the simple form: the value, or
    _MISSING when it has no such parameter; None when the value is not simple (ask the
    stdlib)."""
    params = simple_params(value)
    return None if params is None else params_get(params, param)


def simple_params(value: object) -> tuple | None:
    """Every parameter of a header value in the simple form, read once for `params_get`:
    (the media type lower-cased, {lower-case name: its first value, unquoted}, whether the
    value ends in ";"); None when the value is not simple (ask the stdlib)."""
    if not isinstance(value, str) or not value.isascii() or not _SIMPLE_PARAMS.fullmatch(value):
        return None
    found: dict[str, str] = {}
    for name, quoted, bare in _PARAM.findall(value):
        # findall gives "" for the unmatched branch; a quoted value may itself be empty
        found.setdefault(name.lower(), quoted if bare == "" else bare)
    return value.split(";", 1)[0].strip().lower(), found, value.rstrip().endswith(";")


def params_get(params: tuple, param: str) -> object:
    """`simple_param(value, param)` from `simple_params(value)`."""
    media_type, found, trailing = params
    param = param.lower()
    if media_type == param:
        return ""  # the stdlib lists the media type itself as a parameter with no value
    value = found.get(param, _MISSING)
    if value is _MISSING and not param and trailing:
        return ""  # a trailing ";" ends in an empty segment: a parameter with no name
    return value


class CachedMessage(email.message.Message):
    """`email.message.Message` whose `get_content_type()` is computed once per part and whose
    simple parameters are read directly."""

    def _head(self) -> tuple | None:
        """HEAD_MEMO while it still describes the headers (keyed on their count, like the
        content type memo; every other mutator drops it)."""
        head = self.__dict__.get(HEAD_MEMO)
        return head if head is not None and head[0] == len(self._headers) else None

    def get_param(self, param, failobj=None, header="content-type", unquote=True):
        head = self._head() if header == "content-type" else None
        if head is not None:
            value = _MISSING if head[1] is None else head[1]   # = self.get(): no scan
        else:
            value = self.get(header, _MISSING)
        if value is _MISSING:
            return failobj  # no such header: the stdlib's first test, without its second scan
        if unquote:
            found = header_param(self, header, value, param)
            if found is not None:
                return failobj if found is _MISSING else found
        return super().get_param(param, failobj, header, unquote)

    def _kept_param(self, name: str) -> object:
        """Content-Type parameter `name` from the memoised simple parameters of the value
        fastparse kept: the value, _MISSING (no such parameter, or no Content-Type), or None
        when the stdlib must read it."""
        head = self._head()
        if head is None:
            return None
        if head[1] is None:
            return _MISSING   # no Content-Type header: no parameter
        params = content_params(self, head[1])
        return None if params is None else params_get(params, name)

    def get_boundary(self, failobj=None):
        # Every multipart the parser reads asks once: the stdlib's get_param + unquote.
        found = self._kept_param("boundary")
        if found is None:
            return super().get_boundary(failobj)
        if found is _MISSING:
            return failobj
        # get_boundary unquotes the unquoted value once more (collapse_rfc2231_value of a
        # str), then drops trailing blanks (RFC 2046)
        return email.utils.unquote(found).rstrip()

    def get_content_charset(self, failobj=None):
        # Asked of most text parts (part text, dialects): the stdlib's get_param + checks. A
        # simple value is ASCII and no RFC 2231 tuple, so of the stdlib's checks only the
        # lower-casing is left.
        found = self._kept_param("charset")
        if found is None:
            return super().get_content_charset(failobj)
        return failobj if found is _MISSING else found.lower()

    def get_filename(self, failobj=None):
        # The DMARC report check asks every part of every email (~3 us each, two header scans).
        # No Content-Disposition and no "name" in the Content-Type: no file name parameter.
        head = self._head()
        if head is not None and not head[3] and (head[1] is None or "name" not in head[1].lower()):
            return failobj
        return super().get_filename(failobj)

    def transfer_encoding(self, failobj: str = "") -> str:
        """`str(self.get("content-transfer-encoding", failobj))`, without the header scan when
        fastparse kept the value."""
        head = self._head()
        if head is not None:
            return failobj if head[2] is None else head[2]
        return str(self.get("content-transfer-encoding", failobj))

    def get_content_type(self) -> str:
        # Keyed on the header count: the parser's set_raw() only appends (not overridden
        # because it runs once per header line of every part), so an appended header is seen.
        memo = self.__dict__.get(_MEMO)
        count = len(self._headers)
        if memo is None or memo[0] != count:
            memo = self.__dict__[_MEMO] = (count, super().get_content_type())
        return memo[1]

    # Every other way a header or the default type can change drops the memos.
    def get_payload(self, i=None, decode=False):
        """The stdlib's, except that a text payload with raw 8-bit bytes under a charset
        name Python cannot decode with "replace" (NUL in the name, punycode, idna) comes
        back as ASCII with U+FFFD, as the stdlib already does for an unknown charset name
        (it catches only LookupError; these raised ValueError/UnicodeError)."""
        if i is None and not decode:
            # The common read (dialects, part text): the stdlib scans and lower-cases every
            # header for the transfer encoding, which only matters when decoding. A list is
            # the multipart answer; an ASCII text (no surrogates) comes back as it is when the
            # parser kept the header values (the scan could neither raise nor change it).
            payload = self._payload
            if isinstance(payload, list) or (type(payload) is str and payload.isascii()
                                             and self._head() is not None):
                return payload
        try:
            return super().get_payload(i, decode)
        except (UnicodeError, ValueError, TypeError):
            payload = self._payload
            if decode or i is not None or not isinstance(payload, str):
                raise
            return payload.encode("ascii", "surrogateescape").decode("ascii", "replace")

    def _drop_memos(self) -> None:
        self.__dict__.pop(_MEMO, None)
        self.__dict__.pop(HEAD_MEMO, None)

    def __setitem__(self, name, val):
        self._drop_memos()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._drop_memos()
        super().__delitem__(name)

    def add_header(self, _name, _value, **_params):
        self._drop_memos()
        super().add_header(_name, _value, **_params)

    def replace_header(self, _name, _value):
        self._drop_memos()
        super().replace_header(_name, _value)

    def set_default_type(self, ctype):
        self._drop_memos()
        super().set_default_type(ctype)

    def set_param(self, *args, **kwargs):
        self._drop_memos()
        super().set_param(*args, **kwargs)

    def del_param(self, *args, **kwargs):
        self._drop_memos()
        super().del_param(*args, **kwargs)

    def set_type(self, *args, **kwargs):
        self._drop_memos()
        super().set_type(*args, **kwargs)
