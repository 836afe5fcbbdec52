"""What a bounce parser (RFC 3464 or an MTA dialect) extracts, before classification."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..mime.returned import OriginalMessage  # noqa: F401 - part of a BounceReport


@dataclass
class RecipientReport:
    """One recipient's delivery report, as the bounce states it (no interpretation yet)."""

    recipient: str                    # address as found (normalised later)
    action: str | None = None         # failed / delayed / delivered / relayed / expanded
    status: str | None = None         # enhanced status code as found, e.g. "5.1.1"
    reply_code: int | None = None     # SMTP reply code, e.g. 550
    diagnostic: str | None = None     # diagnostic text (one line, whitespace folded)
    remote_mta: str | None = None
    reporting_mta: str | None = None
    command: str | None = None        # SMTP command that failed: RCPT, DATA, MAIL, ...
    diagnostic_type: str | None = None  # Diagnostic-Code type: "SMTP", "X-UNIX", "X-POSTFIX"...
    arrival_date: datetime | None = None
    last_attempt: datetime | None = None
    # A dialect that knows better than the generic phrase tables may name the reason
    # (Sisimai vocabulary) and says which of its rules decided, e.g. "exim.expired".
    reason: str | None = None
    reason_rule: str | None = None
    feedback_type: str | None = None  # ARF
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class BounceReport:
    """A parsed bounce: the dialect that read it and one report per recipient."""

    dialect: str                      # e.g. "rfc3464", "lhost-postfix", "rhost-google"
    recipients: list[RecipientReport]
    original: OriginalMessage = field(default_factory=OriginalMessage)
    provider: str | None = None       # MTA product / receiving provider, e.g. "postfix", "google"
    date: datetime | None = None      # when the bounce was generated (Date header / Arrival-Date)
