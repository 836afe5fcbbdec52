"""Receiving provider override: Google Workspace relays (GSuite) (classifier override).

Source: go-sisimai rhost/for-gsuite.go (BSD-2-Clause). Case-sensitive phrases, as upstream;
networkerror only for temporary codes, hostunknown only for permanent ones.
"""
from __future__ import annotations

from . import rhost

HOSTS = ("googlemail.com",)
MESSAGES = (
    ("hostunknown", (" responded with code NXDOMAIN", "Domain name not found")),
    ("networkerror", (" had no relevant answers.", "responded with code NXDOMAIN",
                      "Domain name not found")),
    ("notaccept", ("Null MX",)),
    ("userunknown", ("because the address couldn't be found. Check for typos or unnecessary "
                     "spaces and try again.",)),
)


@rhost("gsuite", HOSTS)
def find(f):
    text = f.diagnostic or ""
    status = (f.status or "")[:1]
    reply = str(f.reply_code or "")[:1]
    for reason, phrases in MESSAGES:
        if not any(p in text for p in phrases):
            continue
        if reason == "networkerror" and "5" in (status, reply):
            continue
        if reason == "hostunknown" and (status in ("4", "") or reply in ("4", "")):
            continue
        return reason, f"rhost.gsuite.{reason}"
    return None
