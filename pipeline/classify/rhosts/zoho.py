"""Receiving provider override: Zoho Mail (see classify/rhosts).

Source: go-sisimai rhost/for-zoho.go (BSD-2-Clause), which cites Zoho's "Reasons an email is
marked as Spam" (https://www.zoho.com/mail/help/spam-reason.html), Zoho Desk's
EmailFailureAlert API description
(https://github.com/zoho/zohodesk-oas/blob/main/v1.0/EmailFailureAlert.json) and
https://smtpfieldmanual.com/provider/zoho.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".zoho.com", ".zoho.eu", ".zoho.in", ".zoho.com.au", ".zohomail.com")
MESSAGES = {
    "authfailure": ("email rejected per dmarc policy",),
    "blocked": ("greylisted, try again after some time",),
    "rejected": ("email cannot be delivered. reason: email flagged as spam",
                 "mail rejected by destination domain"),
    "policyviolation": ("email policy violation detected",
                        "mailbox delivery restricted by policy error"),
    "systemerror": ("temporary system error",),
    "userunknown": ("user does not exist",),
    "virusdetected": (" detected by zoho mail",),
}


@rhost("zoho", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.zoho.{hit[0]}") if hit else None
