"""OpenSMTPD (Debian's opensmtpd, unpacked under $BOUNCEPIPE_MTA_ROOT/opensmtpd by
.ci/install-mail-servers) run in the foreground as `smtpd -d -f private.conf`.

Its queue (/var/spool/smtpd), control socket (/var/run/smtpd.sock) and chroot
(/var/lib/opensmtpd/empty) are compiled in and no option moves them, so one instance runs at a
time and it refuses to start (the tests skip) while another smtpd holds the socket. Debian's build runs
its processes as opensmtpd/opensmtpq (created by the install script). Every domain (the bounce sender's
too) is relayed to the reply-table server. `queue ttl 20s` makes a message that met a 4xx reply
expire, and bounce, twenty seconds after it arrived. (Not less: every message and the bounce
itself are queued with the same ttl; one second proved too short for a bounce under load, and
eight, with the widened reply table's 70 messages queued at once on a busy machine, let some
messages expire before their first attempt and some bounces expire unsent, dropped without
a trace. record.py, which queues every row as its own message, gives 60s.)"""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.integration.mta.base import (MTA, MTA_ROOT, MTAUnavailable, require_root, run,
                                        smtp_submit, wait_for_port)
from tests.integration.mta.server import free_port

SMTPD = MTA_ROOT / "opensmtpd" / "usr" / "sbin" / "smtpd"
CONTROL_SOCKET = Path("/var/run/smtpd.sock")
CHROOT = Path("/var/lib/opensmtpd/empty")
SPOOL = Path("/var/spool/smtpd")

CONFIG = """\
queue ttl {ttl}s
bounce warn-interval 1d
listen on lo port {port} hostname mta-opensmtpd.test
action "to_reply_table" relay host smtp://127.0.0.1:{relay_port} helo mta-opensmtpd.test
match from any for any action "to_reply_table"
match from local for any action "to_reply_table"
"""


def socket_in_use(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False


class OpenSMTPD(MTA):
    name = "opensmtpd"

    def __init__(self, relay_port: int, queue_ttl: int = 20) -> None:
        super().__init__(relay_port)
        self.port = free_port()
        self.queue_ttl = queue_ttl
        self._proc: subprocess.Popen | None = None

    def start(self) -> "OpenSMTPD":
        require_root("opensmtpd")
        if not os.access(SMTPD, os.X_OK):
            raise MTAUnavailable(f"opensmtpd not unpacked ({SMTPD}); run .ci/install-mail-servers")
        if socket_in_use(CONTROL_SOCKET):
            raise MTAUnavailable(f"another smtpd holds {CONTROL_SOCKET}; OpenSMTPD runs one instance")
        CHROOT.mkdir(parents=True, exist_ok=True)
        self.conf = self.root / "smtpd.conf"
        self.conf.write_text(CONFIG.format(port=self.port, relay_port=self.relay_port, ttl=self.queue_ttl))
        os.chmod(self.conf, 0o644)
        check = run([str(SMTPD), "-n", "-f", str(self.conf)])
        if check.returncode != 0:
            raise MTAUnavailable(f"smtpd rejects its config: {check.stdout}{check.stderr}")
        self.version = _version()
        self._log = open(self.log_path, "ab")
        self._proc = subprocess.Popen([str(SMTPD), "-d", "-v", "-f", str(self.conf)],
                                      stdout=self._log, stderr=subprocess.STDOUT)
        if not wait_for_port(self.port, 20, self._proc):
            self.stop()
            raise MTAUnavailable(f"smtpd did not start:\n{self.log_tail()}")
        return self

    def submit(self, sender: str, recipients: list[str], message: bytes) -> None:
        smtp_submit(self.port, sender, recipients, message)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
            self._log.close()


def _version() -> str:
    out = run([str(SMTPD), "-h"])
    for line in (out.stdout + out.stderr).splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip()
    return "OpenSMTPD"
