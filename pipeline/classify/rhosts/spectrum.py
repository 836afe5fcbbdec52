"""Receiving provider override: Spectrum / Charter (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-spectrum.go (BSD-2-Clause), from
https://www.spectrumbusiness.net/support/internet/understanding-email-error-codes: the four
digits after "AUP#" (AUP#I1260, AUP#O1010, ...) decide; single codes or inclusive ranges.
Upstream's "blokced" for 1220-1250 is read as blocked here.
"""
from __future__ import annotations

import re

from . import rhost

HOSTS = ("charter.net",)
# (first code, last code, reason)
ERROR_CODES: tuple[tuple[int, int, str], ...] = (
    (1000, 1000, "blocked"), (1010, 1010, "rejected"), (1020, 1080, "rejected"),
    (1090, 1090, "systemerror"), (1100, 1150, "requireptr"), (1160, 1190, "policyviolation"),
    (1200, 1210, "blocked"), (1220, 1250, "blocked"), (1260, 1260, "networkerror"),
    (1300, 1340, "toomanyconn"), (1350, 1490, "speeding"), (1500, 1500, "rejected"),
    (1520, 1520, "rejected"), (1530, 1530, "mesgtoobig"), (1540, 1540, "speeding"),
    (1550, 1550, "speeding"), (1560, 1560, "policyviolation"), (1580, 1580, "speeding"),
)
_CODE = re.compile(r"AUP#\D*(\d{4})")


@rhost("spectrum", HOSTS)
def find(f):
    m = _CODE.search(f.diagnostic or "")
    if not m:
        return None
    code = int(m.group(1))
    for low, high, reason in ERROR_CODES:
        if low <= code <= high:
            return reason, f"rhost.spectrum.{code}"
    return None
