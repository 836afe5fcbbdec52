"""kit.command_in's cheap pre-test (`_may_name_command`) changes no answer: command_in equals
the regex alone over every diagnostic the dialects read from the corpus and the fixtures, and
over generated text made of the commands' pieces in any case, non-ASCII look-alikes included
(the regex's IGNORECASE matches dotless "ı" for "i" and the Kelvin sign for "k")."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from pipeline.dsn.dialects.kit import command_in
from pipeline.dsn.dialects.kit.software import _may_name_command, latest_command
from pipeline.dsn.engine import read_bounces
from pipeline.mime.parse import parse_email
from pipeline.mime.view import MailView
from tests.conformance.bounce_corpus import corpus_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def reference(text: str | None) -> str | None:
    """command_in as it was: the regex over every text (no pre-test)."""
    return latest_command(text) if text else None


def _diagnostics() -> list[str]:
    paths = sorted(FIXTURES.rglob("*.eml"))
    if corpus_root() is not None:
        paths += sorted((corpus_root() / "emails").rglob("*.eml"))
    mails = [MailView.of(parse_email(p.read_bytes())) for p in paths]
    out = []
    for found in read_bounces(mails):
        if found is not None and not isinstance(found, Exception):
            out += [r.diagnostic for r in found.recipients if r.diagnostic]
    return out


def test_command_in_equals_the_regex_on_every_diagnostic_read():
    diagnostics = _diagnostics()
    assert len(diagnostics) > 300
    assert [command_in(d) for d in diagnostics] == [reference(d) for d in diagnostics]
    # the pre-test does turn most away (else it would be no saving) and lets some through
    said_no = sum(not _may_name_command(d) for d in diagnostics)
    assert len(diagnostics) // 3 < said_no < len(diagnostics)


_PIECES = st.sampled_from([
    "RCPT", "rcpt", "Rcpt To:", "rcpt to: <a@b.example>", "MAIL FROM:<x@y>", "mail from:",
    "maıl from: <", "MAİL", "DATA", "end of data", "END OF DATA", "enD of dAta", "HELO",
    "EHLO", "STARTTLS", "AUTH", "RSET", "QUIT", "XFORWARD", "CONN", "ConN", " ", ".", "@",
    "-", "550 5.1.1", "user unknown", "\n", "K", "ſ", "é", "x",
])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_command_in_equals_the_regex_on_generated_text(text):
    assert command_in(text) == reference(text)
