"""Receiving provider override: Deutsche Telekom (t-online.de) (see classify/rhosts).

T-Online's MXs answer a refused client with the client's IP, a sentence and a code in
parentheses; the code is the reason. Sources (each quotes the reply verbatim):
- "(BL)": the IP is on T-Online's block list ("554 IP=<ip> - A problem occurred. (Ask your
  postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)",
  https://www.spamresource.com/2020/06/whoops-t-onlinede-not-accepting-mail.html);
- "(NOWL)": no or bad reputation, not whitelisted ("None/bad reputation. ... (NOWL)",
  https://timmehosting.de/leitfaden-wenn-t-online-e-mails-blockiert-ursachen-und-loesungen);
- "(DIAL)": dial-up / transient IP ("Dialup/transient IP not allowed. ... (DIAL)",
  https://help.creoline.com/de/doc/t-online-554-dialuptransient-ip-not-allowed-zVwMz4z866).
The operator's own description: https://postmaster.t-online.de/index.en.html (section 4.7).
"""
from __future__ import annotations

import re

from . import rhost

HOSTS = (".t-online.de",)
# The contact addresses in every such reply (tosa@, toda@, postmaster@rx.t-online.de).
MARKERS = ("rx.t-online.de",)
CODES = {"bl": "blocked", "dial": "blocked", "nowl": "badreputation"}
_CODE = re.compile(r"\((bl|dial|nowl)\)")


@rhost("telekom", HOSTS, markers=MARKERS)
def find(f):
    found = _CODE.search(f.text)
    if not found:
        return None
    reason = CODES[found.group(1)]
    return reason, f"rhost.telekom.{found.group(1)}"
