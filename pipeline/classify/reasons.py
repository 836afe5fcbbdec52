"""Reason detection from status code + diagnostic text (go-sisimai `reason/find.go` logic).

`find_reason(facts)` runs the per-reason probes in go-sisimai's `classorder[0]`, then the
fallback (`anotherone`): phrase tables in `classorder[1]`, the status code's reason, the
status subject (X.6 contenterror, X.7 securityerror), X-UNIX mailer errors, syntax errors,
delayed/expired actions and HELO rejections. Phrase tables: `phrases.py` (data).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .phrases import included
from .status_map import status_reason


@dataclass
class Facts:
    """What the classifier looks at for one recipient (already cleaned by the engine)."""

    recipient: str | None = None
    status: str | None = None           # preferred enhanced status code
    reply_code: int | None = None
    diagnostic: str | None = None       # folded diagnostic text
    diagnostic_type: str = ""           # "SMTP", "X-UNIX", "" ...
    action: str | None = None
    command: str | None = None          # RCPT, DATA, MAIL, HELO/EHLO, CONN
    remote_mta: str | None = None
    reporting_mta: str | None = None
    given_reason: str | None = None     # the dialect's reason
    given_rule: str | None = None
    feedback_type: str | None = None
    dialect: str | None = None
    provider: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Lower-case text the phrase tables look at, computed once: the diagnostic, preceded
        by the bounce's human-readable lead-in when the parser kept one (extra["lead-in"],
        single-recipient RFC 3464 bounces, as go-sisimai rfc3464/lib.go does) and the
        diagnostic is not already part of it."""
        cached = self.__dict__.get("_text")
        if cached is None:
            cached = (self.diagnostic or "").lower()
            lead = (self.extra.get("lead-in") or "").lower()
            if lead:
                cached = lead if cached and cached in lead else f"{lead} {cached}".strip()
            self.__dict__["_text"] = cached
        return cached


def _inc(name: str, f: Facts) -> bool:
    """Does `name`'s phrase table match the diagnostic? Memoised per Facts: the probes ask
    about the same tables several times."""
    memo = f.__dict__.setdefault("_included", {})
    hit = memo.get(name)
    if hit is None:
        hit = memo[name] = included(name, f.text) is not None
    return hit


def _given(name: str, f: Facts) -> bool:
    return f.given_reason == name


def _status_or_phrase(name: str):
    def probe(f: Facts) -> bool:
        return _given(name, f) or status_reason(f.status) == name or _inc(name, f)
    return probe


def _phrase_only(name: str):
    def probe(f: Facts) -> bool:
        return _given(name, f) or _inc(name, f)
    return probe


def _userunknown(f: Facts) -> bool:
    if _given("userunknown", f):
        return True
    tmp = status_reason(f.status)
    if tmp == "suspend":
        return False
    if tmp == "userunknown":
        return not any(_inc(n, f) for n in ("norelaying", "blocked", "mailboxfull", "hasmoved",
                                            "rejected", "notaccept"))
    return f.command == "RCPT" and _inc("userunknown", f)


def _filtered(f: Facts) -> bool:
    if _given("filtered", f):
        return True
    tmp = status_reason(f.status)
    if tmp == "suspend":
        return False
    if tmp == "filtered":
        return _inc("userunknown", f) or _inc("filtered", f)
    if f.command in ("CONN", "EHLO", "HELO", "MAIL", "RCPT"):
        return False
    return _inc("filtered", f) or _inc("userunknown", f)


def _hostunknown(f: Facts) -> bool:
    if _given("hostunknown", f):
        return True
    if status_reason(f.status) == "hostunknown":
        return not _inc("networkerror", f)
    return _inc("hostunknown", f)


def _rejected(f: Facts) -> bool:
    if _given("rejected", f):
        return True
    tmp = status_reason(f.status) or "undefined"
    if tmp == "rejected":
        return True
    if f.command == "MAIL":
        return _inc("rejected", f)
    if f.command == "DATA":
        return tmp != "userunknown" and _inc("rejected", f)
    if tmp in ("undefined", "onhold", "securityerror", "systemerror"):
        return _inc("rejected", f)
    return False


def _mesgtoobig(f: Facts) -> bool:
    if _given("mesgtoobig", f):
        return True
    tmp = status_reason(f.status)
    if tmp == "mesgtoobig":
        return True
    if tmp == "exceedlimit" or f.status == "5.2.3":
        return False
    return _inc("mesgtoobig", f)


def _suspend(f: Facts) -> bool:
    return _given("suspend", f) or f.reply_code == 525 or _inc("suspend", f)


def _norelaying(f: Facts) -> bool:
    if _given("norelaying", f):
        return True
    if f.given_reason in ("securityerror", "systemerror", "undefined"):
        return False
    if f.command in ("CONN", "EHLO", "HELO"):
        return False
    return _inc("norelaying", f)


_EARLY_COMMANDS = ("CONN", "EHLO", "HELO", "MAIL", "RCPT")


def _spamdetected(f: Facts) -> bool:
    if not f.status:
        return False
    if _given("spamdetected", f) or status_reason(f.status) == "spamdetected":
        return True
    if f.command in _EARLY_COMMANDS:
        return False
    return _inc("spamdetected", f)


def _contenterror(f: Facts) -> bool:
    if _given("contenterror", f):
        return True
    if _spamdetected(f):
        return False
    return status_reason(f.status) == "contenterror" or _inc("contenterror", f)


# go-sisimai reason/lib.go classorder[0] with each reason's ProbesInto (reason/why-*.go).
PROBES = (
    ("mailboxfull", _status_or_phrase("mailboxfull")),
    ("mesgtoobig", _mesgtoobig),
    ("exceedlimit", _status_or_phrase("exceedlimit")),
    ("suspend", _suspend),
    ("hasmoved", _phrase_only("hasmoved")),
    ("norelaying", _norelaying),
    ("authfailure", _status_or_phrase("authfailure")),
    ("userunknown", _userunknown),
    ("filtered", _filtered),
    ("requireptr", _status_or_phrase("requireptr")),
    ("notcompliantrfc", _phrase_only("notcompliantrfc")),
    ("badreputation", _phrase_only("badreputation")),
    ("contenterror", _contenterror),
    ("rejected", _rejected),
    ("hostunknown", _hostunknown),
    ("spamdetected", _spamdetected),
    ("speeding", _phrase_only("speeding")),
    ("toomanyconn", _status_or_phrase("toomanyconn")),
    ("blocked", _status_or_phrase("blocked")),
)

# go-sisimai reason/lib.go classorder[1]: phrase-only fallback order.
FALLBACK_ORDER = ("mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected",
                  "virusdetected", "policyviolation", "norelaying", "systemerror",
                  "networkerror", "suspend", "contenterror", "systemfull", "notaccept",
                  "expired", "failedstarttls", "securityerror", "suppressed", "mailererror")

RETRIED_BY_STATUS = frozenset({"undefined", "onhold", "systemerror", "securityerror", "expired",
                               "networkerror", "hostunknown", "userunknown"})


def _another(f: Facts) -> tuple[str, str]:
    if f.given_reason and f.given_reason not in ("onhold", "undefined"):
        from . import dialect_rule  # late: the package imports this module
        return f.given_reason, dialect_rule(f)
    by_status = status_reason(f.status)
    if by_status in RETRIED_BY_STATUS or by_status == "" or f.diagnostic_type not in ("SMTP", ""):
        for name in FALLBACK_ORDER:
            phrase = included(name, f.text)
            if phrase is not None:
                return name, f"phrase.{name}"
        if by_status:
            return by_status, f"status.{f.status}"
        subject = (f.status or "")[:3]
        if subject in ("5.6", "4.6"):
            return "contenterror", f"status.{subject}.x"
        if subject in ("5.7", "4.7"):
            return "securityerror", f"status.{subject}.x"
        if f.diagnostic_type.startswith("X-UNIX"):
            return "mailererror", "diagnostic-type.x-unix"
        if f.reply_code and (400 < f.reply_code < 408 or 500 < f.reply_code < 508):
            return "syntaxerror", f"reply.{f.reply_code}"
        if f.action in ("delayed", "expired"):
            return "expired", f"action.{f.action}"
        if f.command in ("EHLO", "HELO"):
            return "blocked", "command.helo"
        return "", ""
    return by_status, f"status.{f.status}"


def find_reason(f: Facts) -> tuple[str, str]:
    """(reason, rule) from probes and fallbacks; ("", "") when nothing decides."""
    if f.diagnostic_type in ("SMTP", ""):
        for name, probe in PROBES:
            if probe(f):
                if status_reason(f.status) == name:
                    return name, f"status.{f.status}"
                return name, f"phrase.{name}"
    reason, rule = _another(f)
    if reason:
        return reason, rule
    if f.action == "delayed":
        return "expired", "action.delayed"
    if included("vacation", f.text) is not None:
        return "vacation", "phrase.vacation"
    return "", ""
