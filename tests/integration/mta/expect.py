"""What each refused recipient's event must say, per MTA: the reply row's documented meaning,
except where the MTA itself drops the reply from its DSN (then the DSN can only say what the
MTA reported, and that is what is expected)."""
from __future__ import annotations

from dataclasses import dataclass

from tests.integration.mta.replies import Reply

MTA_NAMES = ("postfix", "exim", "opensmtpd")   # the drivers (drivers.DRIVERS), without importing them


@dataclass(frozen=True)
class Expected:
    category: str
    reasons: tuple[str, ...]      # () = reason not asserted
    status: str | None            # None = status not asserted (the reply states no enhanced code)
    note: str = ""


def expected(mta: str, row: Reply) -> Expected:
    if mta == "opensmtpd" and row.temporary:
        # OpenSMTPD 6.8 bounces an expired envelope as "Action: delayed, Status: 4.4.7,
        # Envelope expired" and leaves the remote reply out of the DSN altogether.
        return Expected("soft_bounce", ("expired",), "4.4.7",
                        "OpenSMTPD reports only 'Envelope expired' for a 4xx reply")
    return Expected(row.category, row.reasons, row.status)
