"""Receiving provider override: Mimecast (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-mimecast.go (BSD-2-Clause), from Mimecast's SMTP error code
pages (community.mimecast.com "Mimecast SMTP Error Codes"): (reply code, phrase) pairs.
"""
from __future__ import annotations

from . import rhost

HOSTS = (".mimecast.com",)
MESSAGES: dict[str, tuple[tuple[int, str], ...]] = {
    "authfailure": ((550, "spf sender invalid - envelope rejected"),
                    (550, "dkim sender invalid - envelope rejected"),
                    (550, "dmarc sender invalid - envelope rejected")),
    "badreputation": ((451, "internal resources are temporarily unavailable"),
                      (550, "local ct ip reputation - (reject)")),
    "blocked": ((421, "sender address blocked"), (451, "recipient temporarily unavailable"),
                (451, "ip temporarily blacklisted")),
    "expired": ((550, "journal messages past the expiration"),),
    "failedstarttls": ((553, "this route requires encryption (tls)"),
                       (553, "this route requires tls version 1.2 or greater"),
                       (553, "this route requires high-strength ciphers"),
                       (554, "configuration is invalid for this certificate")),
    "mesgtoobig": ((554, "maximum email size exceeded"),),
    "networkerror": ((451, "the incorrect hostname used for inbounds"),
                     (550, "the incorrect hostname used for inbounds"),
                     (554, "mail loop detected")),
    "norelaying": ((451, "open relay not allowed"), (451, "open relay is not allowed")),
    "notaccept": ((451, "account inbounds disabled"),),
    "onhold": ((451, "account outbounds disabled"), (451, "hostname is not authorized"),
               (550, "journal message past expiration")),
    "policyviolation": ((550, "anti-spoofing policy - inbound not allowed"),
                        (550, "rejected by header-based anti-spoofing policy"),
                        (550, "message bounced due to content examination policy"),
                        (554, "host network not allowed"), (554, "host network, not allowed")),
    "rejected": ((550, "administrative prohibition envelope blocked"),
                 (550, "envelope blocked - user entry"),
                 (550, "envelope blocked - user domain entry"),
                 (550, "rejected by header-based manually blocked senders - block for manual "
                       "block"),
                 (550, "rejected by header-based blocked senders - block policy for header "
                       "from"),
                 (550, "envelope rejected - block policy for envelope from address")),
    "securityerror": ((535, "incorrect authentication data"),
                      (550, "submitter failed to disabled"),
                      (550, "submitter failed to authenticate")),
    "systemerror": ((451, "unable to process connection at this time"),
                    (451, "message ended early"), (451, "unable to process command"),
                    (451, "unable to process an email at this time")),
    "toomanyconn": ((451, "account service is temporarily unavailable"),
                    (452, "too many recipients"), (550, "exceeding outbound thread limit")),
    "userunknown": ((501, "invalid address"), (503, "user unknown"),
                    (550, "invalid recipient")),
    "virusdetected": ((554, "email rejected due to security policies"),),
}


# Every Mimecast rejection links its error-code page (community.mimecast.com/docs/DOC-1369).
MARKERS = ("community.mimecast.com",)


@rhost("mimecast", HOSTS, markers=MARKERS)
def find(f):
    if not f.reply_code:
        return None
    for reason, pairs in MESSAGES.items():
        for code, phrase in pairs:
            if f.reply_code == code and phrase in f.text:
                return reason, f"rhost.mimecast.{reason}"
    return None
