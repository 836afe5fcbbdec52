"""PowerMTA bounces: "Hello, this is the mail server on ..." + X-PowerMTA-BounceCategory.

Format facts from Sisimai `lib/sisimai/lhost/powermta.rb` (BSD-2-Clause): a standard RFC 3464
report whose per-recipient X-PowerMTA-BounceCategory names PowerMTA's own classification.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import DSN_TYPES, block_report as _block_report, build, dsn_blocks, fold
from ...mime.transfer import message_text

NAME = "lhost-powermta"
_STATUS_COMMENT = re.compile(r"\(([^()]+)\)")
# powermta.rb `Categories` ("disabled" is the old name of "suspend").
CATEGORIES: dict[str, str] = {
    "bad-domain": "hostunknown", "bad-mailbox": "userunknown", "inactive-mailbox": "suspend",
    "message-expired": "expired", "no-answer-from-host": "networkerror",
    "policy-related": "policyviolation", "quota-issues": "mailboxfull",
    "routing-errors": "systemerror", "spam-related": "spamdetected",
}


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    parts = mail.parts_of_type(*DSN_TYPES)
    if not parts:
        return None
    text = "\n".join(message_text(p) for p in parts)
    if "x-powermta-" not in text.lower():
        return None
    message, blocks = dsn_blocks(text)
    recipients = []
    for block in blocks:
        r = _block_report(block, message)
        if r is None:
            continue
        comment = _STATUS_COMMENT.search(block.get("status", ""))
        if comment and comment.group(1).lower() not in (r.diagnostic or "").lower():
            # "Status: 5.2.1 (mailbox disabled, not accepting messages)": PowerMTA's own
            # explanation of the code is part of what the bounce states.
            r.diagnostic = fold(f"{r.diagnostic or ''} ({comment.group(1)})")
        category = fold(block.get("x-powermta-bouncecategory")).lower()
        if category:
            r.extra["powermta-category"] = category
            if category in CATEGORIES:
                r.reason = CATEGORIES[category]
                r.reason_rule = f"powermta.{category}"
        recipients.append(r)
    return build(NAME, "powermta", mail, recipients)
