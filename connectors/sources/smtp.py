"""The SMTP/LMTP bounce receiver (a push source): `bouncepipe smtp`.

An MTA delivers the mail that comes back to a return-path domain here (MX or transport). The
receiver accepts only recipients in the configured bounce domains (never relays), caps the
message size, offers STARTTLS when a certificate is configured, and answers 250 only after
the raw message is stored: acknowledged by the broker (KafkaPublisher, acks=all) or fsync'ed
into the spool that `bouncepipe ingest` lands (SpoolPublisher, the Kafka-free mode). Anything
else is 451 4.3.0, so the sending MTA keeps the message and retries: nothing is lost. LMTP
answers once per recipient.

The envelope travels with the message: on a raw topic as record headers (MAIL FROM, RCPT TO,
client address, HELO, arrival time: connectors/kafka_records.py); in the spool as the trace
headers a delivering MTA writes (Return-Path, X-Original-To, Received), because a spool file
is just the message. pipeline/envelope.py reads either into the event.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from pipeline.errors import TransientError
from pipeline.settings import Settings

from ..kafka_records import envelope_record_headers, raw_record_headers
from .base import RawPublisher

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Ok: stored as {id}"
NOT_STORED = "451 4.3.0 Temporarily unable to store the message; try again later"
NO_RELAY = "550 5.7.1 Relay access denied: {domain} is not a bounce domain here"
BAD_ADDRESS = "501 5.1.3 Bad recipient address syntax"


@dataclass
class ReceiverStats:
    accepted: int = 0          # messages (LMTP: recipients) answered 250
    deferred: int = 0          # answered 451 (not stored)
    refused_rcpt: int = 0      # recipients outside the bounce domains
    latencies: list[float] = field(default_factory=list)   # seconds, DATA end -> answer
    last_store_ok: bool | None = None   # the last store's result (readiness; None: none yet)
    histogram: object | None = None     # a Prometheus histogram child (connectors/intake_metrics.py)

    def observe(self, seconds: float) -> None:
        if len(self.latencies) < 1_000_000:
            self.latencies.append(seconds)
        if self.histogram is not None:
            self.histogram.observe(seconds)


def trace_headers(mail_from: str, rcpt: str, client_address: str | None, helo: str | None,
                  hostname: str, request_id: str, when: datetime, protocol: str) -> bytes:
    """The headers a delivering MTA puts on top of a message (RFC 5321 4.4), for the spool."""
    received = (f"Received: from {helo or 'unknown'} ([{client_address or 'unknown'}])\r\n"
                f"\tby {hostname} (bouncepipe) with {protocol} id {request_id}\r\n"
                f"\tfor <{rcpt}>; {format_datetime(when)}\r\n")
    return (f"Return-Path: <{mail_from}>\r\nX-Original-To: {rcpt}\r\n{received}"
            .encode("utf-8", "replace"))


class BounceHandler:
    """aiosmtpd handler: RCPT checks the domain, DATA stores the message then answers."""

    def __init__(self, settings: Settings, publisher: RawPublisher, *, lmtp: bool = False,
                 trace_in_payload: bool = False, hostname: str = "localhost"):
        self.settings = settings
        self.publisher = publisher
        self.lmtp = lmtp
        self.trace_in_payload = trace_in_payload   # spool: the envelope goes into the bytes
        self.hostname = hostname
        self.domains = {d.lower().rstrip(".") for d in settings.smtp.domains}
        self.topic = settings.topics.raw_email
        self.timeout = settings.smtp.publish_timeout_seconds
        self.stats = ReceiverStats()

    def accepts(self, address: str) -> bool:
        domain = address.rpartition("@")[2].lower().rstrip(".")
        return domain in self.domains or any(domain.endswith("." + d) for d in self.domains
                                             if d.startswith("."))

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if "@" not in address:
            return BAD_ADDRESS
        if not self.accepts(address):
            self.stats.refused_rcpt += 1
            return NO_RELAY.format(domain=address.rpartition("@")[2])
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = time.perf_counter()
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else session.peer
        # aiosmtpd keeps the null sender as "<>"; the envelope says "" (a bounce)
        mail_from = (envelope.mail_from or "").strip().removeprefix("<").removesuffix(">")
        base = dict(mail_from=mail_from, client_address=peer,
                    helo=session.host_name)
        if self.lmtp:   # one answer per recipient, in RCPT order (RFC 2033 4.2)
            answers = await asyncio.gather(*(self._store(content, [rcpt], base)
                                             for rcpt in envelope.rcpt_tos))
            answer = "\r\n".join(answers)
        else:
            answer = await self._store(content, envelope.rcpt_tos, base)
        self.stats.observe(time.perf_counter() - started)
        return answer

    async def _store(self, content: bytes, rcpts: list[str], base: dict) -> str:
        request_id = secrets.token_hex(8)
        now = datetime.now(timezone.utc)
        headers = raw_record_headers(
            kind="email", request_id=request_id, received_at=now, tenant=self.settings.smtp.tenant,
            source=f"{'lmtp' if self.lmtp else 'smtp'}:{self.hostname}",
            extra=envelope_record_headers(rcpt_to=rcpts, **base))
        value = content
        if self.trace_in_payload:
            value = trace_headers(base["mail_from"], ",".join(rcpts), base["client_address"],
                                  base["helo"], self.hostname, request_id, now,
                                  "LMTP" if self.lmtp else "ESMTP") + content
        try:
            where = await asyncio.wait_for(
                self.publisher.publish(self.topic, value, headers), self.timeout)
        except (TransientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("not stored, answering 451 (%s: %s)", type(exc).__name__, exc)
            self.stats.deferred += len(rcpts)
            self.stats.last_store_ok = False
            return NOT_STORED
        log.debug("stored %s at %s", request_id, where)
        self.stats.accepted += len(rcpts)
        self.stats.last_store_ok = True
        return ACCEPTED.format(id=request_id)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    smtp = settings.smtp
    if not (smtp.tls_cert and smtp.tls_key):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(smtp.tls_cert), str(smtp.tls_key))
    return context


class SmtpReceiver:
    """Runs the handler on an asyncio server: `await start()`, `await stop()`."""

    def __init__(self, settings: Settings, publisher: RawPublisher, *, host: str | None = None,
                 port: int | None = None, lmtp: bool | None = None,
                 trace_in_payload: bool = False):
        smtp = settings.smtp
        self.settings = settings
        self.publisher = publisher
        self.host = host or smtp.host
        self.port = smtp.port if port is None else port
        self.lmtp = smtp.lmtp if lmtp is None else lmtp
        self.hostname = smtp.hostname or "localhost"
        self.handler = BounceHandler(settings, publisher, lmtp=self.lmtp, hostname=self.hostname,
                                     trace_in_payload=trace_in_payload)
        self.tls = tls_context(settings)
        self._server: asyncio.base_events.Server | None = None

    def _protocol(self) -> SMTP:
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, data_size_limit=self.settings.smtp.max_message_bytes,
                   enable_SMTPUTF8=True, decode_data=False, hostname=self.hostname,
                   ident="bouncepipe", tls_context=self.tls,
                   require_starttls=bool(self.tls and self.settings.smtp.require_tls),
                   timeout=300)

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def start(self) -> None:
        await self.publisher.start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.publisher.stop()
