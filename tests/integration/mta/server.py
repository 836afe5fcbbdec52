"""The loopback test SMTP server (aiosmtpd): refuses mail per recipient from the reply table and
keeps every message sent to the sink domain (the DSNs the MTAs under test return).

Recipients at SINK_DOMAIN are accepted and their messages kept (`dsns`). Any other recipient is
answered from `replies.BY_ID` by its local part before the `+`: RCPT-stage rows refuse at RCPT,
DATA-stage rows accept the RCPT and refuse after the message body (one DATA reply answers for the
whole transaction, as in SMTP); a local part that is no row ("accept") is delivered.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.integration.mta.replies import BY_ID, DATA, Reply

SINK_DOMAIN = "bounces.test"
SERVER_NAME = "mx.reply-table.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def row_for(address: str) -> Reply | None:
    local = address.rpartition("@")[0]
    return BY_ID.get(local.split("+", 1)[0].lower())


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class ReplyTableHandler:
    def __init__(self) -> None:
        self.dsns: list[Received] = []
        self.delivered: list[Received] = []
        self.refused: list[tuple[str, int]] = []   # (recipient, reply code) as answered
        self._changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[2].lower() == SINK_DOMAIN:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        row = row_for(address)
        if row is None or row.stage == DATA:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        self._note_refused(address, row.wire_code)
        return row.smtp_lines(address)

    async def handle_DATA(self, server, session, envelope):
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                            envelope.original_content or envelope.content)
        if any(r.rpartition("@")[2].lower() == SINK_DOMAIN for r in envelope.rcpt_tos):
            with self._changed:
                self.dsns.append(received)
                self._changed.notify_all()
            return "250 2.0.0 OK kept"
        for rcpt in envelope.rcpt_tos:
            row = row_for(rcpt)
            if row is not None and row.stage == DATA:
                for each in envelope.rcpt_tos:
                    self._note_refused(each, row.wire_code)
                return row.smtp_lines(rcpt)
        with self._changed:
            self.delivered.append(received)
        return "250 2.0.0 OK delivered"

    def _note_refused(self, address: str, code: int) -> None:
        with self._changed:
            self.refused.append((address, code))

    def wait_for_dsns(self, addresses: set[str], to: str, timeout: float,
                      settle: float = 1.5) -> list[Received]:
        """The DSNs sent to `to` once every address in `addresses` is named by one of them (or
        `timeout` passed), after `settle` seconds without another DSN arriving. (`to` tells
        this run's DSNs from strays a spool kept from an earlier, interrupted run.)"""
        wanted = {a.lower() for a in addresses}
        mine = lambda: [d for d in self.dsns if to.lower() in (r.lower() for r in d.rcpt_tos)]
        deadline = time.monotonic() + timeout
        with self._changed:
            while time.monotonic() < deadline:
                named = b"\n".join(d.data for d in mine()).lower()
                if all(a.encode() in named for a in wanted):
                    break
                self._changed.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            while True:
                seen = len(self.dsns)
                self._changed.wait(settle)
                if len(self.dsns) == seen:
                    return mine()

    def take_dsns(self) -> list[Received]:
        with self._changed:
            taken, self.dsns = self.dsns, []
            return taken


class ReplyTableServer:
    """The server on 127.0.0.1:<free port>, in aiosmtpd's own thread."""

    def __init__(self) -> None:
        self.handler = ReplyTableHandler()
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                      server_hostname=SERVER_NAME, ident="reply-table ESMTP",
                                      data_size_limit=0)

    def start(self) -> "ReplyTableServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
