"""The order the engine tries the dialects in: the first that claims a bounce reads it.

One table, as go-sisimai's `lhost.Index()` / `InquireFor` order list is one list, instead of a
number in each module. tests/unit/test_dialect_registry.py checks that every dialect module
is here exactly once and that nothing else is.

Why this order: provider bounces first (their markers are the most specific: a sender
address or a provider's own header), then the MTAs whose headers name them (Exim, Postfix,
Sendmail, qmail...), then products recognised by body text only, and last the generic
X-family layouts (go-sisimai's X1-X6), whose markers are the loosest. Within a family the
order is the one the corpus was tuned in (the per-module numbers this table replaced; the two
that shared a number, DragonFly and Yandex, by name).
"""
from __future__ import annotations

ORDER: tuple[str, ...] = (
    # mail and cloud providers
    "lhost-amazonworkmail", "lhost-receivingses", "lhost-amazonses",
    "lhost-googlegroups", "lhost-googleworkspace", "lhost-gmail",
    "lhost-yahoo", "lhost-mailru", "lhost-gmx", "lhost-outlook", "lhost-zoho",
    "lhost-einsundeins", "lhost-verizon", "lhost-sendgrid", "lhost-mimecast",
    "lhost-dragonfly", "lhost-yandex", "lhost-facebook", "lhost-bigfoot", "lhost-office365",
    # Japanese carriers
    "lhost-ezweb", "lhost-kddi", "lhost-biglobe",
    # filtering services recognised by their headers
    "lhost-activehunter", "lhost-mfilter", "lhost-mxlogic", "lhost-messagelabs",
    # MTA software
    "lhost-exim", "lhost-postfix", "lhost-sendmail", "lhost-v5sendmail", "lhost-x4",
    "lhost-qmail", "lhost-opensmtpd", "lhost-apachejames", "lhost-powermta",
    "lhost-exchange2003", "lhost-exchange2007", "lhost-trendmicro", "lhost-mailfoundry",
    "lhost-mailmarshal", "lhost-imailserver", "lhost-fml", "lhost-notes",
    "lhost-courier", "lhost-domino", "lhost-messagingserver", "lhost-mcafee",
    "lhost-deutschetelekom",
    "lhost-barracuda", "lhost-surfcontrol", "lhost-amavis",
    # the loose generic layouts last
    "lhost-x1", "lhost-x6", "lhost-x3", "lhost-x5", "lhost-x2",
)

RANK: dict[str, int] = {name: index for index, name in enumerate(ORDER)}
