"""MTA-software bounce dialects (lhost_postfix, lhost_exim, lhost_qmail, ...) on small
hand-written fixtures modelled on each MTA's format (tests/fixtures/lhost_software/)."""
from __future__ import annotations

import email
from pathlib import Path

import pytest

from pipeline.dsn.dialects import dialects
from pipeline.dsn.dialects import (
    lhost_dragonfly,
    lhost_exim,
    lhost_opensmtpd,
    lhost_postfix,
    lhost_qmail,
    lhost_sendmail,
    lhost_x3,
)
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lhost_software"
MY_MODULES = {f"lhost_{m}" for m in (
    "postfix sendmail exim qmail dragonfly opensmtpd courier v5sendmail messagingserver "
    "imailserver notes domino mailfoundry fml mcafee mfilter activehunter amavis barracuda "
    "surfcontrol trendmicro mxlogic powermta exchange2003 exchange2007 x1 x2 x3 x4 x5 x6"
).split()}


def view_of(data: bytes) -> MailView:
    return MailView(email.message_from_bytes(data))


def fixture(name: str, newline: bytes = b"\n") -> MailView:
    data = (FIXTURES / name).read_bytes()
    return view_of(data.replace(b"\n", newline))


def my_dialects():
    return [d for d in dialects() if d.inquire.__module__.rsplit(".", 1)[-1] in MY_MODULES]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_exim_recipients_codes_and_own_reasons(newline):
    report = lhost_exim.inquire(fixture("exim.eml", newline))
    assert report is not None and report.dialect == "lhost-exim"
    first, second = report.recipients
    assert (first.recipient, first.status, first.reply_code, first.command) == (
        "cat@example.net", "5.1.1", 550, "RCPT")
    assert first.reason is None            # left to the generic classifier
    assert (second.recipient, second.status, second.reply_code) == ("dog@example.net", None, None)
    assert (second.reason, second.reason_rule) == ("expired", "exim.expired")
    assert report.original.message_id == "orig-1@example.org"
    assert report.original.tags == {"x-campaign": "spring"}


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_qmail_host_not_found_and_remote_reply(newline):
    report = lhost_qmail.inquire(fixture("qmail.eml", newline))
    assert report is not None
    host, full = report.recipients
    assert (host.recipient, host.status, host.reply_code) == ("cat@nowhere.example", "5.1.2", None)
    assert (host.reason, host.reason_rule) == ("hostunknown", "qmail.hostunknown")
    assert (full.recipient, full.status, full.reply_code, full.command) == (
        "dog@example.net", "5.2.2", 550, "RCPT")
    assert full.remote_mta == "192.0.2.9"
    assert host.reporting_mta == full.reporting_mta == "mail.example.org"
    assert report.original.message_id == "orig-2@example.org"


def test_sendmail_takes_the_remote_reply_from_the_transcript():
    report = lhost_sendmail.inquire(fixture("sendmail.eml"))
    assert report is not None
    (r,) = report.recipients
    assert (r.recipient, r.status, r.reply_code, r.command) == (
        "cat@example.net", "5.1.1", 550, "RCPT")
    assert r.remote_mta == "mx.example.net"
    assert r.diagnostic == "550 User unknown 550 User unknown"
    assert report.original.message_id == "orig-3@example.org"


def test_postfix_notice_refines_a_class_only_status_and_keeps_one_block():
    report = lhost_postfix.inquire(fixture("postfix.eml"))
    assert report is not None
    (r,) = report.recipients            # Final- then Original-Recipient: one recipient
    assert (r.recipient, r.action, r.status, r.reply_code, r.command) == (
        "cat@example.net", "delayed", "4.2.2", 452, "RCPT")
    assert r.reason is None


def test_opensmtpd_failstr_reason_and_per_recipient_errors():
    report = lhost_opensmtpd.inquire(fixture("opensmtpd.eml"))
    assert report is not None
    dom, relay = report.recipients
    assert (dom.recipient, dom.status, dom.reply_code) == ("cat@example.net", None, None)
    assert (dom.reason, dom.reason_rule) == ("hostunknown", "opensmtpd.hostunknown")
    assert (relay.recipient, relay.status, relay.reply_code, relay.reason) == (
        "dog@example.net", "5.7.1", 550, None)


def test_dragonfly_needs_its_received_header():
    body = (b"From: MAILER-DAEMON <>\nSubject: Mail delivery failed\n"
            b"Received: from MAILER-DAEMON\n\tid e1\n\tby df.example.jp (DragonFly Mail Agent "
            b"v0.13);\n\tSun, 16 Jun 2024 18:15:07 +0900\n\n"
            b"This is the DragonFly Mail Agent v0.13 at df.example.jp.\n\n"
            b"There was an error delivering your mail to <cat@example.com>.\n\n"
            b"mx.example.com [192.0.2.25] did not like our RCPT TO:\n"
            b"552 5.2.2 <cat@example.com>: Recipient address rejected: Mailbox full\n\n"
            b"Original message follows.\n\nSubject: Hi\n")
    (r,) = lhost_dragonfly.inquire(view_of(body)).recipients
    assert (r.recipient, r.status, r.reply_code, r.command, r.remote_mta, r.reporting_mta) == (
        "cat@example.com", "5.2.2", 552, "RCPT", "mx.example.com", "df.example.jp")
    assert lhost_dragonfly.inquire(view_of(body.replace(b"DragonFly Mail Agent", b"x"))) is None


def test_x3_star_list_and_technical_details():
    body = (b"From: Mail Delivery System <mds@example.com>\n"
            b"Subject: Delivery status notification\n\n"
            b"      This is an automatically generated Delivery Status Notification.\n\n"
            b"Delivery to the following recipients failed permanently:\n\n"
            b"   * cat@example.com\n\n"
            b"SMTP:RCPT host 192.0.2.8: 553 5.3.0 <cat@example.com>... No such user here\n")
    (r,) = lhost_x3.inquire(view_of(body)).recipients
    assert (r.recipient, r.status, r.reply_code, r.command) == ("cat@example.com", "5.3.0", 553,
                                                                "RCPT")


def test_every_dialect_rejects_an_ordinary_message_and_survives_garbage():
    ordinary = view_of(b"From: a@example.org\nTo: b@example.org\nSubject: lunch?\n\nNoon?\n")
    garbage = [
        b"",
        b"Subject: failure notice\nContent-Type: text/plain; charset=x-bogus\n"
        b"Content-Transfer-Encoding: base64\n\n!!!not base64\n",
        b"From: Mail Delivery System <x@y>\nSubject: Mail delivery failed\n"
        b"X-Failed-Recipients: ,,,\nMessage-Id: <E1aBcDe-000AbC-Xy@h>\n\n  \n  <\n",
        b"Subject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; "
        b"boundary=\"z\"\n\n--z\nContent-Type: message/delivery-status\n\n"
        b"Final-Recipient: rfc822;\nStatus: 9.9\n--z--\n",
    ]
    found = my_dialects()
    assert len(found) == len(MY_MODULES)
    for d in found:
        assert d.inquire(ordinary) is None, d.name
        for data in garbage:
            d.inquire(view_of(data))      # must not raise


# (dialect module, message, expected (recipient, status, reply code, reason) per recipient)
SMALL_BOUNCES = [
    ("lhost_exchange2003",
     b"From: System Administrator <postmaster@example.com>\nSubject: Undeliverable: Hi\n"
     b"X-MS-Embedded-Report: \nX-Mailer: Internet Mail Service (5.5.2653.19)\n\n"
     b"Your message\n\n  To:      cat@example.com\n  Subject: Hi\n\n"
     b"did not reach the following recipient(s):\n\n"
     b"cat@example.com on Thu, 9 May 2005 23:34:45 +0900\n"
     b"    The recipient name is not recognized\n"
     b"    MSEXCH:IMS:EXAMPLE:CAT:STRAYCAT 0 (000C05A6) Unknown Recipient\n",
     [("cat@example.com", None, None, "userunknown")]),
    ("lhost_exchange2007",
     b"From: <postmaster@example.edu>\nSubject: Undeliverable: Hi\nContent-Language: en-US\n\n"
     b"Delivery has failed to these recipients or groups:\n\n"
     b"Diagnostic information for administrators:\n\nGenerating server: mx.example.edu\n\n"
     b"cat@example.edu\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n"
     b"Original message headers:\n\nSubject: Hi\n",
     [("cat@example.edu", "5.1.1", 550, "userunknown")]),
    ("lhost_imailserver",
     b"From: \"Postmaster\" <postmaster@example.org>\nSubject: Undeliverable Mail\n"
     b"X-Mailer: <SMTP32 v8.22>\n\nUnknown user: cat@example.com\n\n"
     b"Original message follows.\n\nSubject: Hi\n",
     [("cat@example.com", None, None, "userunknown")]),
    ("lhost_x2",
     b"From: MAILER-DAEMON@example.com\nSubject: failed delivery\n\n"
     b"Unable to deliver message to the following address(es).\n\n<cat@example.org>:\n"
     b"550 5.1.1 mailbox unavailable\n\n--- Original message follows.\n\nSubject: Hi\n",
     [("cat@example.org", "5.1.1", 550, None)]),
    ("lhost_fml",
     b"From: list-admin@example.org\nSubject: You cat@example.org are not member (list ML)\n"
     b"Message-ID: <200504292334.FMLAAAA.list@example.org>\nX-MLServer: fml [fml 4.0.3]\n\n"
     b"You are not a member of this mailing list <list@example.org>.\n",
     [("list@example.org", None, None, "rejected")]),
    ("lhost_v5sendmail",
     b"From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\n"
     b"Subject: Returned mail: User unknown\n\n"
     b"   ----- Transcript of session follows -----\nWhile talking to smtp.example.org:\n"
     b">>> RCPT To:<cat@example.org>\n<<< 550 <cat@example.org>, User Unknown\n"
     b"550 <cat@example.org>... User unknown\n   ----- Unsent message follows -----\n"
     b"Subject: Hi\n",
     [("cat@example.org", None, 550, None)]),
    ("lhost_mfilter",
     b"From: POSTMASTER <postmaster@example.com>\nSubject: failure notice\n"
     b"X-Mailer: m-FILTER\n\nnotice\ncat@example.com\n-------server message\n"
     b"550 5.1.1 unknown user <cat@example.com>\n-------SMTP command\nRCPT\n"
     b"-------original message\nSubject: Hi\n",
     [("cat@example.com", "5.1.1", 550, None)]),
    ("lhost_mxlogic",
     b"From: Mail Delivery System <Mailer-Daemon@mxlogic.example.net>\n"
     b"Subject: Mail delivery failed: returning message to sender\n"
     b"X-MX-Bounce: mxlogic/bounce\n\n"
     b"This message was created automatically by mail delivery software.\n\n"
     b"A message that you sent could not be delivered to one or more of its\n"
     b"recipients. This is a permanent error. The following address(es) failed:\n\n"
     b"  <cat@example.co.jp>: 550 5.1.1 <cat@example.co.jp>: User unknown\n\n"
     b"Included is a copy of the message header:\n-----------------------------------------\n"
     b"Subject: Hi\n",
     [("cat@example.co.jp", "5.1.1", 550, None)]),
]


@pytest.mark.parametrize("module, data, expected", SMALL_BOUNCES,
                         ids=[c[0] for c in SMALL_BOUNCES])
def test_small_bounces(module, data, expected):
    inquire = next(d.inquire for d in my_dialects() if d.inquire.__module__.endswith(module))
    for newline in (b"\n", b"\r\n"):
        report = inquire(view_of(data.replace(b"\n", newline)))
        assert report is not None
        got = [(r.recipient, r.status, r.reply_code, r.reason) for r in report.recipients]
        assert got == expected


def test_powermta_category_and_status_comment():
    data = (b"From: postmaster@mta.example.net\nSubject: Delivery report\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
            b"--R\nContent-Type: text/plain\n\nHello, this is the mail server on mta.\n"
            b"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mta.example.net\n"
            b"X-PowerMTA-VirtualMTA: mta\n\nFinal-Recipient: rfc822;cat@example.jp\n"
            b"Action: failed\nStatus: 5.2.2 (mailbox full)\n"
            b"Diagnostic-Code: smtp;552 5.2.2 over quota\n"
            b"X-PowerMTA-BounceCategory: quota-issues\n--R--\n")
    from pipeline.dsn.dialects import lhost_powermta
    (r,) = lhost_powermta.inquire(view_of(data)).recipients
    assert (r.recipient, r.status, r.reply_code) == ("cat@example.jp", "5.2.2", 552)
    assert (r.reason, r.reason_rule) == ("mailboxfull", "powermta.quota-issues")
    assert r.diagnostic == "552 5.2.2 over quota (mailbox full)"
    assert r.diagnostic_type == "SMTP"


def test_returned_headers_behind_a_marker_rule_or_an_extra_blank_line():
    mxlogic = next(c[1] for c in SMALL_BOUNCES if c[0] == "lhost_mxlogic")
    from pipeline.dsn.dialects import lhost_mxlogic
    assert lhost_mxlogic.inquire(view_of(mxlogic)).original.subject == "Hi"
    x3 = (b"From: Mail Delivery System <mds@example.com>\n"
          b"Subject: Delivery status notification\nMIME-Version: 1.0\n"
          b"Content-Type: multipart/report; boundary=\"X\"\n\n--X\nContent-Type: text/plain\n\n"
          b"      This is an automatically generated Delivery Status Notification.\n\n"
          b"   * cat@example.com\n\nSMTP:RCPT host 192.0.2.8: 550 5.1.1 no such user\n"
          b"--X\nContent-Type: message/rfc822\n\n\n"          # one blank line too many
          b"Subject: Hello\nFrom: dog@example.org\nMessage-ID: <orig-9@example.org>\n\nbody\n--X--\n")
    original = lhost_x3.inquire(view_of(x3)).original
    assert (original.message_id, original.sender, original.subject) == (
        "orig-9@example.org", "dog@example.org", "Hello")


@pytest.mark.parametrize("filler", [b"x@" * 50000, b"<a@" * 30000, b"a" * 200000,
                                    b"\n" * 200000, b"a." * 100000])
def test_hostile_lines_do_not_stall_the_scanners(filler):
    """Regexes over attacker-controlled lines must stay linear: a regression here shows up
    as this test hanging, not as a timing assertion."""
    heads = [b"Subject: Delivery status notification: error\nFrom: Mailer Daemon <a@b>\n",
             b"From: Mail Delivery System <x@y>\nSubject: Mail delivery failed\n",
             b"Subject: Undelivered Mail Returned to Sender\n", b"Subject: failure notice\n",
             b"Subject: Undeliverable: x\nContent-Language: en\n"]
    starts = [b"    This is the MAILER-DAEMON, please DO NOT REPLY to this\n",
              b"This message was created automatically by mail delivery software.\n",
              b"The mail system\n", b"Hi. This is the qmail-send program\n",
              b"Diagnostic information for administrators:\nGenerating server: "]
    for head, start in zip(heads, starts):
        view = view_of(head + b"\n" + start + filler + b"\n")
        for d in my_dialects():
            d.inquire(view)


def test_exim_delay_warning_is_a_delayed_action():
    data = (b"From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
            b"Subject: Warning: message 1aBcDe-000AbC-Xy delayed 24 hours\n\n"
            b"This message was created automatically by mail delivery software.\n"
            b"A message that you sent has not yet been delivered to one or more of its\n"
            b"recipients after more than 24 hours on the queue on mx.example.com.\n\n"
            b"  cat@example.co.jp\n    host mta.example.co.jp [192.0.2.222]\n"
            b"    Delay reason: SMTP error from remote mail server after MAIL FROM:"
            b"<dog@example.com> SIZE=1024:\n    450 service temporarily unavailable\n\n"
            b"No action is required on your part.\n")
    (r,) = lhost_exim.inquire(view_of(data)).recipients
    assert (r.recipient, r.action, r.reply_code, r.command, r.reason) == (
        "cat@example.co.jp", "delayed", 450, "MAIL", None)


def test_postfix_command_from_an_unindented_wrapped_reply():
    data = (b"From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
            b"Subject: Undelivered Mail Returned to Sender\n\n"
            b"This is the mail system at host mx.example.org.\n\n"
            b"                   The mail system\n\n"
            b"<cat@example.jp>: host mx.example.jp[203.0.113.22] said: 550 5.2.1\n"
            b"<cat@example.jp>... User Unknown (in reply to RCPT TO command)\n")
    (r,) = lhost_postfix.inquire(view_of(data)).recipients
    assert (r.recipient, r.status, r.reply_code, r.command, r.diagnostic_type) == (
        "cat@example.jp", "5.2.1", 550, "RCPT", "SMTP")
