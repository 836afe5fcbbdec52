"""Closed vocabularies of the contract: categories, source kinds, Sisimai reasons.

Kept as data so the classifier, the lake and the JSON Schemas all speak the same words.
"""
from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Coarse outcome of one event for one recipient. Drives suppression."""

    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    AUTH_FAILURE = "auth_failure"
    UNSUBSCRIBE = "unsubscribe"
    DELIVERED = "delivered"
    ENGAGEMENT = "engagement"
    OTHER = "other"


class SourceKind(StrEnum):
    """Which family of input an event came from."""

    DSN = "dsn"                      # delivery status notification (any MTA dialect)
    ARF = "arf"                      # feedback-loop report (RFC 5965 and variants)
    AUTOREPLY = "autoreply"          # RFC 3834 auto-replies / vacation messages
    DMARC_FAILURE = "dmarc_failure"  # DMARC failure (ruf) reports
    WEBHOOK = "webhook"              # ESP webhook payloads
    MTA_LOG = "mta_log"              # MTA log records (KumoMTA, ...)


# Sisimai's reason vocabulary (go-sisimai, 2025-02), plus the names later releases introduced.
# class: which categories a reason can lead to (see classify/ for the rule).
SISIMAI_REASONS: dict[str, str] = {
    "authfailure": "auth",
    "badreputation": "soft",
    "blocked": "soft",
    "contenterror": "soft",
    "delivered": "other",
    "emailtoolarge": "soft",   # later name of mesgtoobig
    "exceedlimit": "soft",
    "expired": "soft",
    "failedstarttls": "soft",
    "feedback": "complaint",
    "filtered": "soft",
    "hasmoved": "hard",
    "hostunknown": "hard",
    "mailboxfull": "soft",
    "mailererror": "soft",
    "mesgtoobig": "soft",
    "networkerror": "soft",
    "norelaying": "soft",
    "notaccept": "hard",
    "notcompliantrfc": "soft",
    "onhold": "soft",
    "policyviolation": "soft",
    "ratelimited": "soft",     # later name of speeding / toomanyconn
    "rejected": "soft",
    "requireptr": "soft",
    "securityerror": "soft",
    "spamdetected": "soft",
    "speeding": "soft",
    "suppressed": "soft",
    "suspend": "soft",
    "syntaxerror": "soft",
    "systemerror": "soft",
    "systemfull": "soft",
    "toomanyconn": "soft",
    "undefined": "soft",
    "userunknown": "hard",
    "vacation": "other",
    "virusdetected": "soft",
}

# Reasons bouncepipe adds for events Sisimai never sees (webhooks, engagement, unsubscribes).
EXTRA_REASONS: dict[str, str] = {
    "unsubscribe": "other",
    "open": "other",
    "click": "other",
    "sent": "other",
    "notabounce": "other",
    "dmarcfailure": "auth",
}

REASONS: frozenset[str] = frozenset(SISIMAI_REASONS) | frozenset(EXTRA_REASONS)

# Sisimai's hard-bounce rule: only these reasons may be hard (notaccept only when permanent).
HARD_REASONS: frozenset[str] = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})
