"""The reply table: documented real-world SMTP replies the test SMTP server gives, per recipient
(what a row is: reply.py). The rows live in one module per kind of source:

- rows_base.py: the table's first rows (one or two per major provider, software defaults);
- rows_providers.py: mailbox providers' own error-code pages (Gmail, Microsoft, Yahoo/AOL,
  Apple, Comcast, AT&T, T-Online, Orange/Free/SFR/La Poste, GMX/Web.de, Mail.ru, Yandex,
  QQ, NetEase, Zoho, Seznam, Interia, Forpsi);
- rows_filters.py: gateways (Mimecast, Proofpoint, Barracuda, Cisco, Trend Micro), block
  lists, greylisting, SPF/DKIM/DMARC checkers, spam/virus filters, stock MTA replies.
"""
from __future__ import annotations

from tests.integration.mta import rows_base, rows_filters, rows_providers
from tests.integration.mta.reply import DATA, RCPT, Reply

__all__ = ["BY_ID", "DATA", "MULTI_RECIPIENT", "RCPT", "REPLIES", "Reply"]

REPLIES: tuple[Reply, ...] = rows_base.ROWS + rows_providers.ROWS + rows_filters.ROWS

BY_ID: dict[str, Reply] = {row.id: row for row in REPLIES}
assert len(BY_ID) == len(REPLIES), "reply ids must be unique"

# Multi-recipient messages: each recipient must come back with its OWN status (a known bug class:
# a recipient got its neighbour's code). "accept" is delivered and must produce no event.
# A DATA-stage row answers for the whole transaction, so a message holds at most one.
MULTI_RECIPIENT: tuple[tuple[str, ...], ...] = (
    ("gmail-nosuchuser", "gmail-disabled", "gmail-overquota", "accept@gmail.com"),
    ("gmail-nosuchuser", "gmail-spam"),                  # RCPT 5.1.1 + DATA 5.7.1 in one transaction
    ("yahoo-nouser", "yahoo-disabled", "yahoo-tss04"),
    ("postfix-unknown", "dovecot-quota", "spamhaus-zen", "nullmx", "rate-limit"),
    ("msft-notfound", "icloud-nouser", "yandex-full", "mimecast-invalid", "comcast-dnsbl"),
    # widened table: hard, soft, auth and 4xx neighbours with distinct codes in one DSN
    ("msft-accessdenied", "msft-banned-sender", "outlook-mailbox-unavailable", "accept@outlook.com"),
    ("gmail-inactive", "gmail-outofstorage", "gmail-receiving-rate", "gmail-unauth"),
    ("qq-notfound", "qq-ip-frequency", "netease-rbl", "tonline-bl", "orange-too-many-conn"),
    ("ironport-spf", "ironport-unknown", "ironport-throttled", "policyd-spf", "postfix-storage"),
    ("sendmail-unknown", "qmail-rcpthosts", "cpanel-nosuchuser", "milter-greylist", "amavis-virus"),
    ("seznam-unknown", "forpsi-sender-blacklisted", "interia-unwanted", "chkuser-full",
     "zoho-unknown", "forpsi-spf"),
)
