"""Receiving provider override: Cloudflare Email Routing (see classify/rhosts).

Source: go-sisimai rhost/for-cloudflare.go (BSD-2-Clause), from Cloudflare's Email Routing
postmaster page (https://developers.cloudflare.com/email-routing/postmaster/).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".mx.cloudflare.net",)
MESSAGES = {
    "blocked": ("found on one or more dnsbls",),
    "systemerror": ("upstream error",),
}


@rhost("cloudflare", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.cloudflare.{hit[0]}") if hit else None
