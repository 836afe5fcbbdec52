"""Receiving provider override: NetEase (163.com, 126.com, yeah.net) (see classify/rhosts).

NetEase's MXs put a code of two groups of letters after the reply code ("554 DT:SPM 163
mx14,...", "450 DT:RBL ..."), followed by its help link (mail.163.com/help/help_spam_16.htm,
whatever the reason). Source: NetEase's bounce-code list, quoted in full at
https://biecuoliao.com/pa/MBRrwEM.html (each code with its meaning, in Chinese): DT:SPM the
content looks like spam; DT:RBL the IP is on one or more RBLs; HL:REP many unknown
recipients, HL:MEP forged sender domains, WM:BLI the IP is not on NetEase's allowed list
(the IP is blocked for its behaviour); HL:ICC too many concurrent connections, MI:DMC /
RP:DRC too many messages / recipients per connection; HL:IFC, MI:SFQ too much mail in a
short time.
"""
from __future__ import annotations

import re

from . import rhost

HOSTS = (".163.com", ".126.com", ".yeah.net", ".netease.com")
MARKERS = ("mail.163.com/help/",)
CODES = {
    "dt:spm": "spamdetected",
    "dt:rbl": "blocked", "hl:rep": "blocked", "hl:mep": "blocked", "wm:bli": "blocked",
    "hl:icc": "toomanyconn", "mi:dmc": "toomanyconn", "rp:drc": "toomanyconn",
    "hl:ifc": "speeding", "mi:sfq": "speeding",
}
_CODE = re.compile(r"\b(dt:spm|dt:rbl|hl:rep|hl:mep|wm:bli|hl:icc|mi:dmc|rp:drc|hl:ifc|mi:sfq)\b")


@rhost("netease", HOSTS, markers=MARKERS)
def find(f):
    found = _CODE.search(f.text)
    if not found:
        return None
    code = found.group(1)
    return CODES[code], f"rhost.netease.{code.replace(':', '-')}"
