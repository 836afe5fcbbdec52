"""A message tree back to text, in linear time.

Why not `Message.as_string()`: the stdlib's Generator takes time quadratic in a header's
length (a 60 KB header took 7.5 s, 1 MB did not finish in 60 s). The compat32 tree keeps
each header's raw value, line breaks included, so writing the values as they are gives the
message's text without refolding anything.
"""
from __future__ import annotations

import email.message


def flat_text(msg: email.message.Message) -> str:
    """Each part's raw header lines, a blank line, its body; a multipart's preamble,
    boundary lines, parts and epilogue, in order. What is unreadable (a payload item that
    is no Message) ends the text there."""
    out: list[str] = []
    try:
        _flatten(msg, out)
    except (AttributeError, TypeError):
        pass
    return "".join(out)


def _flatten(msg: email.message.Message, out: list[str]) -> None:
    # Recursion is bounded: the parser caps nesting (limits.max_mime_depth).
    for name, value in msg._headers:   # raw (name, value) pairs: stdlib internals since 3.3
        out.append(f"{name}: {value}\n")
    out.append("\n")
    payload = msg._payload
    if not isinstance(payload, list):
        out.append(payload if isinstance(payload, str) else "")
        return
    boundary = msg.get_boundary()
    if boundary is None:   # message/rfc822 and friends: the enclosed message(s) as they are
        for sub in payload:
            _flatten(sub, out)
        return
    if msg.preamble:
        out.append(msg.preamble + "\n")
    for sub in payload:
        out.append(f"--{boundary}\n")
        _flatten(sub, out)
        out.append("\n")
    out.append(f"--{boundary}--\n")
    if msg.epilogue:
        out.append(msg.epilogue)
