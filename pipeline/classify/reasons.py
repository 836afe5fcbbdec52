"""Reason detection from status code + diagnostic text (go-sisimai `reason/find.go` logic).

`find_reason(facts)` runs the per-reason probes in go-sisimai's `classorder[0]`, then the
fallback (`anotherone`): phrase tables in `classorder[1]`, the status code's reason, the
status subject (X.6 contenterror, X.7 securityerror), X-UNIX mailer errors, syntax errors,
delayed/expired actions and HELO rejections. Phrase tables: `phrases.py` (data).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .phrases import phrases_in, reasons_in
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

    @property
    def phrases(self) -> frozenset[str]:
        """The table phrases found in `text` (`phrases.phrases_in`), computed once: every
        probe's table question is then a set look-up."""
        cached = self.__dict__.get("_phrases")
        if cached is None:
            cached = self.__dict__["_phrases"] = phrases_in(self.text)
        return cached

    @property
    def table_hits(self) -> frozenset[str]:
        """The reasons whose phrase table matches `text` (`phrases.reasons_in`), computed
        once: the probes ask about the same tables several times."""
        cached = self.__dict__.get("_table_hits")
        if cached is None:
            cached = self.__dict__["_table_hits"] = reasons_in(self.text, self.phrases)
        return cached


class _Ask:
    """What the probes of one classification look at, worked out once: the dialect's reason,
    the status code's reason and the reasons whose phrase table matches (`Facts.table_hits`,
    on the first table question). The probes run on every bounce and ask about the same
    tables and codes several times."""

    __slots__ = ("f", "given", "by_status", "hits")

    def __init__(self, f: Facts) -> None:
        self.f = f
        self.given = f.given_reason
        self.by_status = status_reason(f.status)
        self.hits: frozenset[str] | None = None  # on the first table question: often none

    def inc(self, name: str) -> bool:
        """Does `name`'s phrase table match the text?"""
        hits = self.hits
        if hits is None:
            hits = self.hits = self.f.table_hits
        return name in hits


def _status_or_phrase(name: str):
    def probe(a: _Ask) -> bool:
        return a.given == name or a.by_status == name or a.inc(name)
    return probe


def _phrase_only(name: str):
    def probe(a: _Ask) -> bool:
        return a.given == name or a.inc(name)
    return probe


def _userunknown(a: _Ask) -> bool:
    if a.given == "userunknown":
        return True
    tmp = a.by_status
    if tmp == "suspend":
        return False
    if tmp == "userunknown":
        return not any(a.inc(n) for n in ("norelaying", "blocked", "mailboxfull", "hasmoved",
                                          "rejected", "notaccept"))
    return a.f.command == "RCPT" and a.inc("userunknown")


def _filtered(a: _Ask) -> bool:
    if a.given == "filtered":
        return True
    tmp = a.by_status
    if tmp == "suspend":
        return False
    if tmp == "filtered":
        return a.inc("userunknown") or a.inc("filtered")
    if a.f.command in ("CONN", "EHLO", "HELO", "MAIL", "RCPT"):
        return False
    return a.inc("filtered") or a.inc("userunknown")


def _hostunknown(a: _Ask) -> bool:
    if a.given == "hostunknown":
        return True
    if a.by_status == "hostunknown":
        return not a.inc("networkerror")
    return a.inc("hostunknown")


def _rejected(a: _Ask) -> bool:
    if a.given == "rejected":
        return True
    tmp = a.by_status or "undefined"
    if tmp == "rejected":
        return True
    if a.f.command == "MAIL":
        return a.inc("rejected")
    if a.f.command == "DATA":
        return tmp != "userunknown" and a.inc("rejected")
    if tmp in ("undefined", "onhold", "securityerror", "systemerror"):
        return a.inc("rejected")
    return False


def _mesgtoobig(a: _Ask) -> bool:
    if a.given == "mesgtoobig":
        return True
    tmp = a.by_status
    if tmp == "mesgtoobig":
        return True
    if tmp == "exceedlimit" or a.f.status == "5.2.3":
        return False
    return a.inc("mesgtoobig")


def _suspend(a: _Ask) -> bool:
    return a.given == "suspend" or a.f.reply_code == 525 or a.inc("suspend")


def _norelaying(a: _Ask) -> bool:
    if a.given == "norelaying":
        return True
    if a.given in ("securityerror", "systemerror", "undefined"):
        return False
    if a.f.command in ("CONN", "EHLO", "HELO"):
        return False
    return a.inc("norelaying")


_EARLY_COMMANDS = ("CONN", "EHLO", "HELO", "MAIL", "RCPT")


def _spamdetected(a: _Ask) -> bool:
    if not a.f.status:
        return False
    if a.given == "spamdetected" or a.by_status == "spamdetected":
        return True
    if a.f.command in _EARLY_COMMANDS:
        return False
    return a.inc("spamdetected")


def _contenterror(a: _Ask) -> bool:
    if a.given == "contenterror":
        return True
    if _spamdetected(a):
        return False
    return a.by_status == "contenterror" or a.inc("contenterror")


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


def _another(a: _Ask) -> tuple[str, str]:
    f = a.f
    if f.given_reason and f.given_reason not in ("onhold", "undefined"):
        from . import dialect_rule  # late: the package imports this module
        return f.given_reason, dialect_rule(f)
    by_status = a.by_status
    if by_status in RETRIED_BY_STATUS or by_status == "" or f.diagnostic_type not in ("SMTP", ""):
        for name in FALLBACK_ORDER:
            if a.inc(name):
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
    a = _Ask(f)
    if f.diagnostic_type in ("SMTP", ""):
        for name, probe in PROBES:
            if probe(a):
                if a.by_status == name:
                    return name, f"status.{f.status}"
                return name, f"phrase.{name}"
    reason, rule = _another(a)
    if reason:
        return reason, rule
    if f.action == "delayed":
        return "expired", "action.delayed"
    if a.inc("vacation"):
        return "vacation", "phrase.vacation"
    return "", ""
