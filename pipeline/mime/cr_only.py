"""CR-only text (old Mac files: every line ends in a bare CR, no LF anywhere) parsed as LF text.

Why: `fastparse` reads LF/CRLF text with a few regex calls per header block, but text with
bare CRs takes its line-by-line port (~2x the cost per message; 32 of the 394 corpus bounces
are CR-only). The stdlib's feed parser treats CR, LF and CRLF alike (one line-ending regex
for splitting, blank lines, boundaries, header values and the end-of-line stripping of
preambles, epilogues and unix-from lines) and CRLF cannot occur in either text, so the tree
of a CR-only text is the tree of the same text with every CR read as LF, with every LF in
its strings turned back into a CR. `tests/unit/test_mime_fastparse.py` checks this against
the stdlib (the CR-only corpus emails, the CR-only quirks and generated line soups).
"""
from __future__ import annotations

import email.message

from .message import CONTENT_TYPE_MEMO, HEAD_MEMO, PARAMS_MEMO


# Past this size the line-by-line port reads it instead: the LF copy would hold the text once
# more while it is parsed (a 15 MB CR-only bounce peaked at 58 MB instead of 44 MB), and for
# a big text the per-line cost is spread over few, long lines anyway.
MAX_CR_ONLY_COPY = 1 << 20


def is_cr_only(text: str) -> bool:
    """Is `text` CR-only (and small enough to be read through an LF copy)?"""
    return len(text) <= MAX_CR_ONLY_COPY and "\n" not in text and "\r" in text


def restore_cr(root: email.message.Message) -> None:
    """Turn every LF in the strings of the tree parsed from the LF copy back into a CR: header
    values, payloads, preambles, epilogues, unix-from lines, defect lines and the memos the
    parser seeded (the same value object in a header and its memo stays one object: the
    parameter memo is keyed on its identity)."""
    stack = [root]
    while stack:
        msg = stack.pop()
        headers = msg._headers
        mapped: dict[str, str] = {}
        for i, (name, value) in enumerate(headers):
            if "\n" in value:   # a folded value (names hold no line ending)
                new = mapped.get(value)
                if new is None:
                    new = mapped[value] = value.replace("\n", "\r")
                headers[i] = (name, new)
        payload = msg._payload
        if isinstance(payload, list):
            stack.extend(payload)
        elif isinstance(payload, str):
            msg._payload = payload.replace("\n", "\r")
        for attr in ("preamble", "epilogue", "_unixfrom"):
            text = getattr(msg, attr)
            if isinstance(text, str) and "\n" in text:
                setattr(msg, attr, text.replace("\n", "\r"))
        for defect in msg.defects:
            line = getattr(defect, "line", None)
            if isinstance(line, str) and "\n" in line:
                defect.line = line.replace("\n", "\r")
                defect.args = (defect.line,) + defect.args[1:]
        memos = msg.__dict__
        memos.pop(PARAMS_MEMO, None)
        head = memos.get(HEAD_MEMO)
        if head is not None:
            memos[HEAD_MEMO] = (head[0], _mapped(head[1], mapped), _mapped(head[2], mapped),
                                head[3])
        ctype = memos.get(CONTENT_TYPE_MEMO)
        if ctype is not None and "\n" in ctype[1]:
            memos[CONTENT_TYPE_MEMO] = (ctype[0], ctype[1].replace("\n", "\r"))


def _mapped(value: str | None, mapped: dict[str, str]) -> str | None:
    if value is None or "\n" not in value:
        return value
    return mapped.get(value) or value.replace("\n", "\r")
