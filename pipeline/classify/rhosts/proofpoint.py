"""Receiving provider override: Proofpoint (hosted MX *.pphosted.com, Essentials) (see classify/rhosts).

Sources: Proofpoint Dynamic Reputation blocks answer "554 5.7.0 Blocked - see
https://ipcheck.proofpoint.com/?ip=..." (older: "https://support.proofpoint.com/dnsbl-lookup")
(https://ipcheck.proofpoint.com/; described in
https://excelmicro.kayako.com/article/29-proofpoint-dynamic-reputation-pdr-ip-blocklisting-and-ip-address-removal);
Proofpoint Essentials' SPF rejection "550 5.7.1 Message rejected per sender's SPF policy"
(https://www.404andmore.com/proofpoint-essentials-fixing-the-550-5-7-1-spf-rejected-error/).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".pphosted.com", ".ppe-hosted.com")
MESSAGES = {
    "authfailure": ("rejected per sender's spf policy",),
    "blocked": ("ipcheck.proofpoint.com", "support.proofpoint.com/dnsbl-lookup"),
}


@rhost("proofpoint", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.proofpoint.{hit[0]}") if hit else None
