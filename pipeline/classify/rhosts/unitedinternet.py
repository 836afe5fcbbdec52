"""Receiving provider override: United Internet (GMX, WEB.DE, mail.com) (see classify/rhosts).

Sources (each row's): GMX postmaster "Error messages when sending emails to GMX"
(https://postmaster.gmx.com/en/error-messages): multi-line replies, no enhanced status codes,
"554-IP address is block listed."; the United Internet page of smtp.codes
(https://smtp.codes/unitedinternet/): "Reject due to SPF policy", "Requested action not
taken: mailbox unavailable" (the recipient does not exist). The older "black listed" wording
is the same block (a 2013 report quoted in http://marmaro.de/lue/txt/2013-10-24.txt).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".gmx.net", ".gmx.de", ".gmx.com", ".gmx.at", ".gmx.ch", ".web.de", ".mail.com")
MESSAGES = {
    "authfailure": ("reject due to spf policy",),
    "blocked": ("ip address is block listed", "ip address is black listed"),
    # "554-Transaction failed / 554-Reject due to policy restrictions." with a case link
    # (https://postmaster.gmx.com/en/error-messages): the message broke GMX's policy
    "policyviolation": ("reject due to policy restrictions",),
    "userunknown": ("requested action not taken: mailbox unavailable",),
}


@rhost("unitedinternet", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.unitedinternet.{hit[0]}") if hit else None
