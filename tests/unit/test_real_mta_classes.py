"""The classes of input the real-MTA DSNs (tests/fixtures/bounces/real_mta/) showed misread,
each asserted on more than the harness's own replies: the SMTP command named in an error text,
OpenSMTPD's command-less notice, Exim's "retry timeout exceeded" after a remote reply, and the
receivers' documented wordings read under any host (a relay or test server in front)."""
from __future__ import annotations

import pytest

from pipeline.classify import classify
from pipeline.classify.reasons import Facts
from pipeline.core import process_bytes
from pipeline.dsn.dialects.kit import command_in


@pytest.mark.parametrize("text, command", [
    # prose and host names are not commands (they used to read as MAIL)
    ("SMTP error from remote mail server after RCPT TO:<a@b.example>: 554 delivery error: dd "
     "This user doesn't have a yahoo.com account - mta1012.mail.gq1.yahoo.com", "RCPT"),
    ("SMTP error from remote mail server after end of data: 451 4.3.0 Mail server "
     "temporarily rejected message", "DATA"),
    ("after RCPT TO:<a@b.example>: The user is receiving mail too quickly", "RCPT"),
    ("we do not accept mail from dynamic ips", None),
    ("550 5.1.1 DATABASE@EXAMPLE.JP unknown", None),
    ("Mail server temporarily rejected message", None),
    # the forms MTAs write
    ("(in reply to MAIL FROM command)", "MAIL"),
    ("(in reply to end of DATA command)", "DATA"),
    ("SMTP error from remote mail server after pipelined MAIL FROM:<a@b.example> SIZE=12",
     "MAIL"),
    (">>> RCPT To:<a@b.example>", "RCPT"),
    ("rcpt to: <a@b.example> 550 no such user", "RCPT"),
    ("RCPT h", "RCPT"),
    ("EHLO x", "EHLO"),
    # several named: the session's latest (Sisimai::SMTP::Command `find`)
    ("MAIL FROM:<a@b.example> 250 OK RCPT TO:<c@d.example> 550", "RCPT"),
    ("RCPT TO:<c@d.example> 250 OK DATA 354 go ahead . 554 rejected", "DATA"),
])
def test_command_named_in_an_error_text(text, command):
    assert command_in(text) == command


def opensmtpd_notice(rcpt: str, reply: str) -> bytes:
    """OpenSMTPD 6.x's bounce (smtpd/bounce.c): notice, "rcpt: reply" line, a delivery-status
    part with only a class status, the returned headers."""
    return (
        "Subject: Delivery status notification: failed\n"
        "From: Mailer Daemon <MAILER-DAEMON@mx.example.org>\n"
        "To: sender@example.org\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed;boundary="b1/mx.example.org"\n\n'
        "--b1/mx.example.org\nContent-Type: text/plain; charset=us-ascii\n\n"
        "    Hi!\n\n"
        "    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
        "    An error has occurred while attempting to deliver a message for\n"
        "    the following list of recipients:\n\n"
        f"{rcpt}: {reply}\n\n"
        "    Below is a copy of the original message:\n\n"
        "--b1/mx.example.org\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: 5.0.0\n\n"
        "--b1/mx.example.org\nContent-Type: text/rfc822-headers\n\n"
        "From: sender@example.org\nSubject: hello\nMessage-ID: <m1@example.org>\n\n"
        "--b1/mx.example.org--\n").encode()


@pytest.mark.parametrize("reply, category, reason", [
    # user-unknown texts with codes that do not say so: the text decides (was filtered)
    ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     "hard_bounce", "userunknown"),
    ("550 5.7.1 No such user!", "hard_bounce", "userunknown"),
    ("550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
     "hard_bounce", "userunknown"),
    ("550 Requested action not taken: mailbox unavailable", "hard_bounce", "userunknown"),
    # what the notice said before still holds
    ("550 5.1.1 <a@example.net>... User Unknown", "hard_bounce", "userunknown"),
    ("550 5.2.2 <a@example.net>... Mailbox Full", "soft_bounce", "mailboxfull"),
    ("550 5.7.1 Message rejected due to user rules", "soft_bounce", "filtered"),
])
def test_opensmtpd_notice_without_a_command(reply, category, reason):
    events = process_bytes(opensmtpd_notice("a@example.net", reply)).events
    assert [(e.recipient, e.category, e.reason) for e in events] == [
        ("a@example.net", category, reason)]


def test_without_a_command_other_dialects_keep_sisimais_filtered():
    # go-sisimai's rule where the command is unknown and the MTA could have named it
    verdict = classify(Facts(recipient="a@example.net", status="5.0.0", reply_code=550,
                             diagnostic="550 Invalid Recipient", dialect="lhost-x1"))
    assert verdict.reason == "filtered"


@pytest.mark.parametrize("diag, reason", [
    ("host mx.example.net [192.0.2.1] SMTP error from remote mail server after end of data: "
     "451 4.3.0 Mail server temporarily rejected message. - gsmtp: retry timeout exceeded",
     "systemerror"),
    ("host mx.example.net [192.0.2.1] SMTP error from remote mail server after RCPT TO:"
     "<a@example.net>: 450 4.2.1 The user you are trying to contact is receiving mail too "
     "quickly: retry timeout exceeded", "speeding"),
    # the reply says nothing the tables know: retrying stopped is what is left
    ("host mx.example.net [192.0.2.1] SMTP error from remote mail server after RCPT TO:"
     "<a@example.net>: 451 try later: retry timeout exceeded", "expired"),
])
def test_exim_retry_timeout_after_a_reply_yields_to_the_reply(diag, reason):
    facts = Facts(recipient="a@example.net", status="4.0.0", diagnostic=diag,
                  given_reason="expired", given_rule="exim.expired.after-reply")
    assert classify(facts).reason == reason


def test_exim_retry_timeout_after_a_security_reply_keeps_its_status_subject():
    # a 4.7.x reply no table knows: "security or policy", as in Postfix's DSN for it
    facts = Facts(recipient="a@example.net", status="4.7.0",
                  diagnostic="host mx.example.net [192.0.2.1] SMTP error from remote mail server "
                             "after RCPT TO:<a@example.net>: 451 4.7.0 Try again later, closing "
                             "connection: retry timeout exceeded",
                  given_reason="expired", given_rule="exim.expired.after-reply")
    assert (classify(facts).reason, classify(facts).rule) == ("securityerror", "status.4.7.x")


def test_exim_retry_timeout_alone_is_expired():
    facts = Facts(recipient="a@example.net", status="4.0.0", diagnostic="retry timeout exceeded",
                  given_reason="expired", given_rule="exim.expired")
    assert (classify(facts).category, classify(facts).reason) == ("soft_bounce", "expired")


@pytest.mark.parametrize("diag, status, command, category, reason", [
    ("550 Benutzer hat das Speichervolumen ueberschritten. / User has exhausted allowed "
     "storage space.", "5.0.0", "RCPT", "soft_bounce", "mailboxfull"),
    ("550 5.7.1 This message violates example.com email policy. - gcdp 4a2b - gsmtp", "5.7.1",
     "DATA", "soft_bounce", "policyviolation"),
    ("450 4.2.1 The user you are trying to contact is receiving mail too quickly.", "4.2.1",
     "RCPT", "soft_bounce", "speeding"),
    ("450 4.7.1 <a@example.net>: Recipient address rejected: Rate limit exceeded, try again "
     "later", "4.7.1", "RCPT", "soft_bounce", "speeding"),
    ("421 4.7.0 Connection rate limit exceeded", "4.7.0", "CONN", "soft_bounce",
     "toomanyconn"),
    ("451 4.3.0 Mail server temporarily rejected message. - gsmtp", "4.3.0", "DATA",
     "soft_bounce", "systemerror"),
    ("550 Rejected by header based Anti-Spoofing policy: a@example.org", "5.0.0", "DATA",
     "soft_bounce", "policyviolation"),
    # authentication wordings whose status codes read otherwise (5.7.27 is RFC 7505's null MX)
    ("550 5.7.27 Your email has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with SPF.", "5.7.27", "DATA", "auth_failure",
     "authfailure"),
    ("550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo "
     "requires all senders to authenticate with either SPF or DKIM.", "5.7.9", "DATA",
     "auth_failure", "authfailure"),
    ("550 #5.7.1 SPF unauthorized mail is prohibited.", "5.7.1", "RCPT", "auth_failure",
     "authfailure"),
    ("550 DMARC Sender Invalid - envelope rejected - https://example.net/", "5.0.0", "DATA",
     "auth_failure", "authfailure"),
    ("550 5.7.20 No passing DKIM signature found", "5.7.20", "DATA", "auth_failure",
     "authfailure"),
    ("554 5.7.1 Spam message rejected", "5.7.1", "DATA", "soft_bounce", "spamdetected"),
    ("550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain", "5.7.54", "RCPT",
     "soft_bounce", "norelaying"),
    ("553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying "
     "will NOT succeed.", "5.7.2", "RCPT", "soft_bounce", "blocked"),
    ("550 5.7.1 [2001:db8::25] Our system has detected that this message does not meet IPv6 "
     "sending guidelines regarding PTR records and authentication.", "5.7.1", "DATA",
     "soft_bounce", "requireptr"),
    # text over code: a 5.1.x status whose text says the address exists and refuses the sender
    ("550 5.1.0 0bcW1i00G0jifNx01bcmHa blocked by SPF", "5.1.0", "DATA", "auth_failure",
     "authfailure"),
    ("550 5.1.1 <a@example.org> sender is blacklisted", "5.1.1", "RCPT", "soft_bounce",
     "blocked"),
    ("550 5.7.1 Recipient doesn't want your mail", "5.7.1", "RCPT", "soft_bounce", "blocked"),
])
def test_receivers_wordings_under_any_host(diag, status, command, category, reason):
    verdict = classify(Facts(recipient="a@example.net", remote_mta="192.0.2.1", status=status,
                             reply_code=int(diag[:3]), command=command, diagnostic=diag,
                             diagnostic_type="SMTP"))
    assert (verdict.category, verdict.reason) == (category, reason)


def test_opensmtpd_multiline_reply_lines_are_separated_again():
    # mta_io() glued the lines and kept the two-digit enhanced code of each further line
    glued = ("550-5.7.26 Unauthenticated email from example.org is not accepted due to "
             "domain's5.7.26 DMARC policy. Please contact the administrator of example.org "
             "domain if5.7.26 this was a legitimate mail.")
    [event] = process_bytes(opensmtpd_notice("a@gmail.com", glued)).events
    assert "domain's DMARC policy" in event.diagnostic and "5.7.26 this" not in event.diagnostic
    assert (event.category, event.reason, event.status) == (
        "auth_failure", "authfailure", "5.7.26")
