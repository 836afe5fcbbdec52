"""KumoMTA JSON log records (one record per Kafka message / HTTP POST / log line).

Sources: https://docs.kumomta.com/reference/log_record/ (fields, record types: corpus
tables/kumomta_record_types.csv); bounce classes https://docs.kumomta.com/reference/kumo/
configure_bounce_classifier/ (tables/kumomta_bounce_classes.csv); the shipped classifier rules
github.com/KumoCorp/kumomta@3ebc1e8 assets/bounce_classifier/iana.toml
(tables/kumomta_iana_rules.csv), applied when a record carries no classification.
Policy: the record `type` decides, refined by `bounce_classification` (corpus README rule 1).
"""
from __future__ import annotations

import re
from typing import Any

from schemas.models import MailEvent

# The webhook kit (one edge, listed in pyproject's import-linter ignores until the kit moves
# below both packages); SignatureScheme comes through it for the same reason.
from pipeline.webhooks.common import EventBuilder, SignatureScheme, obj_field, str_or_none, to_utc

NAME = "kumomta"
ALIASES = ("kumo",)
SIGNATURE = SignatureScheme.none()
DELAY_KINDS = frozenset({"TransientFailure"})
SOURCE_KIND = "mta_log"
PARSER = "mta_log.kumomta"

# iana.toml, in order; first match wins. Matched against "<code> <class.subject.detail> <text>".
IANA_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((cls, re.compile(rx)) for cls, rx in (
    ("InvalidRecipient", r"^(451|550) [45]\.1\.[1234] "),
    ("InvalidRecipient", r"^45[02] [45]\.2\.4 "),
    ("InvalidRecipient", r"^5\d{2} [45]\.7\.17 "),
    ("BadDomain", r"^(451|550) [45]\.1\.10 "),
    ("BadDomain", r"^5\d{2} [45]\.7\.18 "),
    ("InactiveMailbox", r"^(451|550) [45]\.1\.[6] "),
    ("InactiveMailbox", r"^[45]\d{2} [45]\.2\.1 "),
    ("InactiveMailbox", r"^525 [45]\.7\.13 "),
    ("InvalidSender", r"^(451|550) [45]\.1\.[78] "),
    ("InvalidSender", r"^\d{3} [45]\.7\.27 "),
    ("QuotaIssues", r"^552 [45]\.2\.2 "),
    ("QuotaIssues", r"^552 [45]\.2\.3 "),
    ("QuotaIssues", r"^452 [45]\.3\.1 "),
    ("QuotaIssues", r"^55[24] [45]\.3\.4 "),
    ("NoAnswerFromHost", r"^451 [45]\.4\.1 "),
    ("BadConnection", r"^421 [45]\.4\.2 "),
    ("DNSFailure", r"^(451|550) [45]\.4\.3 "),
    ("RoutingErrors", r"^\d{3} [45]\.4\.4 "),
    ("RoutingErrors", r"^\d{3} [45]\.4\.6 "),
    ("TransientFailure", r"^451 [45]\.4\.5 "),
    ("MessageExpired", r"^\d{3} [45]\.4\.7 "),
    ("ProtocolErrors", r"^\d{3} [45]\.5\.\d+ "),
    ("ProtocolErrors", r"^\d{3} [45]\.6\.\d+ "),
    ("AuthenticationFailed",
     r"^5\d{2} [45]\.7\.(0|1|2|3|4|5|6|7|8|9|10|11|12|14|15|19|20|21|22|23|24|25|26|29|30) "),
    ("PolicyRelated", r"^\d{3} [45]\.7\.38 "),
    ("TooManyRecipients", r"^[45]\d{2} [45]\.5\.3 "),
))

# bounce class -> (category, Sisimai reason). tables/kumomta_bounce_classes.csv; None category =
# "by record type" (Uncategorized).
CLASSES: dict[str, tuple[str | None, str | None]] = {
    "InvalidRecipient": ("hard_bounce", "userunknown"), "DNSFailure": ("soft_bounce", "networkerror"),
    "SpamBlock": ("soft_bounce", "blocked"), "SpamContent": ("soft_bounce", "spamdetected"),
    "ProhibitedAttachment": ("soft_bounce", "contenterror"),
    "RelayDenied": ("soft_bounce", "norelaying"), "AutoReply": ("other", "vacation"),
    "TransientFailure": ("soft_bounce", None), "Subscribe": ("other", None),
    "Unsubscribe": ("unsubscribe", "unsubscribe"), "ChallengeResponse": ("other", None),
    "BadConfiguration": ("soft_bounce", "systemerror"),
    "BadConnection": ("soft_bounce", "networkerror"), "BadDomain": ("hard_bounce", "hostunknown"),
    "ContentRelated": ("soft_bounce", "contenterror"),
    "InactiveMailbox": ("hard_bounce", "suspend"), "InvalidSender": ("auth_failure", "rejected"),
    "MessageExpired": ("soft_bounce", "expired"), "NoAnswerFromHost": ("soft_bounce", "networkerror"),
    "PolicyRelated": ("soft_bounce", "policyviolation"),
    "ProtocolErrors": ("soft_bounce", "syntaxerror"), "QuotaIssues": ("soft_bounce", "mailboxfull"),
    "RelayingIssues": ("soft_bounce", "norelaying"), "RoutingErrors": ("soft_bounce", "systemerror"),
    "SpamRelated": ("soft_bounce", "spamdetected"), "VirusRelated": ("soft_bounce", "virusdetected"),
    "AuthenticationFailed": ("auth_failure", "authfailure"),
    "TooManyRecipients": ("soft_bounce", "ratelimited"), "Uncategorized": (None, None),
}
# Record types the classifier refines (kumo-log-types is_bounce_classifiable) and their default.
CLASSIFIED_TYPES = {"Bounce": "hard_bounce", "OOB": "hard_bounce", "TransientFailure": "soft_bounce",
                    "Expiration": "soft_bounce"}
# Types whose category is fixed whatever the classification says (policy 4 and 7).
FIXED_TYPES: dict[str, tuple[str, str | None]] = {
    "Reception": ("other", None), "Delivery": ("delivered", "delivered"),
    "AdminBounce": ("other", None), "Rejection": ("other", None),
    "AdminRebind": ("other", None), "DeferredInjectionRebind": ("other", None),
    "Delayed": ("other", None), "XferOut": ("other", None), "XferIn": ("other", None),
}
_EMBEDDED_REPLY = re.compile(r"\b([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3}) (.*)")
FEEDBACK_TYPES = {"auth-failure": ("auth_failure", "authfailure"), "not-spam": ("other", None)}
RECORD_TYPES = frozenset(CLASSIFIED_TYPES) | frozenset(FIXED_TYPES) | {"Feedback"}


def _unknown_type_record(obj: dict[str, Any]) -> bool:
    """A log record of a type this module does not know (kumod adds types: AdminRebind,
    XferOut ...): every record has id, queue, sender, recipient and a response object."""
    return isinstance(obj.get("response"), dict) and "queue" in obj and "id" in obj \
        and "sender" in obj and "recipient" in obj and "timestamp" in obj


def detect(obj: dict[str, Any]) -> bool:
    rtype = obj.get("type")
    if not isinstance(rtype, str):
        return False
    if rtype not in RECORD_TYPES:
        return _unknown_type_record(obj)
    if rtype == "Feedback" and isinstance(obj.get("feedback_report"), dict):
        return True  # the docs' Feedback example carries only type + feedback_report
    return "id" in obj and ("queue" in obj or "response" in obj or "bounce_classification" in obj)


def classify_response(code: int | None, status: str | None, content: str) -> str:
    """The iana.toml classifier over the response line, as kumod formats it."""
    line = f"{code} {status or ''} {content}" if status else f"{code} {content}"
    for cls, rx in IANA_RULES:
        if rx.search(line):
            return cls
    return "Uncategorized"


def normalize(b: EventBuilder, rec: dict[str, Any], index: int) -> list[MailEvent]:
    rtype = rec["type"]
    response = obj_field(rec, "response", "")
    report = obj_field(rec, "feedback_report", "") if rtype == "Feedback" else {}
    code = response.get("code") if isinstance(response.get("code"), int) else None
    enh = response.get("enhanced_code")
    status = f"{enh['class']}.{enh['subject']}.{enh['detail']}" if isinstance(enh, dict) \
        and {"class", "subject", "detail"} <= enh.keys() else None
    content = str_or_none(response.get("content"))
    cls = str(rec.get("bounce_classification") or "Uncategorized")
    if cls == "Uncategorized" and rtype in CLASSIFIED_TYPES and code:
        cls = classify_response(code, status, content or "")
        embedded = _EMBEDDED_REPLY.search(content or "")
        if cls == "Uncategorized" and embedded:
            # OOB DSNs: kumod keeps the remote's "host X says: 552 5.2.2 ..." inside the
            # content (code falls back to 550), so the real reply is never at the start.
            cls = classify_response(int(embedded.group(1)), embedded.group(2),
                                    embedded.group(3))
    recipients: list[Any]
    if rtype in FIXED_TYPES:
        category, reason = FIXED_TYPES[rtype]
        rule = f"kumomta.{rtype}"
    elif rtype not in RECORD_TYPES:
        category, reason, rule = "other", None, f"kumomta.unknown_type.{rtype}"
    elif rtype == "Feedback":
        ftype = str_or_none(report.get("feedback_type")) or "abuse"
        category, reason = FEEDBACK_TYPES.get(ftype, ("complaint", "feedback"))
        rule = f"kumomta.Feedback.{ftype}"
    else:
        default = CLASSIFIED_TYPES[rtype]
        if rtype == "OOB" and code and code < 500:
            default = "soft_bounce"
        category, reason = CLASSES.get(cls, (None, None))
        if rtype in ("TransientFailure", "Expiration"):
            category = "soft_bounce"  # retried / gave up without a remote verdict (policy 4)
        category = category or default
        rule = f"kumomta.{rtype}.{cls}"
    recipients = _recipients(rec, report)
    meta = obj_field(rec, "meta", "")
    campaign, tenant = _queue_parts(str(rec.get("queue") or ""))
    tags = {k: str(v) for k, v in meta.items() if isinstance(v, (str, int, float))}
    for key in ("egress_pool", "egress_source", "queue", "site"):
        if rec.get(key):
            tags[key] = str(rec[key])
    peer = obj_field(rec, "peer_address", "")
    arf = _arf_fields(report) if report else {}
    tags.update(arf.pop("tags", {}))
    stamp = rec.get("timestamp") or rec.get("event_time") or report.get("arrival_date")
    when = to_utc(stamp, b.received_at)
    event_key = f"{rec.get('id') or arf.get('message_id')}:{stamp}"
    return [b.emit(
        raw_index=index, recipient_index=i, recipient=rcpt, category=category, reason=reason,
        rule=rule, kind=rtype, provider_event_id=event_key, occurred_at=when,
        provider_message_id=str_or_none(rec.get("id")),
        sender=arf.get("sender") or rec.get("sender"),
        status=status, reply_code=code, diagnostic=content,
        remote_mta=str_or_none(peer.get("name")),
        reporting_mta=arf.get("reporting_mta") or str_or_none(rec.get("nodeid")),
        feedback_type=str_or_none(report.get("feedback_type")),
        message_id=arf.get("message_id"), subject=arf.get("subject"),
        campaign=str_or_none(meta.get("campaign")) or campaign,
        tenant=str_or_none(meta.get("tenant")) or tenant or b.tenant,
        stream=str_or_none(rec.get("egress_pool")), tags=tags)
        for i, rcpt in enumerate(recipients)]


def _recipients(rec: dict[str, Any], report: dict[str, Any]) -> list[Any]:
    if report:
        # The envelope recipient is the FBL mailbox; the complainant is in the ARF report.
        extensions = report.get("extensions")
        trace = report.get("supplemental_trace")
        for candidate in (report.get("original_rcpto_to"),
                          extensions.get("removal-recipient") if isinstance(extensions, dict)
                          else None,
                          trace.get("recipient") if isinstance(trace, dict) else None):
            if isinstance(candidate, list) and candidate:
                return list(candidate)
            if isinstance(candidate, str) and candidate:
                return [candidate]
    rcpt = rec.get("recipient")
    if isinstance(rcpt, list):
        return rcpt or [None]
    return [rcpt]


_HEADER = re.compile(r"^(message-id|subject|from):[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)


def _arf_fields(report: dict[str, Any]) -> dict[str, Any]:
    """The RFC 5965 fields of kumod's parsed `feedback_report`: who sent the reported message,
    who reported it, and the original message's Message-ID / Subject (from its headers)."""
    mta = report.get("reporting_mta")
    original = report.get("original_message")
    headers: dict[str, str] = {}
    if isinstance(original, str):
        head = original.split("\n\n", 1)[0][:64 * 1024]
        for name, value in _HEADER.findall(head):
            headers.setdefault(name.lower(), " ".join(value.split()))
    tags = {}
    for key in ("user_agent", "source_ip", "original_envelope_id", "incidents"):
        if isinstance(report.get(key), (str, int)) and not isinstance(report.get(key), bool):
            tags[f"arf_{key}"] = str(report[key])
    for key in ("reported_domain", "reported_uri", "authentication_results"):
        if isinstance(report.get(key), list) and report[key]:
            tags[f"arf_{key}"] = ",".join(str(v) for v in report[key])[:2000]
    return {"sender": str_or_none(report.get("original_mail_from")) or headers.get("from"),
            "reporting_mta": str_or_none(mta.get("name")) if isinstance(mta, dict) else None,
            "message_id": headers.get("message-id"), "subject": headers.get("subject"),
            "tags": tags}


def _queue_parts(queue: str) -> tuple[str | None, str | None]:
    """KumoMTA scheduled queue name `[campaign:][tenant@]domain` -> (campaign, tenant)."""
    campaign = tenant = None
    if ":" in queue:
        campaign, queue = queue.split(":", 1)
    if "@" in queue:
        tenant = queue.rsplit("@", 1)[0]
    return campaign or None, tenant or None
