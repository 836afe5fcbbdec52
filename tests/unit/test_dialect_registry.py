"""The dialect registry as a whole: one order table, and no dialect claiming what is not its own.

As go-sisimai's inquire-for test does: every dialect answers nothing for an empty message, a
plain personal email, and every OTHER dialect's samples (the labelled corpus's lhost samples,
its "not a bounce" files and ARF reports) — except the overlaps listed in OVERLAPS, which are
real (one product built on another) and harmless because the owner is tried first.
Samples labelled rfc3464 / rhost-* are not "other dialects": they were written by some MTA
(often Postfix or Sendmail), whose dialect rightly reads them.
"""
from __future__ import annotations

import email
import re
from pathlib import Path

import pytest

from pipeline.dsn import dialects as registry
from pipeline.dsn.dialects import dialects
from pipeline.dsn.dialects.order import ORDER, RANK
from pipeline.mime.view import MailView
from tests.conformance.bounce_corpus import corpus_root, labels

DIALECT_DIR = Path(registry.__file__).parent

# (dialect, owner of the samples it also claims): why that is right.
OVERLAPS: dict[tuple[str, str], str] = {
    ("lhost-exim", "lhost-mailru"): "Mail.Ru's MTA is Exim-based: after its Russian notice, "
                                    "the English Exim text (lhost_mailru.py)",
    ("lhost-exim", "lhost-mxlogic"): "MXLogic is an Exim clone (lhost_mxlogic.py, from "
                                     "go-sisimai's Exim 'third party' branch)",
    ("lhost-postfix", "lhost-sendgrid"): "a SendGrid relay writes a standard Postfix DSN, "
                                         "with SendGrid's own From/Subject",
    ("lhost-qmail", "lhost-x4"): "X4 is a qmail clone, read by the qmail reader (lhost_x4.py)",
    ("lhost-qmail", "lhost-yahoo"): "Yahoo's 'Sorry, we were unable to deliver your message "
                                    "to the following address' is one of qmail's openings",
}


def _module_names() -> set[str]:
    names = set()
    for path in DIALECT_DIR.glob("lhost_*.py"):
        found = re.findall(r'^NAME = "([^"]+)"', path.read_text(), re.M)
        assert len(found) == 1, path
        names.add(found[0])
    return names


def test_every_dialect_module_is_in_the_order_table_exactly_once():
    assert len(ORDER) == len(set(ORDER))
    assert set(ORDER) == _module_names()
    assert [d.name for d in dialects()] == list(ORDER)


def test_a_dialect_missing_from_the_order_table_is_refused():
    with pytest.raises(ValueError, match="order.py"):
        registry.dialect("lhost-not-in-the-table")


def _mail(raw: bytes) -> MailView:
    return MailView(email.message_from_bytes(raw))


PERSONAL = (b"From: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\n"
            b"Subject: Lunch on Friday?\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
            b"Message-ID: <lunch-1@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Hi Bob,\r\nare you free for lunch on Friday? The usual place at noon.\r\n"
            b"If not, Monday works too.\r\n\r\nAlice\r\n")


@pytest.mark.parametrize("raw", [b"", b"\r\n", PERSONAL], ids=["empty", "blank", "personal"])
def test_no_dialect_claims_an_empty_message_or_a_personal_email(raw):
    assert [d.name for d in dialects() if d.inquire(_mail(raw)) is not None] == []


def _foreign_samples() -> list[tuple[str, str]]:
    """(file, owner) of each LF corpus sample that belongs to one dialect or to none."""
    if corpus_root() is None:
        return []
    out = {}
    for label in labels():
        owner = label["source_module"]
        if "/bsd/" in label["file"] or "/not/" in label["file"]:
            if owner.startswith("lhost-") or owner in ("arf", "not"):
                out[label["file"]] = owner
    for path in (corpus_root() / "emails" / "maildir" / "not").glob("*.eml"):
        out.setdefault(f"maildir/not/{path.name}", "not")
    return sorted(out.items())


def test_no_dialect_claims_another_dialects_samples():
    samples = _foreign_samples()
    if not samples:
        pytest.skip("../shared/corpus is absent")
    claimed: dict[tuple[str, str], int] = {}
    for file, owner in samples:
        raw = (corpus_root() / "emails" / file).read_bytes()
        for d in dialects():
            if d.name != owner and d.inquire(_mail(raw)) is not None:
                claimed[(d.name, owner)] = claimed.get((d.name, owner), 0) + 1
    assert set(claimed) == set(OVERLAPS), claimed
    for claimer, owner in OVERLAPS:   # the owner is tried first, so the overlap is harmless
        assert RANK[owner] < RANK[claimer]


def test_dsn_fields_before_final_recipient_belong_to_that_recipient():
    # Facebook and Symantec Email Security.cloud write Diagnostic-Code and Status before
    # Final-Recipient; a following group is its own recipient, a group without one is
    # per-message.
    from pipeline.dsn.dialects.kit import dsn_blocks
    message, blocks = dsn_blocks(
        "Reporting-MTA: dns; mx.example.net\n\n"
        "Diagnostic-Code: smtp; 550 5.1.1 RCP-P2\n refused\nStatus: 5.1.1\n"
        "Final-Recipient: rfc822; a@example.org\nAction: failed\n\n"
        "Final-Recipient: rfc822; b@example.org\nStatus: 4.2.2\nAction: delayed\n")
    assert message == {"reporting-mta": "dns; mx.example.net"}
    assert blocks == [
        {"diagnostic-code": "smtp; 550 5.1.1 RCP-P2 refused", "status": "5.1.1",
         "final-recipient": "rfc822; a@example.org", "action": "failed"},
        {"final-recipient": "rfc822; b@example.org", "status": "4.2.2", "action": "delayed"}]


def test_dsn_blocks_rejoin_a_recipient_block_split_by_a_stray_blank_line():
    # An unindented Diagnostic-Code continuation, re-serialised by Python's email generator (as
    # a relay or a forwarding script does), gains a blank line before it: the recipient's own
    # fields end up in a group of their own, cut off from Final-Recipient.
    from pipeline.dsn.dialects.kit import dsn_blocks
    message, blocks = dsn_blocks(
        "Reporting-MTA: dns; mx.example.net\n\n"
        "Last-Attempt-Date: Thu, 17 Jul 2017 23:34:45 +0000\n"
        "Diagnostic-Code: smtp; 550-Please turn on SMTP Authentication\n\n"
        "550 relay through this server without authentication.\n"
        "Status: 5.0.0\nAction: failed\nFinal-Recipient: rfc822; a@example.org\n\n"
        "Final-Recipient: rfc822; b@example.org\nStatus: 4.2.2\n")
    assert message["reporting-mta"] == "dns; mx.example.net"
    assert blocks[0]["diagnostic-code"] == "smtp; 550-Please turn on SMTP Authentication"
    assert blocks[0]["status"] == "5.0.0"
    assert blocks[0]["final-recipient"] == "rfc822; a@example.org"
    assert "diagnostic-code" not in blocks[1]    # only the next recipient inherits the strays
    # The first group is per-message whatever it holds: nothing leads a recipient from there.
    _, first = dsn_blocks("Status: 5.0.0\nReporting-MTA: dns; x\n\n"
                          "Final-Recipient: rfc822; c@example.org\nAction: failed\n")
    assert "status" not in first[0]
