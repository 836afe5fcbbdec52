"""One row of the reply table: documented real-world SMTP replies the test SMTP server gives, per recipient.

Each row is one reply a receiving system documents (or is documented to give), with the URL it
was taken from, the SMTP stage it is given at, and what it means in bouncepipe's contract: the
category and, where the meaning maps onto one, the Sisimai reason. `reasons` lists the names
one meaning goes by (Sisimai renamed `speeding`/`toomanyconn` to `ratelimited` and `mesgtoobig`
to `emailtoolarge`); the first is the canonical one. Rows without a reason (greylisting) assert
the category only: the documents say "try again later", not why.

The recipient's local part picks the row (`<row id>+<tag>@<domain>`); the domain is the
provider's real domain so domain-keyed rules see what they would see in production (the MTAs
under test route every domain to the loopback test server). Documents show placeholders for
addresses and IPs; the replies use 192.0.2.1 (TEST-NET-1) and the test's own addresses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

RCPT, DATA = "rcpt", "data"

GOOGLE = "https://support.google.com/a/answer/3726730"
MICROSOFT = ("https://learn.microsoft.com/en-us/troubleshoot/exchange/email-delivery/ndr/"
             "non-delivery-reports-in-exchange-online")
MIMECAST = "https://community.mimecast.com/s/article/Mimecast-SMTP-Error-Codes-842605754"
YANDEX = "https://yandex.com/support/mail/bounces/"
GMX = "https://postmaster.gmx.com/en/error-messages"
COMCAST = "http://postmaster.comcast.net/mail-error-codes.html"


@dataclass(frozen=True)
class Reply:
    id: str              # the recipient local part that draws this reply
    provider: str
    domain: str          # recipient domain the row is sent to
    stage: str           # RCPT: answer to RCPT TO; DATA: answer after the message body
    text: str            # the reply, lines separated by "\n" (multi-line replies as sent)
    source: str          # where the reply text is documented
    category: str        # expected MailEvent.category
    reasons: tuple[str, ...] = ()   # expected MailEvent.reason (any of these names); () = not asserted

    @property
    def code(self) -> int:
        return int(self.text[:3])

    @property
    def wire_code(self) -> int:
        """The reply code sent: a documented 421 goes out as 451. 421 also closes the session,
        and the MTAs under test then hold back the whole route (the loopback server): the
        run's later messages expire unsent and their DSNs say only "expired". The text and
        its enhanced status code are the documented ones; 421 and 451 are both transient."""
        return 451 if self.code == 421 else self.code

    @property
    def temporary(self) -> bool:
        return self.text.startswith("4")

    @property
    def status(self) -> str | None:
        """The enhanced status code the reply states (RFC 3463), if it states one."""
        found = re.match(r"\d{3}[ -]#?([245]\.\d{1,3}\.\d{1,3})\b", self.text)
        return found.group(1) if found else None

    def smtp_lines(self, recipient: str | None = None) -> str:
        """The reply as it goes on the wire: every line but the last with a hyphen after the code.
        The documented text names the bare `<id>@<domain>` address; the wire names the
        recipient actually given (with its `+tag`)."""
        text = self.text.replace(f"{self.id}@{self.domain}", recipient) if recipient else self.text
        lines = text.split("\n")
        out = []
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            body = line[4:] if re.match(r"\d{3}[ -]", line) else line
            out.append(f"{self.wire_code}{sep}{body}")
        return "\r\n".join(out)


