"""`bouncepipe imap` against a real Dovecot: DMARC report emails, ARF complaints and bounces
land and move; the unreadable one goes to the invalid folder with its reason; kill -9 in the
middle of a run and restart: nothing lost, nothing twice."""
from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.duck import connect
from connectors.sources.imap import ImapPoller, lake_store
from pipeline.core import process
from pipeline.settings import ImapSettings, Settings
from schemas.models import RawMessage, RawSource
from tests.unit.test_envelope_policy import DSN

from .dovecot import PASSWORD

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MAIL = ["bounces/rfc3464_crlf_two_recipients.eml", "bounces/rfc3464_delayed_expired.eml",
        "bounces/rhost_gmail_userunknown.eml", "bounces/arf_abuse_two_recipients.eml",
        "bounces/arf_not_spam.eml", "dmarc/arf_auth_failure_edt_arrival.eml"]
ARCHIVE, INVALID = "bouncepipe.archive", "bouncepipe.invalid"   # maildir: "." delimiter
NOT_READABLE = "bounces/not_a_bounce_plain_mail.eml"


def dmarc_report_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply-dmarc-support@google.com"
    msg["To"] = "dmarc@example.com"
    msg["Subject"] = "Report domain: example.com Submitter: google.com Report-ID: 1234"
    msg["Date"] = "Sun, 06 Dec 2026 00:00:00 +0000"
    msg["Message-ID"] = "<dmarc-1234@google.com>"
    msg.set_content("This is an aggregate report from google.com.")
    xml = (FIXTURES / "dmarc" / "draft_identities.xml").read_bytes()
    msg.add_attachment(gzip.compress(xml, mtime=0), maintype="application", subtype="gzip",
                       filename="google.com!example.com!1!2.xml.gz")
    return msg.as_bytes()


def _settings(tmp_path: Path, **imap) -> Settings:
    return Settings(imap=ImapSettings(password=PASSWORD, state_dir=tmp_path / "state", **imap))


def _count(client, folder: str) -> int:
    return client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]


def test_lands_moves_and_sets_aside_the_unreadable(dovecot, tmp_path):
    client = dovecot.client()
    client.create_folder("Reports")
    bodies = [(FIXTURES / name).read_bytes() for name in MAIL]
    for body in bodies + [(FIXTURES / NOT_READABLE).read_bytes()]:
        client.append("INBOX", body)
    client.append("Reports", dmarc_report_email())
    settings = _settings(tmp_path, batch_size=3)
    lake = tmp_path / "lake"
    store, finish = lake_store(settings, lake)
    stats = ImapPoller(settings, dovecot.url("INBOX,Reports"), store,
                       finish_round=finish).run(once=True)
    assert (stats.landed, stats.invalid, stats.by_folder) == (7, 1, {"INBOX": 7, "Reports": 1})
    assert [_count(client, f) for f in ("INBOX", "Reports", ARCHIVE,
                                        INVALID)] == [0, 0, 7, 1]
    expected = sorted(e.category for body in bodies for e in process(
        RawMessage.from_bytes(body, RawSource(transport="memory")), settings).events)
    con = connect(lake)
    assert sorted(r[0] for r in con.execute("SELECT category FROM events").fetchall()) == expected
    assert con.execute("SELECT count(*) FROM dmarc_aggregate").fetchone()[0] > 0
    [(reason,)] = con.execute("SELECT reason FROM dead_letters").fetchall()
    assert "not supported" in reason
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM events").fetchall()}
    assert all(s.startswith(f"imap://dmarc@127.0.0.1/INBOX#") for s in sources)
    # a second pass finds nothing new and lands nothing again
    again = ImapPoller(settings, dovecot.url("INBOX,Reports"), store).run(once=True)
    assert (again.landed, again.invalid) == (0, 0)
    assert connect(lake).execute("SELECT count(*) FROM events").fetchone()[0] == len(expected)
    client.logout()


def _dsn(i: int) -> bytes:
    rcpt = f"user{i:05d}@example.com"
    return DSN.replace(b"{rcpt}", rcpt.encode()).replace(b"{to}", b"bounces@example.net")


def _run_cli(dovecot, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "BOUNCEPIPE_IMAP__PASSWORD": PASSWORD, "BOUNCEPIPE_IMAP__BATCH_SIZE": "25",
           "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    return subprocess.Popen(
        [sys.executable, "-m", "connectors.cli", "imap", dovecot.url(), "--lake",
         str(tmp_path / "lake"), "--state-dir", str(tmp_path / "state"), "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("kills", [2])
def test_kill_9_mid_batch_then_restart_nothing_lost_nothing_twice(dovecot, tmp_path, kills):
    total = 400
    client = dovecot.client()
    for i in range(total):
        client.append("INBOX", _dsn(i))
    killed = 0
    for _ in range(kills):
        proc = _run_cli(dovecot, tmp_path)
        start = _count(client, ARCHIVE) if client.folder_exists(
            ARCHIVE) else 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if client.folder_exists(ARCHIVE) and \
                    _count(client, ARCHIVE) > start:
                proc.send_signal(signal.SIGKILL)
                killed += 1
                break
            time.sleep(0.02)
        proc.wait(30)
    assert killed == kills, "the poller finished before it could be killed"
    assert 0 < _count(client, "INBOX") < total
    proc = _run_cli(dovecot, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out.decode()
    assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, total]
    con = connect(tmp_path / "lake")
    assert con.execute("SELECT count(*), count(DISTINCT event_id), count(DISTINCT recipient) "
                       "FROM events").fetchone() == (total, total, total)
    # one domain's 400 hard bounces trip the blast-radius guard: the first are suppressed, the
    # rest held; either way every recipient has exactly its decisions, none twice
    assert con.execute("SELECT count(DISTINCT address), count(DISTINCT suppression_id), "
                       "count(*) FROM suppressions").fetchone() == (total,) + (
        con.execute("SELECT count(*) FROM suppressions").fetchone()[0],) * 2
    client.logout()
