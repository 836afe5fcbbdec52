"""ARF feedback reports (pipeline/arf): RFC 5965 and the Yahoo CFL / Microsoft JMRP / Apple
unsubscribe variants, on hand-written fixtures."""
from __future__ import annotations

from pathlib import Path

from pipeline import classify_message
from pipeline.arf.parse import inquire, is_feedback
from pipeline.core import parse_email
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def events(name: str):
    result = classify_message((FIXTURES / name).read_bytes())
    assert isinstance(result, list), result
    return result


def test_microsoft_jmrp_without_feedback_type_is_abuse_for_the_original_recipient():
    (ev,) = events("arf_microsoft_jmrp_no_feedback_type.eml")
    assert (ev.recipient, ev.category, ev.reason, ev.feedback_type, ev.parser) == (
        "mallory@hotmail.example", "complaint", "feedback", "abuse", "arf.jmrp")
    assert ev.message_id == "deal-1@sender.example"


def test_yahoo_cfl_opt_out_uses_removal_recipient_and_received_date():
    (ev,) = events("arf_yahoo_cfl_opt_out_removal_recipient.eml")
    assert (ev.recipient, ev.category, ev.feedback_type) == (
        "niaj@yahoo.example", "complaint", "opt-out")
    assert ev.campaign == "weekly-45"
    assert ev.tags["arf.user-agent"] == "Yahoo!-Mail-Feedback/1.0"
    assert ev.occurred_at.isoformat().startswith("2026-11-05T07:00")


def test_apple_unsubscribe_is_an_opt_out_from_the_sender_of_the_mail():
    (ev,) = events("arf_apple_unsubscribe.eml")
    assert (ev.recipient, ev.category, ev.feedback_type, ev.parser) == (
        "olivia@icloud.example", "complaint", "opt-out", "arf.apple-unsubscribe")


def test_not_spam_is_not_a_failure():
    (ev,) = events("arf_not_spam.eml")
    assert (ev.recipient, ev.category, ev.reason, ev.feedback_type) == (
        "peggy@isp.example", "other", "feedback", "not-spam")


def test_a_dsn_is_not_feedback():
    mail = MailView(parse_email((FIXTURES / "rfc3464_delayed_expired.eml").read_bytes()))
    assert not is_feedback(mail) and inquire(mail) is None
