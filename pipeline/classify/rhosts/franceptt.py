"""Receiving provider override: Orange / La Poste (FrancePTT) (classifier override).

Source: go-sisimai rhost/for-franceptt.go (BSD-2-Clause), citing
https://www.postmastery.com/orange-postmaster-smtp-error-codes-ofr/ and
https://smtpfieldmanual.com/provider/orange: the number after an LPN/LPNAAA/OFR/OUK label
(e.g. `LPN007_416`) decides.
"""
from __future__ import annotations

import re

from . import first_phrase, rhost

HOSTS = (".laposte.net", ".orange.fr", ".wanadoo.fr")
ERROR_CODES = {
    "101": "blocked", "102": "blocked", "103": "blocked", "104": "toomanyconn",
    "305": "securityerror", "401": "authfailure", "402": "securityerror", "403": "rejected",
    "405": "rejected", "415": "rejected", "416": "userunknown", "417": "mailboxfull",
    "420": "suspend", "421": "rejected", "426": "suspend", "505": "systemerror",
    "506": "spamdetected", "510": "blocked", "514": "mesgtoobig", "517": "authfailure",
    "630": "policyviolation", "999": "blocked",
}
MESSAGES = {"authfailure": ("spf/dns de votre nom de domaine",)}
_LABEL = re.compile(r"(?:lpnaaa|lpn|ofr|ouk)[-_]?\d*[-_](\d{3})\b", re.I)


@rhost("franceptt", HOSTS)
def find(f):
    codes = _LABEL.findall(f.diagnostic or "")
    if codes:
        code = codes[-1]
        if code in ERROR_CODES:
            return ERROR_CODES[code], f"rhost.franceptt.{code}"
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.franceptt.{hit[0]}") if hit else None
