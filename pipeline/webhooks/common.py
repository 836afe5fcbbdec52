"""Shared helpers for webhook / MTA-log normalizers: addresses, times, codes, event building.

Normalizers are pure: (raw, decoded JSON) -> list[MailEvent]. Every value they pass to
`EventBuilder.emit` is already a plain internal value (str/int/datetime), so events are built
without re-validation (`unvalidated_mail_event`, the core of `MailEvent.model_construct`: validation was
most of the normalize profile).
`tests/unit/test_webhook_models.py` fully validates a sample of every provider's output, so a
wrong type or an out-of-vocabulary reason still fails a test.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from schemas.dimensions import normalise_diagnostic, sending_ip, sending_pool
from schemas.models import MailEvent, RawMessage, unvalidated_mail_event
from schemas.vocab import REASONS

from pipeline.errors import BouncepipeError, LimitExceeded, ParseError
from pipeline.mime.headers import fold
from pipeline.version import CLASSIFIER_VERSION

from .contract import SignatureScheme  # noqa: F401  (for pipeline.mta_log: one import edge)

_ANGLE = re.compile(r"<([^<>]*)>")
# "550 5.1.1 text", "smtp; 550-5.1.1 text", "4.2.2 text": reply code and enhanced status.
_REPLY = re.compile(r"(?:^|[\s;(])([245]\d\d)(?:[\s-]|$)")
_STATUS = re.compile(r"(?:^|[\s;(\-\[])([245]\.\d{1,3}\.\d{1,3})(?:\b|$)")

# Enhanced status code -> Sisimai reason (RFC 3463 subjects; same mapping as Sisimai's
# smtp/status table for the codes webhook payloads carry). Most specific first.
STATUS_REASONS: dict[str, str] = {
    "5.1.1": "userunknown", "5.1.0": "userunknown", "5.1.3": "userunknown",
    "5.1.2": "hostunknown", "5.1.10": "hostunknown", "5.1.6": "hasmoved",
    "5.2.1": "suspend", "4.2.1": "suspend",
    "5.2.2": "mailboxfull", "4.2.2": "mailboxfull", "5.2.3": "emailtoolarge",
    "5.3.4": "emailtoolarge", "4.3.1": "systemfull",
    "4.4.7": "expired", "5.4.7": "expired",
    "4.4.1": "networkerror", "4.4.2": "networkerror", "4.4.4": "hostunknown",
    "5.4.4": "hostunknown",
    "5.7.1": "blocked", "4.7.1": "blocked", "5.7.26": "authfailure", "5.7.27": "authfailure",
    "5.7.25": "requireptr", "4.7.25": "requireptr", "5.7.0": "securityerror",
    "4.7.0": "blocked",
}


class SchemaError(ParseError):
    """A known field of a provider's event holds the wrong JSON type or no usable value
    (a string where the provider documents an array, a bounce naming no recipient)."""


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number",
               float: "a number", bool: "a boolean", type(None): "null"}


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def obj_field(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """`obj[key]` when it is a JSON object, {} when absent or null; SchemaError otherwise."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SchemaError(f"{where}{key} is {json_type(value)}, expected an object")
    return value


def list_field(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """`obj[key]` when it is a JSON array, [] when absent or null; SchemaError otherwise
    (never iterate a string: that is one event per character)."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SchemaError(f"{where}{key} is {json_type(value)}, expected an array")
    return value


def values_field(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """A field providers send as a list or as one string (tags, categories): the values as a
    list, [] when absent; SchemaError for an object, number or boolean."""
    value = obj.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise SchemaError(f"{where}{key} is {json_type(value)}, expected an array or a string")
    return value


def text_field(obj: dict[str, Any], key: str, where: str) -> str | None:
    """`obj[key]` as text (numbers as their digits), None when absent or null; SchemaError for
    an object, array or boolean where the provider documents a name or code."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise SchemaError(f"{where}{key} is {json_type(value)}, expected a string")


def item_error(exc: BaseException, provider: str, index: int) -> BouncepipeError:
    """The typed dead-letter reason for one batch item that failed to normalise."""
    if isinstance(exc, SchemaError):
        exc.reason = f"{provider} event {index}: {exc.reason}"
        return exc
    if isinstance(exc, BouncepipeError):
        return exc
    if isinstance(exc, RecursionError):
        return LimitExceeded(f"{provider} event {index} is nested too deeply to read "
                             "(beyond the interpreter's recursion limit)")
    if isinstance(exc, (KeyError, TypeError, AttributeError, ValueError, IndexError)):
        return SchemaError(f"{provider} event {index}: a field holds a JSON type or value "
                           f"the normaliser cannot read ({_what_failed(exc)})")
    return ParseError(f"{provider} event {index} could not be normalised: internal error "
                      f"{type(exc).__name__}: {exc}")


def _what_failed(exc: BaseException) -> str:
    """`<error>, reading <source line>` from the innermost normaliser frame."""
    import linecache
    import traceback
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if "/webhooks/" in frame.filename or "/mta_log/" in frame.filename:
            line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
            where = f", reading `{line[:120]}`" if line else ""
    message = str(exc)[:200]
    return f"{type(exc).__name__}: {message}{where}"


def to_utc(value: Any, fallback: datetime) -> datetime:
    """Epoch seconds / milliseconds (number or numeric string) or ISO 8601 text -> aware UTC."""
    if value is None or value == "":
        return fallback
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str) and value.replace(".", "", 1).isdigit():
            seconds = float(value)
        elif isinstance(value, str):
            parsed = datetime.fromisoformat(_trim_fraction(value))
            return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None \
                else parsed.astimezone(timezone.utc)
        else:
            return fallback
        if seconds > 1e11:  # milliseconds (SendGrid single-send opens, Brevo ts_epoch)
            seconds /= 1000.0
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return fallback


def _trim_fraction(text: str) -> str:
    # Python < 3.12 refuses some long fractions in odd layouts; keep 6 digits.
    dot = text.find(".")
    if dot < 0:
        return text
    end = dot + 1
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[:dot + 1] + text[dot + 1:min(end, dot + 7)] + text[end:] if end - dot > 7 else text


def address(value: Any) -> str | None:
    """Normalised address: display name and angle brackets dropped, lower case."""
    if not value or not isinstance(value, str):
        return None
    if "<" in value:
        found = _ANGLE.findall(value)
        value = found[-1] if found else value.replace("<", "").replace(">", "")
    value = value.strip().lower()
    return value or None


def domain_of(addr: str | None) -> str | None:
    if not addr or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1] or None


def codes(text: Any) -> tuple[int | None, str | None]:
    """(SMTP reply code, enhanced status) found in a diagnostic string."""
    if not isinstance(text, str) or not text:
        return None, None
    reply = _REPLY.search(text)
    status = _STATUS.search(text)
    return (int(reply.group(1)) if reply else None), (status.group(1) if status else None)


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def str_or_none(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def status_reason(status: str | None) -> str | None:
    if not status or not isinstance(status, str):
        return None
    return STATUS_REASONS.get(status)


def flat_tags(mapping: Any, prefix: str = "") -> dict[str, str]:
    """Provider metadata (dict of scalars or lists) -> tags (str -> str)."""
    if not isinstance(mapping, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            continue
        out[f"{prefix}{key}"] = value if isinstance(value, str) else str(value)
    return out


# Mailbox-full wording in a diagnostic (English phrasings MTAs use; checked on hard bounces).
_MAILBOX_FULL = re.compile(
    r"\bover\s+(?:the\s+(?:allowed\s+)?|its\s+|disk\s+)?quota\b|\bquota\s+(?:exceeded|"
    r"violation)|\bexceed(?:s|ed|ing)\s+(?:their|its|the)?\s*(?:mailbox\s+|disk\s+)?quota|"
    r"\bmailbox\s+(?:is\s+)?full\b|\bfull\s+mailbox\b|exceeded\s+storage\s+allocation|"
    r"\binsufficient\s+(?:disk\s+|storage\s+)?space\b", re.I)
def mailbox_full_text(diagnostic: str) -> bool:
    """The diagnostic says the mailbox is full (a cheap word test first: most do not)."""
    low = diagnostic[:2000].lower()
    if "quota" in low or "full" in low or "storage" in low or "space" in low:
        return _MAILBOX_FULL.search(low) is not None
    return False


_BOUNCES = frozenset({"hard_bounce", "soft_bounce"})
_FAILURES = frozenset({"hard_bounce", "soft_bounce", "auth_failure"})
_ACTIONS = {"hard_bounce": "failed", "soft_bounce": "failed", "auth_failure": "failed",
            "delivered": "delivered"}


def engine_reason(status: Any, reply_code: Any, diagnostic: Any, *, given: str | None = None,
                  recipient: str | None = None, remote_mta: Any = None
                  ) -> tuple[str, str] | None:
    """(reason, rule) the DSN engine (pipeline.classify.decide_reason) gives a provider's SMTP
    text, with the reason the provider's own fields gave as the dialect's: a reason Sisimai
    re-checks (userunknown from a 5.1.1 code, expired, undefined ...) yields to what the text
    says ("mailbox full" under 5.1.1 is mailboxfull), a definite one (suppressed, blocked ...)
    stands. None when the text decides nothing."""
    if not isinstance(diagnostic, str) or not diagnostic:
        return None
    return _engine_reason(status if isinstance(status, str) else None,
                          reply_code if type(reply_code) is int else None, diagnostic[:2000],
                          given, domain_of(recipient) if isinstance(recipient, str) else None,
                          remote_mta if isinstance(remote_mta, str) else None)


@lru_cache(maxsize=8192)
def _engine_reason(status: str | None, reply_code: int | None, diagnostic: str,
                   given: str | None, domain: str | None, remote_mta: str | None
                   ) -> tuple[str, str] | None:
    # Cached: providers repeat the same replies (and the engine's answer depends only on
    # these, the recipient through its domain: the receiving-provider overrides).
    diagnostic = fold(diagnostic)  # as the DSN engine reads it
    if not diagnostic:
        return None
    try:
        from pipeline.classify import decide_reason
        from pipeline.classify.reasons import Facts
        reason, rule, _ = decide_reason(Facts(
            recipient=f"x@{domain}" if domain else None, status=status, reply_code=reply_code,
            diagnostic=diagnostic, given_reason=given, given_rule="webhook",
            remote_mta=remote_mta))
    except Exception:  # noqa: BLE001 - a reason is a bonus; the provider's category stands
        return None
    if reason and reason in REASONS and reason not in ("onhold", "undefined") \
            and reason != given:
        return reason, f"text.{rule}"
    return None


# Field defaults of MailEvent (required fields get None here and are always set by emit()).
_DEFAULTS = {name: (None if field.is_required() else field.get_default(call_default_factory=True))
             for name, field in MailEvent.model_fields.items()}


class EventBuilder:
    """Builds MailEvents for one raw input (fields shared by all its events computed once)."""

    __slots__ = ("raw", "provider", "parser", "source_kind", "source", "tenant", "received_at",
                 "delay_kinds", "_template")

    def __init__(self, raw: RawMessage, provider: str, *, parser: str | None = None,
                 source_kind: str = "webhook", delay_kinds: frozenset[str] = frozenset()):
        self.raw = raw
        # The provider's event kinds meaning "still retrying" (a DSN's Action: delayed); kinds
        # shared with a final outcome (Mailgun `failed`, Postmark `Bounce`) pass action= instead.
        self.delay_kinds = delay_kinds
        self.provider = provider
        self.parser = parser or f"webhook.{provider}"
        self.source_kind = source_kind
        self.source = raw.source.label
        self.tenant = raw.tenant
        self.received_at = raw.received_at
        # Every MailEvent field with its default, in declaration order; emit() copies it.
        self._template = dict(_DEFAULTS)
        self._template.update(
            raw_sha256=raw.sha256, raw_index=0, recipient_index=0,
            occurred_at=self.received_at, received_at=self.received_at,
            source_kind=source_kind, source=self.source, parser=self.parser, provider=provider,
            tenant=self.tenant, classifier_version=CLASSIFIER_VERSION)

    def emit(self, *, raw_index: int, category: str, rule: str, kind: str,
             recipient: Any = None, recipient_index: int = 0, occurred_at: datetime | None = None,
             provider_event_id: Any = None, reason: str | None = None,
             sender: Any = None, tags: dict[str, str] | None = None, **fields: Any) -> MailEvent:
        rcpt = address(recipient) if recipient else None
        if category in _BOUNCES and (not rcpt or "@" not in rcpt):
            # As the DSN path: a bounce naming nobody cannot suppress anyone, and one with
            # recipient=None would be invented data; the item becomes a dead letter instead.
            raise SchemaError(f"{kind} {category.replace('_', ' ')} names no usable recipient "
                              f"address (got {json_type(recipient)})")
        event_key = str_or_none(provider_event_id) if provider_event_id is not None else None
        if event_key:
            # The provider's own id is stable across redeliveries (even in another batch);
            # the event kind separates placeholder ids reused across kinds in docs samples.
            event_id = MailEvent.make_id(self.provider, kind, event_key, rcpt)
        else:
            event_id = MailEvent.make_id(self.raw.sha256, raw_index, recipient_index, rcpt)
        if reason is not None and reason not in REASONS:
            reason = None
        diagnostic = fields.get("diagnostic")
        if category in _FAILURES and isinstance(diagnostic, str) and \
                (reason is None or category != "auth_failure"):
            # The DSN engine reads the provider's SMTP text (SendGrid `reason`, Mailgun
            # `delivery-status.message`, SES `diagnosticCode`, SparkPost `raw_reason` ...) as it
            # reads a DSN's Diagnostic-Code, the provider's reason standing as the dialect's.
            found = engine_reason(fields.get("status"), fields.get("reply_code"),
                                  diagnostic, given=reason, recipient=rcpt,
                                  remote_mta=fields.get("remote_mta"))
            if found:
                reason, rule = found[0], f"{rule};{found[1]}"
        if category == "hard_bounce" and reason != "mailboxfull" and \
                isinstance(diagnostic, str) and mailbox_full_text(diagnostic):
            # Text over code (Sisimai; SES and SparkPost class "over quota" as mailbox full):
            # a full mailbox under a generic 5.0.0 or a user-unknown code is still full.
            reason, rule = "mailboxfull", f"{rule};text.mailboxfull"
        if category == "hard_bounce" and reason == "mailboxfull":
            # Corpus policy 3: a full mailbox is never permanent, whatever the code says.
            category, rule = "soft_bounce", f"{rule};policy.mailboxfull_soft"
        elif category in _BOUNCES and reason == "authfailure":
            # Corpus policy 5: the sender failed SPF/DKIM/DMARC (5.7.26, 5.7.27, "DMARC
            # policy"): a sender-side failure that must never suppress the recipient.
            category, rule = "auth_failure", f"{rule};policy.authfailure"
        values = self._template.copy()
        values["event_id"] = event_id
        values["raw_index"] = raw_index
        values["recipient_index"] = recipient_index
        if occurred_at is not None:
            values["occurred_at"] = occurred_at
        values["category"] = category
        values["reason"] = reason
        if rcpt:
            values["recipient"] = rcpt
            values["recipient_domain"] = domain_of(rcpt)
        if sender:
            snd = address(sender)
            values["sender"] = snd
            values["sender_domain"] = domain_of(snd)
        values["provider_event_id"] = event_key
        # DSN-style action: the suppression policy does not count "delayed" (still retrying).
        values["action"] = "delayed" if kind in self.delay_kinds else _ACTIONS.get(category)
        if tags:
            for value in tags.values():
                if type(value) is not str:  # untrusted payload value: tags are str -> str
                    tags = {k: v if type(v) is str else str(v) for k, v in tags.items()
                            if v is not None}
                    break
        values["tags"] = tags or {}
        values["rule"] = rule
        for key, value in fields.items():
            if value is None or value == "":
                continue
            # Payload values are untrusted: the optional fields are text except reply_code.
            if key == "reply_code":
                value = int_or_none(value)
            elif type(value) is not str:
                value = str_or_none(value)
            values[key] = value
        # What MailEvent's validator derives (schemas.dimensions; the template holds None)
        if tags:
            values["sending_pool"] = sending_pool(tags)
            values["sending_ip"] = sending_ip(tags)
        if values["diagnostic"] is not None:
            values["diagnostic_normalised"] = normalise_diagnostic(values["diagnostic"])
        return unvalidated_mail_event(values)


