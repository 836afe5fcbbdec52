"""Receiving-provider reply tables (pipeline/classify/rhosts): each provider's documented reply
decides the reason, found by the recipient's domain or the remote MTA host, and wins over a
sending MTA's generic "retry timeout exceeded" (the dialect's `expired`)."""
from __future__ import annotations

import pytest

from pipeline.classify import Facts, classify

CASES = [
    # (recipient, remote MTA, status, reply, command, diagnostic, category, reason, provider)
    ("a@gmx.de", "mx00.emig.gmx.net", "5.0.0", 554, "CONN",
     "554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service "
     "554-IP address is block listed. 554 For explanation visit https://postmaster.gmx.net/",
     "soft_bounce", "blocked", "unitedinternet"),
    ("a@web.de", None, "5.0.0", 550, "RCPT",
     "550 <a@web.de>: Reject due to SPF policy. The originating IP of the message is not "
     "permitted by the domain owner", "auth_failure", "authfailure", "unitedinternet"),
    ("a@mail.ru", "mxs.mail.ru", "5.0.0", 550, "DATA",
     "550 Message was not accepted -- invalid mailbox. Local mailbox a@mail.ru is unavailable:"
     " account is disabled", "soft_bounce", "suspend", "mailru"),
    ("a@bk.ru", None, "5.0.0", 550, "DATA", "550 spam message rejected. Please visit ...",
     "soft_bounce", "spamdetected", "mailru"),
    ("a@yandex.ru", "mx.yandex.ru", "5.7.1", 554, "DATA",
     "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc",
     "soft_bounce", "spamdetected", "yandex"),
    ("a@yandex.ru", None, "5.2.1", 550, "RCPT", "550 5.2.1 Policy rejection on the target address",
     "soft_bounce", "suspend", "yandex"),
    ("a@comcast.net", "mx1.comcast.net", "5.0.0", 554, "CONN",
     "554 resimta-po-01v.sys.comcast.net resimta comcast 192.0.2.1 Comcast block for spam. "
     "Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000010",
     "soft_bounce", "blocked", "comcast"),
    ("a@corp.example.com", "mx0a-00000000.pphosted.com", "5.7.0", 554, "CONN",
     "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1",
     "soft_bounce", "blocked", "proofpoint"),
    ("a@corp.example.org", "d123.ess.barracudanetworks.com", "5.1.1", 550, "RCPT",
     "550 cuda_nsu 5.1.1 <a@corp.example.org>: Recipient address rejected: User unknown",
     "hard_bounce", "userunknown", "barracuda"),
    ("a@corp.example.net", "route1.mx.cloudflare.net", "5.7.1", 550, "RCPT",
     "550 5.7.1 [192.0.2.1] found on one or more DNSBLs", "soft_bounce", "blocked",
     "cloudflare"),
    ("a@zoho.com", "mx.zoho.com", "5.1.1", 550, "RCPT",
     "550 5.1.1 User does not exist - <a@zoho.com>", "hard_bounce", "userunknown", "zoho"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[-1]}-{c[-2]}")
def test_provider_reply_decides(case):
    recipient, remote, status, reply, command, diag, category, reason, provider = case
    verdict = classify(Facts(recipient=recipient, remote_mta=remote, status=status,
                             reply_code=reply, command=command, diagnostic=diag,
                             diagnostic_type="SMTP"))
    assert (verdict.category, verdict.reason, verdict.provider) == (category, reason, provider)
    assert verdict.rule == f"rhost.{provider}.{reason}"


def test_retry_timeout_does_not_win_over_the_providers_reason():
    # Exim: "retry timeout exceeded" (the dialect's expired), but GMX said why
    verdict = classify(Facts(
        recipient="a@gmx.net", remote_mta="mx01.emig.gmx.net", status="4.0.0", reply_code=554,
        diagnostic="retry timeout exceeded host mx01.emig.gmx.net [212.227.15.9]: 554-gmx.net "
                   "(mxgmx117) Nemesis ESMTP Service not available 554-No SMTP service "
                   "554-IP address is block listed.",
        diagnostic_type="SMTP", given_reason="expired", given_rule="exim.expired"))
    assert (verdict.reason, verdict.provider) == ("blocked", "unitedinternet")


@pytest.mark.parametrize("diag", [
    "550 5.7.1 SPF check failed", "550 5.7.1 Sender address rejected: SPF fail - not authorized",
    "550 SPF: 192.0.2.1 is not allowed to send mail from example.com",
    "554 5.7.1 DKIM signature verification failed",
    "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification",
])
def test_authentication_rejections_are_auth_failures(diag):
    verdict = classify(Facts(recipient="a@example.org", status="5.7.1", reply_code=550,
                             command="RCPT", diagnostic=diag, diagnostic_type="SMTP"))
    assert (verdict.category, verdict.reason) == ("auth_failure", "authfailure")


@pytest.mark.parametrize("diag, status, command, reason", [
    ("554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service "
     "554-IP address is block listed.", "5.0.0", "CONN", "blocked"),
    ("550 <a@web.de>: Reject due to SPF policy. The originating IP of the message is not "
     "permitted by the domain owner", "5.0.0", "RCPT", "authfailure"),
    ("550 Message was not accepted -- invalid mailbox. Local mailbox a@mail.ru is "
     "unavailable: account is disabled", "5.0.0", "RCPT", "suspend"),
    ("554 5.7.1 [2] Message rejected under suspicion of SPAM", "5.7.1", "DATA", "spamdetected"),
    ("550 5.2.1 Policy rejection on the target address", "5.2.1", "RCPT", "suspend"),
    ("550 5.7.1 [192.0.2.1] found on one or more DNSBLs", "5.7.1", "RCPT", "blocked"),
])
def test_documented_provider_replies_read_without_the_providers_host(diag, status, command,
                                                                     reason):
    # a relay or a test server in front: no provider host to pick a table by, the generic
    # phrase tables must still read the provider's documented wording
    verdict = classify(Facts(recipient="a@example.test", remote_mta="127.0.0.1",
                             status=status, reply_code=int(diag[:3]), command=command,
                             diagnostic=diag, diagnostic_type="SMTP"))
    assert verdict.reason == reason and verdict.provider is None


def _verdict(recipient, remote, status, reply, command, diagnostic):
    return classify(Facts(recipient=recipient, remote_mta=remote, status=status,
                          reply_code=reply, command=command, diagnostic=diagnostic,
                          diagnostic_type="SMTP"))


@pytest.mark.parametrize("code,reason", [("BL", "blocked"), ("DIAL", "blocked"),
                                         ("NOWL", "badreputation")])
def test_telekom_code_in_parentheses_decides(code, reason):
    verdict = _verdict("a@t-online.de", None, "5.0.0", 554, "RCPT",
                       f"554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or "
                       f"to contact tosa@rx.t-online.de to clarify.) ({code})")
    assert (verdict.category, verdict.reason, verdict.provider) == ("soft_bounce", reason, "telekom")
    assert verdict.rule == f"rhost.telekom.{code.lower()}"


@pytest.mark.parametrize("code,reason", [("DT:SPM", "spamdetected"), ("DT:RBL", "blocked"),
                                         ("HL:ICC", "toomanyconn"), ("MI:SFQ", "speeding")])
def test_netease_code_decides_over_the_spam_help_link(code, reason):
    # every NetEase rejection links help_spam_16.htm, which Sisimai's spam table claims
    verdict = _verdict("a@163.com", None, "5.0.0", 554, "RCPT",
                       f"554 {code} 163 mx14,QMCowAAH_0Ab2dNlAA--.1 1708392475,please see "
                       "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1&hostid=mx14")
    assert (verdict.reason, verdict.provider) == (reason, "netease")


@pytest.mark.parametrize("recipient,status,reply,diagnostic,reason,provider", [
    # a Google Workspace customer's own domain, the DSN naming only a relay: "gsmtp" says Gmail
    ("a@customer.example", "5.4.6", 554,
     "554 5.4.6 Message exceeded 50 hops, this may indicate a mail loop. - gsmtp",
     "networkerror", "google"),
    ("a@customer.example", "5.2.122", 550,
     "550 5.2.122 The recipient has exceeded their limit for the number of messages they can "
     "receive per hour. For more information go to https://go.microsoft.com/fwlink/?LinkId=526653",
     "toomanyconn", "microsoft"),
    ("a@customer.example", "4.0.0", 451,
     "451 IP temporarily blacklisted - https://community.mimecast.com/docs/DOC-1369#451",
     "blocked", "mimecast"),
])
def test_documented_reply_marker_picks_the_provider_when_no_host_does(
        recipient, status, reply, diagnostic, reason, provider):
    verdict = _verdict(recipient, "relay.customer.example", status, reply, "RCPT", diagnostic)
    assert (verdict.reason, verdict.provider) == (reason, provider)


def test_a_host_match_wins_over_a_marker():
    # the remote host is Yandex's although the text quotes a Gmail reply
    verdict = _verdict("a@yandex.ru", "mx.yandex.ru", "5.7.1", 554, "DATA",
                       "554 5.7.1 Message rejected under suspicion of SPAM (was: ... - gsmtp)")
    assert verdict.provider == "yandex"


def test_yahoo_is_not_picked_by_its_error_page_link():
    # Sisimai reads TSS04 as Yahoo's "rejected" only from Yahoo's own hosts; quoted by another
    # host it is badreputation (public corpus lhost-qmail-19)
    verdict = _verdict("a@example.net", "mx.example.net", "4.7.0", 421, "RCPT",
                       "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to "
                       "unexpected volume or user complaints - 4.16.55.1; see "
                       "https://postmaster.yahooinc.com/error-codes")
    assert (verdict.reason, verdict.provider) == ("badreputation", None)
