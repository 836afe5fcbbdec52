"""Receiving provider override: Barracuda Email Security Service (see classify/rhosts).

Sources: the Barracuda rows of smtp.codes' 550 page (https://smtp.codes/550): "550 cuda_nsu
5.1.1 <...> Recipient address rejected: User unknown" and "550 No such user (...)" (the mailbox
does not exist), "550 Blocked" (policy), "550 rejecting spoofed message" (brand
impersonation); Barracuda Reputation Block List rejections "blocked using Barracuda
Reputation" (https://luxsci.com/blog/?p=16857, links to bbl.barracudacentral.com).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".barracudanetworks.com", ".cudasvc.com")
MESSAGES = {
    "blocked": ("blocked using barracuda reputation", "barracudacentral.org"),
    "policyviolation": ("rejecting spoofed message",),
    "userunknown": ("cuda_nsu", "no such user"),
}


@rhost("barracuda", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.barracuda.{hit[0]}") if hit else None
