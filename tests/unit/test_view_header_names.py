"""MailView.header_names, the index the dialects' marker-header gates test first, answers
exactly as `get()` does, and the gated dialects answer exactly as without the index (every
name "present": the old get()/header() calls decide) over the corpus, the fixtures and
generated header blocks."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dmarc import handlers as dmarc_handlers
from pipeline.dsn import handler as dsn_handler
from pipeline.dsn.dialects import dialects
from pipeline.mime.parse import parse_email
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the marker headers the gates test through the index (pipeline/dsn/dialects, dsn/handler)
MARKERS = ("X-SES-Outgoing", "X-AWS-Outgoing", "x-amz-sns-message-id", "X-Mailer", "X-AOL-IP",
           "X-MX-Bounce", "X-MXL-Hash", "X-MXL-NoteHash", "X-AHMailID", "X-YMailISG",
           "Reply-To", "X-Msg-Ref", "X-MS-Embedded-Report", "X-MimeOLE", "X-GMX-Antispam",
           "X-ZohoMail", "X-Yandex-Uniq", "X-Failed-Recipients", "Subject")
GATED = {"lhost-amazonses", "lhost-amazonworkmail", "lhost-exim", "lhost-mxlogic",
         "lhost-activehunter", "lhost-receivingses", "lhost-yandex", "lhost-yahoo", "lhost-kddi",
         "lhost-messagelabs", "lhost-sendmail", "lhost-postfix", "lhost-exchange2003",
         "lhost-mfilter", "lhost-gmx", "lhost-zoho"}


class _EveryName(dict):
    """An index that holds every name: each gate falls through to get()/header()."""

    def __contains__(self, name: object) -> bool:
        return True


def _emails(corpus: Path) -> list[bytes]:
    files = sorted((corpus / "bounces" / "emails").rglob("*.eml")) + sorted(
        FIXTURES.rglob("*.eml"))
    assert len(files) > 1000
    return [f.read_bytes() for f in files]


@pytest.fixture(scope="module")
def emails(corpus: Path) -> list[bytes]:
    return _emails(corpus)


def _assert_index_is_get(view: MailView) -> None:
    names = [name for name, _ in view.msg._headers] + list(MARKERS)
    for name in names:
        for spelled in (name, name.lower(), name.upper()):
            present = view.get(spelled) is not None
            assert (spelled.lower() in view.header_names) == present
            assert present == (view.msg.get(spelled) is not None)


def test_header_names_is_get_over_corpus_and_fixtures(emails):
    for raw in emails:
        _assert_index_is_get(MailView(parse_email(raw)))


HEADER_NAMES = st.sampled_from(["Subject", "X-Mailer", "x-mailer", "X-AOL-IP", "X-Msg-Ref",
                                "X-Failed-Recipients", "Reply-To", "X-SES-Outgoing", "Received"])
HEADER_VALUES = st.text(st.sampled_from(list("ab é\t=?:;") + ["\udcc3", "\udca9"]), max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6))
def test_header_names_is_get_over_generated_header_blocks(headers):
    text = "".join(f"{name}: {value}\n" for name, value in headers) + "\nbody\n"
    raw = text.encode("utf-8", "surrogateescape")
    _assert_index_is_get(MailView(parse_email(raw)))


def _answers(raw: bytes, names: list[str]) -> list:
    view = MailView(parse_email(raw))
    found = {d.name: d.inquire(view) for d in dialects() if d.name in names}
    return [repr(found[name]) for name in names]


def test_gated_dialects_answer_as_without_the_index(emails, monkeypatch):
    names = sorted(d.name for d in dialects() if d.name in GATED)
    assert len(names) == len(GATED)
    indexed = [_answers(raw, names) for raw in emails]
    monkeypatch.setattr(MailView, "header_names", property(lambda view: _EveryName()))
    assert [_answers(raw, names) for raw in emails] == indexed
    assert sum(a != "None" for row in indexed for a in row) > 200   # the gates let bounces in


def test_failed_recipients_gate_and_dmarc_subject_read_as_before(emails, monkeypatch):
    def outcomes() -> list:
        out = []
        for raw in emails:
            msg = parse_email(raw)
            view = MailView.of(msg)
            try:
                dsn_handler._check_failed_recipients(SimpleNamespace(sha256="0"), view, 1)
                refused = None
            except Exception as exc:  # noqa: BLE001 - the refusal itself is the answer
                refused = type(exc).__name__
            subject = view.get("Subject")
            out.append((refused, isinstance(subject, str) and "dmarc" in subject.lower(),
                        subject is msg.get("Subject") or subject == msg.get("Subject")))
        return out

    indexed = outcomes()
    assert all(same for _, _, same in indexed)
    monkeypatch.setattr(MailView, "header_names", property(lambda view: _EveryName()))
    assert outcomes() == indexed
    assert {refused for refused, _, _ in indexed} == {None, "LimitExceeded"}


def test_plain_notice_gate_reads_the_subject_through_the_view():
    notice = parse_email(b"Subject: DMARC failure report\n\nbody\n")
    other = parse_email(b"Subject: Undelivered Mail\n\nbody\n")
    assert dmarc_handlers._is_plain_notice(None, notice) is True
    assert dmarc_handlers._is_plain_notice(None, other) is False
