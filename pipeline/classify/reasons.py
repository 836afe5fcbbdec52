"""Reason detection from status code + diagnostic text (go-sisimai `reason/find.go` logic).

`find_reason(facts)` runs the per-reason probes in go-sisimai's `classorder[0]`, then the
fallback (`anotherone`): phrase tables in `classorder[1]`, the status code's reason, the
status subject (X.6 contenterror, X.7 securityerror), X-UNIX mailer errors, syntax errors,
delayed/expired actions and HELO rejections. Phrase tables: `phrases.py` (data).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from ..lazy import lazy_property

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

    @lazy_property
    def text(self) -> str:
        """Lower-case text the phrase tables look at, computed once: the diagnostic, preceded
        by the bounce's human-readable lead-in when the parser kept one (extra["lead-in"],
        single-recipient RFC 3464 bounces, as go-sisimai rfc3464/lib.go does) and the
        diagnostic is not already part of it."""
        text = (self.diagnostic or "").lower()
        lead = (self.extra.get("lead-in") or "").lower()
        if lead:
            text = lead if text and text in lead else f"{lead} {text}".strip()
        return text

    @lazy_property
    def phrases(self) -> frozenset[str]:
        """The table phrases found in `text` (`phrases.phrases_in`), computed once: every
        probe's table question is then a set look-up."""
        return phrases_in(self.text)

    @lazy_property
    def table_hits(self) -> frozenset[str]:
        """The reasons whose phrase table matches `text` (`phrases.reasons_in`), computed
        once: the probes ask about the same tables several times."""
        return reasons_in(self.text, self.phrases)


# Probes take (facts, the dialect's reason, the status code's reason, the reasons whose phrase
# table matches: `Facts.table_hits`). The plain "status or phrase" and "phrase only" probes are
# markers that find_reason tests inline (they are most of the list, and this runs on every
# bounce: a call per probe costs more than the test itself).
_STATUS_OR_PHRASE = "status-or-phrase"
_PHRASE_ONLY = "phrase-only"


def _userunknown(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "userunknown":
        return True
    if by_status == "suspend":
        return False
    if by_status == "userunknown":
        return not any(n in hits for n in ("norelaying", "blocked", "mailboxfull", "hasmoved",
                                           "rejected", "notaccept"))
    if f.command is None and f.dialect in COMMANDLESS_DIALECTS:
        # no command to go by (go-sisimai would call it filtered): a reply that reads only
        # as "no such recipient" is that recipient's RCPT reply
        return "userunknown" in hits and "filtered" not in hits
    return f.command == "RCPT" and "userunknown" in hits


# Dialects whose notice gives each recipient the receiver's reply line and never the SMTP
# command it answered: OpenSMTPD's bounce.c writes "rcpt: <reply>" for a RCPT refusal and for
# an end-of-data one alike (mta_session.c stores the reply line only). Sisimai's guess for a
# user-unknown text without RCPT (refused after DATA: filtered) has nothing to go on there.
COMMANDLESS_DIALECTS = frozenset({"lhost-opensmtpd"})


def _filtered(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "filtered":
        return True
    if by_status == "suspend":
        return False
    if by_status == "filtered":
        return "userunknown" in hits or "filtered" in hits
    if f.command in ("CONN", "EHLO", "HELO", "MAIL", "RCPT"):
        return False
    return "filtered" in hits or "userunknown" in hits


def _hostunknown(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "hostunknown":
        return True
    if by_status == "hostunknown":
        return "networkerror" not in hits
    return "hostunknown" in hits


def _rejected(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "rejected":
        return True
    tmp = by_status or "undefined"
    if tmp == "rejected":
        return True
    if f.command == "MAIL":
        return "rejected" in hits
    if f.command == "DATA":
        return tmp != "userunknown" and "rejected" in hits
    if tmp in ("undefined", "onhold", "securityerror", "systemerror"):
        return "rejected" in hits
    return False


def _mesgtoobig(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "mesgtoobig":
        return True
    if by_status == "mesgtoobig":
        return True
    if by_status == "exceedlimit" or f.status == "5.2.3":
        return False
    return "mesgtoobig" in hits


def _suspend(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    return given == "suspend" or f.reply_code == 525 or "suspend" in hits


def _norelaying(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "norelaying":
        return True
    if given in ("securityerror", "systemerror", "undefined"):
        return False
    if f.command in ("CONN", "EHLO", "HELO"):
        return False
    return "norelaying" in hits


_EARLY_COMMANDS = ("CONN", "EHLO", "HELO", "MAIL", "RCPT")


def _spamdetected(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if not f.status:
        return False
    if given == "spamdetected" or by_status == "spamdetected":
        return True
    if f.command in _EARLY_COMMANDS:
        return False
    return "spamdetected" in hits


def _contenterror(f: Facts, given: str | None, by_status: str, hits: frozenset[str]) -> bool:
    if given == "contenterror":
        return True
    if _spamdetected(f, given, by_status, hits):
        return False
    return by_status == "contenterror" or "contenterror" in hits


# go-sisimai reason/lib.go classorder[0] with each reason's ProbesInto (reason/why-*.go).
PROBES = (
    ("mailboxfull", _STATUS_OR_PHRASE),
    ("mesgtoobig", _mesgtoobig),
    ("exceedlimit", _STATUS_OR_PHRASE),
    ("suspend", _suspend),
    ("hasmoved", _PHRASE_ONLY),
    ("norelaying", _norelaying),
    ("authfailure", _STATUS_OR_PHRASE),
    ("userunknown", _userunknown),
    ("filtered", _filtered),
    ("requireptr", _STATUS_OR_PHRASE),
    ("notcompliantrfc", _PHRASE_ONLY),
    ("badreputation", _PHRASE_ONLY),
    ("contenterror", _contenterror),
    ("rejected", _rejected),
    ("hostunknown", _hostunknown),
    ("spamdetected", _spamdetected),
    ("speeding", _PHRASE_ONLY),
    ("toomanyconn", _STATUS_OR_PHRASE),
    ("blocked", _STATUS_OR_PHRASE),
)

# go-sisimai reason/lib.go classorder[1]: phrase-only fallback order.
FALLBACK_ORDER = ("mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected",
                  "virusdetected", "policyviolation", "norelaying", "systemerror",
                  "networkerror", "suspend", "contenterror", "systemfull", "notaccept",
                  "expired", "failedstarttls", "securityerror", "suppressed", "mailererror")

RETRIED_BY_STATUS = frozenset({"undefined", "onhold", "systemerror", "securityerror", "expired",
                               "networkerror", "hostunknown", "userunknown"})


# Dialect rules whose reason is a fact about the delivery attempts, stated next to the remote
# server's own reply (Exim's "...: 451 4.3.0 <reply>: retry timeout exceeded"): the reply's
# reason (phrase tables, then its status code) wins, the dialect's is the fallback.
REPLY_FIRST_RULES = frozenset({"exim.expired.after-reply"})


def _another(f: Facts, by_status: str) -> tuple[str, str]:
    if f.given_rule in REPLY_FIRST_RULES:
        hits = f.table_hits
        for name in FALLBACK_ORDER:
            if name in hits:
                return name, f"phrase.{name}"
        if by_status:
            return by_status, f"status.{f.status}"
        # a 4.7.x / 4.6.x reply says "security or policy" / "content", as the same reply
        # does in any other MTA's DSN (below); only a reply without one is left "expired"
        subject = (f.status or "")[:3]
        if subject == "4.7":
            return "securityerror", f"status.{subject}.x"
        if subject == "4.6":
            return "contenterror", f"status.{subject}.x"
    if f.given_reason and f.given_reason not in ("onhold", "undefined"):
        from . import dialect_rule  # late: the package imports this module
        return f.given_reason, dialect_rule(f)
    if by_status in RETRIED_BY_STATUS or by_status == "" or f.diagnostic_type not in ("SMTP", ""):
        hits = f.table_hits
        for name in FALLBACK_ORDER:
            if name in hits:
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
    by_status = status_reason(f.status)
    if f.diagnostic_type in ("SMTP", ""):
        given = f.given_reason
        hits = f.table_hits
        for name, probe in PROBES:
            if probe is _STATUS_OR_PHRASE:
                found = given == name or by_status == name or name in hits
            elif probe is _PHRASE_ONLY:
                found = given == name or name in hits
            else:
                found = probe(f, given, by_status, hits)
            if found:
                if by_status == name:
                    return name, f"status.{f.status}"
                return name, f"phrase.{name}"
    reason, rule = _another(f, by_status)
    if reason:
        return reason, rule
    if f.action == "delayed":
        return "expired", "action.delayed"
    if "vacation" in f.table_hits:
        return "vacation", "phrase.vacation"
    return "", ""
