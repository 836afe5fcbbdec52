"""The dialect kit: everything a dialect module needs, each helper taking the `MailView`.

How to write a dialect (one new module `lhost_<name>.py` plus fixtures):

1. At the top, the format's markers and phrase tables as data, each with where it came from
   (the vendor's documentation, Sisimai's lhost module, a real sample's provenance).
2. One function `inquire(mail: MailView) -> BounceReport | None` decorated with
   `@dialect(NAME)`, and NAME added to `order.ORDER` at the place it must be tried.
3. `inquire` says no FAST: it runs on every bounce no earlier dialect claimed, so test the
   cheap markers first (`mail.sender`, `mail.subject`, `mail.get(...)`, `has_header_prefix`,
   `received_text`, `full_text_has`, `raw_text_has`) and return None before reading any
   body text. It must
   answer None for an empty message, a personal email and other formats' bounces
   (tests/unit/test_dialect_registry.py runs every dialect over every other's samples).
4. Read the text: `body_text` (first text part, plain preferred), `all_text` (every text and
   delivery-status part), `plain_text` / `provider_text` (providers' bodies, Japanese
   charsets decoded robustly), `split_at(text, markers)` to cut the notice from the
   returned message, `dsn_recipients` / `ds_recipients` for RFC 3464 fields.
5. One `RecipientReport` per recipient (address, status, reply code, diagnostic, remote MTA);
   a reason only where the format's own words say more than the codes (`first_phrase` over a
   {reason: phrases} table, Sisimai's vocabulary), with `reason_rule` naming the rule.
6. Return `build(NAME, PROVIDER, mail, recipients, tail)` (software MTAs: folds diagnostics,
   fills status / reply code / command from the text, finds the returned headers) or
   `report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))`
   (providers). Nothing may raise on bad input: broken MIME is the normal case here.

The helpers live in three parts (imported from here, never directly): `views` (cheap
look-ups memoised on the view), `software` (MTA bounces), `providers` (provider bounces).
"""
from __future__ import annotations

from ....mime.addresses import address, list_items
from ....mime.codes import reply_code_in, status_in
from ....mime.dates import parse_date
from ....mime.headers import fold, parse_fields
from ....mime.view import MailView, normalise_newlines
from ...fields import strip_type
from .providers import (
    ds_recipients,
    pasted_original,
    plain_text,
    provider_original,
    provider_part_text,
    provider_text,
    report,
    specific_status,
)
from .software import (
    DSN_TYPES,
    EMAIL,
    all_text,
    block_report,
    body_text,
    build,
    command_in,
    dsn_blocks,
    dsn_recipients,
    dsn_report,
    finish,
    original_of,
    raw_text,
    text_of,
    unquote,
)
from .views import (
    first_phrase,
    full_text_has,
    has_header_prefix,
    lowered_table,
    plain_ascii_text,
    raw_text_has,
    received_lines,
    received_text,
    split_at,
    view_memo,
)

__all__ = [
    "MailView", "address", "fold", "list_items", "normalise_newlines", "parse_date", "parse_fields",
    "reply_code_in", "status_in", "strip_type",
    "ds_recipients", "pasted_original", "plain_text", "provider_original",
    "provider_part_text", "provider_text", "report", "specific_status",
    "DSN_TYPES", "EMAIL", "all_text", "block_report", "body_text", "build", "command_in",
    "dsn_blocks", "dsn_recipients", "dsn_report", "finish", "original_of", "raw_text",
    "text_of", "unquote",
    "first_phrase", "full_text_has", "has_header_prefix", "lowered_table", "plain_ascii_text",
    "raw_text_has", "received_lines", "received_text", "split_at", "view_memo",
]
