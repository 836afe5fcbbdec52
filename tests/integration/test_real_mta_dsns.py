"""Real Postfix, Exim and OpenSMTPD in the loop: each delivers the reply table's messages to the
loopback test server, which refuses them with documented real-world replies; every DSN the MTA
returns must classify to the reply's documented meaning (tests/integration/mta/replies.py).

Every row goes through each MTA once, batched (one DATA-stage row and a share of the RCPT-stage
rows per message: campaign.batched_plan), so each DSN also checks that neighbours keep their own
codes. Needs the MTAs (.ci/install-mail-servers) and root; each MTA's tests skip, saying why,
when it cannot run. Cases the classifier gets wrong today are xfail(strict=True) (known_misses.py).
"""
from __future__ import annotations

import pytest

from pipeline.core import process_bytes
from tests.integration.mta.drivers import DRIVERS
from tests.integration.mta.expect import expected
from tests.integration.mta.fixtures import *  # noqa: F401,F403  (session fixtures)
from tests.integration.mta.known_misses import CLASSIFIER_MISSES
from tests.integration.mta.replies import BY_ID, MULTI_RECIPIENT, REPLIES

pytestmark = pytest.mark.slow
MTAS = tuple(DRIVERS)


def _single_cases():
    for mta in MTAS:
        for row in REPLIES:
            miss = CLASSIFIER_MISSES.get((mta, row.id))
            marks = [pytest.mark.xfail(strict=True, reason=f"classifier: {miss}")] if miss else []
            yield pytest.param(mta, row.id, id=f"{mta}-{row.id}", marks=marks)


def _row_address(campaign, row_id: str) -> str:
    return campaign.sent_with(row_id)[1].lower()


@pytest.mark.parametrize("mta,row_id", list(_single_cases()))
def test_reply_classifies_to_its_documented_meaning(campaign_of, mta, row_id):
    campaign = campaign_of(mta)
    row, recipient = BY_ID[row_id], _row_address(campaign, row_id)
    events = campaign.events.get(recipient, [])
    assert len(events) == 1, f"{mta} {row_id}: want one event for {recipient}, got {len(events)}"
    event, want = events[0], expected(mta, row)
    assert event.recipient == recipient
    assert event.recipient_domain == row.domain
    assert event.category == want.category, f"{row.text!r}: rule {event.rule}"
    if want.reasons:
        assert event.reason in want.reasons, f"{row.text!r}: rule {event.rule}"
    if want.status:
        assert event.status == want.status


@pytest.mark.parametrize("mta", MTAS)
@pytest.mark.parametrize("n", range(1, len(MULTI_RECIPIENT) + 1), ids=lambda n: f"m{n}")
def test_multi_recipient_dsn_gives_each_recipient_its_own_status(campaign_of, mta, n):
    campaign = campaign_of(mta)
    (item,) = [i for i in campaign.sent if i.tag == f"m{n}"]
    statuses = {}
    for recipient, row in zip(item.recipients, item.rows):
        events = campaign.events.get(recipient.lower(), [])
        if row is None:
            assert events == [], f"{recipient} was delivered, yet got {events}"
            continue
        assert len(events) == 1, f"{recipient}: want one event, got {len(events)}"
        want, event = expected(mta, row), events[0]
        statuses[row.id] = event.status
        if want.status:
            assert event.status == want.status, f"{recipient} got {event.status} (a neighbour's code?)"
        if (mta, row.id) not in CLASSIFIER_MISSES:   # those fail in the single-recipient test
            assert event.category == want.category, f"{recipient}: rule {event.rule}"
            if want.reasons:
                assert event.reason in want.reasons, f"{recipient}: rule {event.rule}"
    stated = {row.id: expected(mta, row).status for row in item.rows if row is not None}
    if len(set(stated.values()) - {None}) > 1:   # distinct codes went in: distinct codes come out
        assert len({statuses[r] for r, s in stated.items() if s}) == len({s for s in stated.values() if s})


@pytest.mark.parametrize("mta", MTAS)
def test_every_dsn_parses_and_names_only_refused_recipients(campaign_of, mta):
    campaign = campaign_of(mta)
    refused = {r.lower() for item in campaign.sent for r, row in zip(item.recipients, item.rows)
               if row is not None}
    assert campaign.dsns, f"{mta} returned no DSN"
    for dsn in campaign.dsns:
        outcome = process_bytes(dsn, source=f"{mta}.eml")
        assert outcome.dead_letters == []
        assert outcome.events, f"a {mta} DSN gave no event:\n{dsn[:600]!r}"
        assert {e.recipient for e in outcome.events} <= refused
    assert set(campaign.events) == refused, f"{mta}: refused recipients without an event"
