"""Remove the personal part of a bounce before it is archived: the returned message's body.

A DSN or an ARF report returns (part of) the original message, whose body is the recipient's
mail. `redact_returned_bodies` keeps every header (the original's too: the dialects read its
To, Message-ID and Subject) and the bounce's own text, and replaces the body of each returned
message (message/rfc822, message/global) with one line saying how much was removed.
"""
from __future__ import annotations

import email
import email.message
import email.policy

from .flatten import flat_text

_RETURNED = ("message/rfc822", "message/global")
_POLICY = email.policy.compat32


def redact_returned_bodies(payload: bytes) -> tuple[bytes, bool]:
    """(bytes to keep, whether anything was removed). Input that is not a MIME email with a
    returned message comes back unchanged. A message the stdlib cannot re-serialise comes back
    as its header block alone (fail closed: never keep a body we were asked to drop)."""
    if b"rfc822" not in payload and b"message/global" not in payload:
        return payload, False   # cheap exit: nothing that could be a returned message
    try:
        msg = email.message_from_bytes(payload, policy=_POLICY)
        removed = 0
        for part in msg.walk():
            if part.get_content_type() in _RETURNED and part.is_multipart():
                for inner in part.get_payload():
                    if isinstance(inner, email.message.Message):
                        removed += _drop_body(inner)
        if not removed:
            return payload, False
        return msg.as_bytes(policy=_POLICY), True
    except Exception:  # noqa: BLE001 - fail closed, see the docstring
        head, _, _ = payload.partition(b"\n\n")
        return head + b"\n\n[body withheld: bouncepipe could not redact this message]\n", True


def _drop_body(inner: email.message.Message) -> int:
    body = inner.get_payload()
    if isinstance(body, list):
        # flat_text, not as_string(): the stdlib's refolding is quadratic in a header's length
        size = sum(len(flat_text(p)) for p in body if isinstance(p, email.message.Message))
        inner.set_payload(None)
    else:
        size = len(body or "")
    if "Content-Transfer-Encoding" in inner:
        del inner["Content-Transfer-Encoding"]
    if inner.get_content_maintype() == "multipart":
        del inner["Content-Type"]
    inner.set_payload(f"[{size} characters of the returned message's body removed by "
                      "bouncepipe: archive.redact_returned_bodies]\n")
    return 1
