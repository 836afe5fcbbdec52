"""The IMAP mailbox poller (a pull source): `bouncepipe imap`.

Watches one or more folders of a mailbox (a DMARC rua address, a feedback-loop or bounce
mailbox), reads the messages in UID order in batches and lets go of each only after its
outputs are durable: landed in the lake, or acknowledged by the broker (raw topic, acks=all).
Then it moves the message to the archive folder; a message the core cannot read (its only
outputs are dead letters) goes to the invalid folder, its original bytes and the reason to
the dead letters (the lake's table, or the dead-letter topic).

Restarts never land a message twice nor skip one: a message leaves the watched folder only
after it is durable, so whatever is still there is read again; the UIDs already stored but
not yet moved (a crash between the two) are written to a state file, keyed by the folder's
UIDVALIDITY, before the move, and a restart moves them without storing them again. Ids are
deterministic (the bytes' sha256; received_at = the message's INTERNALDATE), so even a
re-read after a lost state file lands the same rows, which the lake skips.

Credentials never cross the wire in clear by accident: with imap.starttls the poller refuses
a server that does not offer STARTTLS, and on a plain connection it refuses to send a login
the server has disabled (LOGINDISABLED). A refusal (login, token, certificate) is an
`ImapRefused` naming what to fix; `run` raises it in a one-shot run and otherwise logs it
and backs off (up to imap.refused_backoff_max_seconds), re-reading the XOAUTH2 token from
imap.oauth2_token_file / imap.oauth2_token_command before every attempt, so a rotated token
or a fixed server is picked up without a restart.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.settings import Settings
from schemas.models import RawMessage, RawSource

from ..durable import write_durably
from .imap_login import ImapAuthError, ImapRefused, ImapTlsError, open_and_login

__all__ = ["ImapAuthError", "ImapPoller", "ImapRefused", "ImapTlsError", "MailboxUrl",
           "broker_store", "lake_store"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailboxUrl:
    host: str
    port: int
    user: str
    folders: tuple[str, ...]
    tls: bool                    # imaps:// (implicit TLS)
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> "MailboxUrl":
        """imap[s]://user[:password]@host[:port]/INBOX[,Other%20Folder]"""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError(f"expected imap[s]://user@host[:port]/FOLDER[,FOLDER], got {url!r}")
        tls = parts.scheme == "imaps"
        folders = tuple(unquote(f) for f in parts.path.lstrip("/").split(",") if f) or ("INBOX",)
        return cls(parts.hostname, parts.port or (993 if tls else 143), unquote(parts.username),
                   folders, tls, unquote(parts.password) if parts.password else None)


@dataclass
class PollStats:
    landed: int = 0
    invalid: int = 0
    rounds: int = 0
    reconnects: int = 0
    refusals: int = 0
    last_refusal: str | None = None
    by_folder: dict[str, int] = field(default_factory=dict)
    last_turn: float | None = None      # monotonic time the loop last came round (liveness)
    last_round_ok: bool | None = None   # the last round went through (readiness)


# Stores a batch's outputs; returns the indexes (into the batch) the core could not read.
# Raising means nothing of the batch may be considered stored.
Store = Callable[[list[RawMessage]], set[int]]


class FolderState:
    """UIDs stored but not yet moved, per folder, for one UIDVALIDITY (fsync'ed JSON)."""

    def __init__(self, root: Path, account: str, folder: str):
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{account}-{folder}")
        self.path = root / f"{safe}.json"

    def load(self, uidvalidity: int) -> dict[int, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if data.get("uidvalidity") != uidvalidity:
            return {}   # the folder was rebuilt: those UIDs name other messages now
        return {int(uid): where for uid, where in data.get("stored", {}).items()}

    def save(self, uidvalidity: int, stored: dict[int, str]) -> None:
        write_durably(self.path, json.dumps(
            {"uidvalidity": uidvalidity, "stored": {str(k): v for k, v in stored.items()}}
        ).encode())


class ImapPoller:
    def __init__(self, settings: Settings, url: str, store: Store, *,
                 finish_round: Callable[[], None] | None = None):
        self.settings = settings
        self.imap = settings.imap
        self.mailbox = MailboxUrl.parse(url)
        self.store = store
        self.finish_round = finish_round
        self.client = None
        self.archive = self.imap.archive_folder
        self.invalid = self.imap.invalid_folder
        self.stats = PollStats()
        self.state_root = Path(self.imap.state_dir)

    # -- connection ----------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.client is not None

    def connect(self) -> None:
        client = open_and_login(self.mailbox, self.imap)
        try:
            self._prepare_folders(client)
        except BaseException:
            client.shutdown()
            raise
        self.client = client

    def _prepare_folders(self, client) -> None:
        # "bouncepipe/archive" in settings; the server's hierarchy delimiter on the wire
        listed = client.list_folders("", "")
        delimiter = (listed[0][1] if listed else b"/") or b"/"
        delimiter = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        self.archive = self.imap.archive_folder.replace("/", delimiter)
        self.invalid = self.imap.invalid_folder.replace("/", delimiter)
        for folder in (self.archive, self.invalid):
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - the connection is going anyway
                pass
            self.client = None

    # -- one folder ----------------------------------------------------------------------------
    def _move(self, uids: list[int], folder: str) -> None:
        if not uids:
            return
        if self.client.has_capability("MOVE"):
            self.client.move(uids, folder)
        else:   # RFC 3501: copy, flag deleted, expunge just those (UIDPLUS) or all
            self.client.copy(uids, folder)
            self.client.delete_messages(uids)
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge(uids)
            else:
                self.client.expunge()

    def _finish_moves(self, state: FolderState, uidvalidity: int, stored: dict[int, str]) -> None:
        for target in (self.archive, self.invalid):
            self._move(sorted(u for u, where in stored.items() if where == target), target)
        state.save(uidvalidity, {})

    def _raw(self, folder: str, uidvalidity: int, uid: int, data: dict) -> RawMessage:
        body = data.get(b"BODY[]") or b""
        when = data.get(b"INTERNALDATE")
        if isinstance(when, datetime):
            when = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
        return RawMessage.from_bytes(
            body, RawSource(transport="imap", path=f"imap://{self.mailbox.user}@"
                            f"{self.mailbox.host}/{folder}", member=f"{uidvalidity}:{uid}"),
            when or datetime.fromtimestamp(0, timezone.utc), kind_hint="email",
            tenant=self.imap.tenant)

    def poll_folder(self, folder: str) -> int:
        """Store and move every message now in `folder`; the number handled."""
        info = self.client.select_folder(folder)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        state = FolderState(self.state_root, f"{self.mailbox.user}@{self.mailbox.host}", folder)
        pending = state.load(uidvalidity)
        if pending:   # stored before a crash, not yet moved: move, never store again
            log.info("%s: moving %d messages stored before a restart", folder, len(pending))
            self._finish_moves(state, uidvalidity, pending)
        uids = sorted(self.client.search(["NOT", "DELETED"]))
        done = 0
        size = max(1, self.imap.batch_size)
        for start in range(0, len(uids), size):
            batch_uids = uids[start:start + size]
            fetched = self.client.fetch(batch_uids, ["BODY.PEEK[]", "INTERNALDATE"])
            present = [u for u in batch_uids if u in fetched]   # expunged meanwhile: gone
            raws = [self._raw(folder, uidvalidity, u, fetched[u]) for u in present]
            invalid = self.store(raws)
            stored = {u: (self.invalid if i in invalid else self.archive)
                      for i, u in enumerate(present)}
            state.save(uidvalidity, stored)
            self._finish_moves(state, uidvalidity, stored)
            done += len(present)
            self.stats.landed += len(present) - len(invalid)
            self.stats.invalid += len(invalid)
            self.stats.by_folder[folder] = self.stats.by_folder.get(folder, 0) + len(present)
        return done

    # -- the loop ------------------------------------------------------------------------------
    def poll_once(self) -> int:
        if self.client is None:
            self.connect()
        handled = sum(self.poll_folder(folder) for folder in self.mailbox.folders)
        self.stats.rounds += 1
        if handled and self.finish_round is not None:
            self.finish_round()
        return handled

    def _wait_for_mail(self, should_stop: Callable[[], bool]) -> None:
        if len(self.mailbox.folders) == 1 and self.client.has_capability("IDLE"):
            self.client.select_folder(self.mailbox.folders[0])
            self.client.idle()
            try:   # in one-second slices: SIGTERM must not wait out the IDLE (5 min by default)
                deadline = time.monotonic() + self.imap.idle_seconds
                while not should_stop() and (left := deadline - time.monotonic()) > 0:
                    if self.client.idle_check(timeout=min(left, 1.0)):
                        break   # the server announced a change
            finally:
                self.client.idle_done()
        else:
            self._sleep(self.imap.poll_seconds, should_stop)

    def run(self, *, once: bool = False, should_stop: Callable[[], bool] = lambda: False
            ) -> PollStats:
        """Poll until `should_stop()` (or one round with `once`), reconnecting with backoff
        when the connection drops. A refusal (`ImapRefused`: login, token, certificate)
        raises with `once`; otherwise it is logged and retried after a longer backoff (the
        token or the server may be fixed meanwhile). `once` gives up after 5 lost
        connections."""
        import imaplib

        backoff = 1.0
        failures = 0
        while not should_stop():
            self.stats.last_turn = time.monotonic()
            try:
                self.poll_once()
                self.stats.last_round_ok = True
                backoff, failures = 1.0, 0
                if once:
                    break
                self._wait_for_mail(should_stop)
            except ImapRefused as exc:
                self.stats.last_round_ok = False
                self.stats.refusals += 1
                self.stats.last_refusal = str(exc)
                self.close()
                if once:
                    raise
                log.error("%s; retrying in %.0fs", exc, backoff)
                self._sleep(backoff, should_stop)
                backoff = min(backoff * 2, self.imap.refused_backoff_max_seconds)
            except (OSError, imaplib.IMAP4.abort) as exc:   # the connection, not the request
                self.stats.last_round_ok = False
                failures += 1
                if once and failures >= 5:
                    raise
                self._lost(exc, backoff, should_stop)
                backoff = min(backoff * 2, 60.0)
        self.close()
        return self.stats

    def _lost(self, exc: Exception, backoff: float, should_stop: Callable[[], bool]) -> None:
        log.warning("IMAP %s: %s: %s; reconnecting in %.0fs", self.mailbox.host,
                    type(exc).__name__, exc, backoff)
        self.client = None
        self.stats.reconnects += 1
        self._sleep(backoff, should_stop)

    @staticmethod
    def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
        """Sleep, but wake within 0.2 s of `should_stop()` (SIGTERM must not wait a backoff)."""
        deadline = time.monotonic() + seconds
        while not should_stop() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))


def lake_store(settings: Settings, lake: str | os.PathLike[str]) -> tuple[Store, Callable[[], None]]:
    """Store into the lake (the Kafka-free mode): rows land before `store` returns; the
    suppression replay runs once per round (`finish_round`)."""
    from connectors.ingest import ingest_raw, recompute_suppressions
    from connectors.lake import LakeWriter

    def store(raws: list[RawMessage]) -> set[int]:
        index = {id(raw): i for i, raw in enumerate(raws)}
        invalid: set[int] = set()
        ingest_raw(raws, lake, settings=settings, suppressions=False,
                   on_outcome=lambda raw, out: invalid.add(index[id(raw)]) if (
                       out.dead_letters and not out.events and not out.rows) else None)
        return invalid

    def finish_round() -> None:
        recompute_suppressions(lake, LakeWriter(lake), settings)

    return store, finish_round


def broker_store(settings: Settings, producer) -> Store:
    """Store on the broker: readable inputs to the raw email topic, unreadable ones (the core
    says only dead letters) to the dead-letter topic with the reason; returns after every
    record is acknowledged (acks=all), raising if any was not."""
    from connectors.kafka_records import dead_letter_headers, raw_headers_of
    from pipeline.core import process_batch

    def store(raws: list[RawMessage]) -> set[int]:
        outcomes = process_batch(raws, settings)
        invalid: set[int] = set()
        futures = []
        for i, (raw, out) in enumerate(zip(raws, outcomes)):
            if out.dead_letters and not out.events and not out.rows:
                invalid.add(i)
                futures.append(producer.send(settings.topics.deadletter, value=raw.payload,
                                             headers=dead_letter_headers(raw, out.dead_letters[0])))
            else:
                headers = raw_headers_of(raw)
                headers.append(("received_at", raw.received_at.isoformat().encode()))
                futures.append(producer.send(settings.topics.raw_email, value=raw.payload,
                                             headers=headers))
        producer.flush()
        for future in futures:
            future.get(timeout=30)   # raises when the broker did not acknowledge
        return invalid

    return store
