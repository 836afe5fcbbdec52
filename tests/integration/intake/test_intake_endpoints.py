"""`bouncepipe smtp` and `bouncepipe imap` as processes with `--metrics-port`: their real
/metrics, /healthz and /readyz, scraped while they run. Counters equal what was sent; readiness
follows the store (SMTP) and the login (IMAP)."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.broker import free_port
from tests.integration.test_service_metrics import probe, scrape, total, wait_for
from tests.unit.test_envelope_policy import DSN

from .dovecot import PASSWORD

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(120)


def _start(args: list[str], tmp_path: Path, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "connectors.cli", *args,
                             "--metrics-port", str(port)],
                            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                            stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / f"{args[0]}.log", "wb"))
    return proc, port


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_smtp_endpoints_count_accepted_refused_and_deferred(tmp_path):
    smtp_port = free_port()
    spool = tmp_path / "spool"
    proc, port = _start(["smtp", "--port", str(smtp_port), "--domain", "bounces.example.com",
                         "--spool", str(spool)], tmp_path)
    try:
        status, body = wait_for(lambda: probe(port, "/healthz"), what="smtp /healthz")
        assert (status, body["listening"], body["alive"]) == (200, True, True)
        assert probe(port, "/readyz")[0] == 200   # nothing stored yet: not known to be down
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            for n in range(3):
                client.sendmail("", [f"b+{n}@bounces.example.com"], DSN)
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("", ["someone@elsewhere.example"], DSN)
        samples = scrape(port)
        assert total(samples, "bouncepipe_intake_messages_total", source="smtp",
                     outcome="accepted") == 3
        assert total(samples, "bouncepipe_intake_messages_total", source="smtp",
                     outcome="refused_rcpt") == 1
        assert total(samples, "bouncepipe_intake_messages_total", source="smtp",
                     outcome="deferred") == 0
        assert total(samples, "bouncepipe_intake_store_seconds_count", source="smtp") == 3
        assert len(list(spool.rglob("*.eml"))) == 3

        # the spool's path stops being a directory (root ignores file modes): 451, counted as
        # deferred, and the receiver is no longer ready
        spool.rename(tmp_path / "spool.kept")
        spool.write_bytes(b"")
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                client.sendmail("", ["b+9@bounces.example.com"], DSN)
        assert deferred.value.smtp_code == 451
        assert total(scrape(port), "bouncepipe_intake_messages_total", source="smtp",
                     outcome="deferred") == 1
        status, body = probe(port, "/readyz")
        assert (status, body["ready"], body["last_store_ok"]) == (503, False, False)
        assert probe(port, "/healthz")[0] == 200   # alive: still listening
    finally:
        assert _stop(proc) == 0


def test_imap_endpoints_count_landed_and_follow_the_login(dovecot, tmp_path):
    client = dovecot.client()
    for name in ("bounces/rfc3464_crlf_two_recipients.eml", "bounces/arf_not_spam.eml",
                 "bounces/not_a_bounce_plain_mail.eml"):
        client.append("INBOX", (FIXTURES / name).read_bytes())
    env = {"BOUNCEPIPE_IMAP__PASSWORD": PASSWORD, "BOUNCEPIPE_IMAP__POLL_SECONDS": "1"}
    proc, port = _start(["imap", dovecot.url(), "--lake", str(tmp_path / "lake"),
                         "--state-dir", str(tmp_path / "state")], tmp_path, env)
    try:
        # ready once logged in with a round through (the round counter moves at its start)
        wait_for(lambda: probe(port, "/readyz")[0] == 200, what="an IMAP round through")
        samples = scrape(port)
        assert total(samples, "bouncepipe_imap_rounds_total") >= 1
        assert total(samples, "bouncepipe_intake_messages_total", source="imap",
                     outcome="landed") == 2
        assert total(samples, "bouncepipe_intake_messages_total", source="imap",
                     outcome="invalid") == 1
        assert total(samples, "bouncepipe_imap_refusals_total") == 0
        status, body = probe(port, "/readyz")
        assert (status, body["connected"], body["last_round_ok"]) == (200, True, True)
        assert probe(port, "/healthz")[0] == 200
    finally:
        assert _stop(proc) == 0

    # a refused login: alive (it retries with backoff) but not ready
    env["BOUNCEPIPE_IMAP__PASSWORD"] = "wrong"
    proc, port = _start(["imap", dovecot.url(), "--lake", str(tmp_path / "lake"),
                         "--state-dir", str(tmp_path / "state")], tmp_path, env)
    try:
        wait_for(lambda: total(scrape(port), "bouncepipe_imap_refusals_total") >= 1,
                 what="a refused login")
        status, body = probe(port, "/readyz")
        assert (status, body["connected"], body["last_round_ok"]) == (503, False, False)
        assert probe(port, "/healthz")[0] == 200
    finally:
        assert _stop(proc) == 0
