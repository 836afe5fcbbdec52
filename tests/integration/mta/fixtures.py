"""Session-scoped pytest fixtures: the reply-table server, one running instance per MTA (each
skips with the reason when its MTA cannot run here), and each MTA's campaign result.

Import them into a test module (or a conftest) with
`from tests.integration.mta.fixtures import *  # noqa: F401,F403`.
"""
from __future__ import annotations

import pytest

from tests.integration.mta.base import MTA, MTAUnavailable
from tests.integration.mta.campaign import Campaign, run_campaign
from tests.integration.mta.drivers import DRIVERS
from tests.integration.mta.server import ReplyTableServer

__all__ = ["reply_server", "postfix_mta", "exim_mta", "opensmtpd_mta", "campaign_of"]


@pytest.fixture(scope="session")
def reply_server():
    server = ReplyTableServer().start()
    yield server
    server.stop()


def _running(name: str, server: ReplyTableServer):
    try:
        mta: MTA = DRIVERS[name](server.port).start()
    except MTAUnavailable as why:
        pytest.skip(f"{name} cannot run here: {why}")
    try:
        yield mta
    finally:
        mta.stop()
        mta.cleanup()


@pytest.fixture(scope="session")
def postfix_mta(reply_server):
    yield from _running("postfix", reply_server)


@pytest.fixture(scope="session")
def exim_mta(reply_server):
    yield from _running("exim", reply_server)


@pytest.fixture(scope="session")
def opensmtpd_mta(reply_server):
    yield from _running("opensmtpd", reply_server)


@pytest.fixture(scope="session")
def campaign_of(request, reply_server):
    """campaign_of(name) -> the reply table run through that MTA (run once per session), every
    row once in batched messages (campaign.batched_plan: a third of the submissions)."""
    done: dict[str, Campaign] = {}

    def campaign(name: str) -> Campaign:
        if name not in done:
            mta = request.getfixturevalue(f"{name}_mta")   # skips when the MTA cannot run
            done[name] = run_campaign(mta, reply_server, batched=True)
        return done[name]

    return campaign
