"""Cheap content sniffing: which family of handlers should see these bytes."""
from __future__ import annotations

import re

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?", re.M)  # RFC 5322 field name then ':'
_MBOX_FROM = re.compile(rb"^From \S")
# Mandrill's `mandrill_events=<JSON>`, a flat urlencoded body of two or more fields
# (`event=bounced&recipient=...`, Mailgun's legacy hooks) or a multipart/form-data body (the
# same hooks with attachments): no header line starts so.
_FORM_BODY = re.compile(rb"^(?:mandrill_events=|[A-Za-z0-9_.%-]+=[^\s&]*&[A-Za-z0-9_.%-]+=|"
                        rb"--[!-~]{1,200}\r?\ncontent-disposition:[ \t]*form-data;)", re.I)


def sniff(payload: bytes) -> str:
    """Return "archive", "xml", "json", "form", "email", "empty" or "unknown"."""
    if payload[:2] == b"\x1f\x8b" or payload[:4] == b"PK\x03\x04":
        return "archive"
    head = payload[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "empty"
    first = head[:1]
    if first == b"<":
        return "xml"
    if first in (b"{", b"["):
        return "json"
    if _FORM_BODY.match(head):
        # Checked before the header test: an unencoded JSON value holds ':' and would pass.
        return "form"  # x-www-form-urlencoded webhook body (mandrill_events=..., event=...&...)
    if _MBOX_FROM.match(head):
        return "email"  # a single mbox message: the "From " line is dropped by the email parser
    # the first line's test, on `head` itself: no character the expression takes is a line
    # end, so it matches `head` exactly when it matches head's first line (and no copy of
    # the rest of the 4 KiB is made to cut that line off)
    if _HEADER_LINE.match(head):
        return "email"
    return "unknown"
