"""What every MTA under test offers: start with a private config that relays all mail to the
reply-table server, take messages, stop. Each driver skips (MTAUnavailable) when its binary is
missing or will not start, saying why."""
from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

MTA_ROOT = Path(os.environ.get("BOUNCEPIPE_MTA_ROOT", "/opt/bouncepipe-mta"))


class MTAUnavailable(RuntimeError):
    """The MTA cannot run here (binary missing, not root, failed to start): tests skip."""


class MTA:
    name = "mta"
    version = "?"

    def __init__(self, relay_port: int) -> None:
        self.relay_port = relay_port
        # Daemons drop to their own users: the private tree must be traversable by them.
        self.root = Path(tempfile.mkdtemp(prefix=f"bouncepipe-{self.name}-"))
        os.chmod(self.root, 0o755)
        self.log_path = self.root / "mta.log"

    def start(self) -> "MTA":
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def submit(self, sender: str, recipients: list[str], message: bytes) -> None:
        raise NotImplementedError

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def require_root(name: str) -> None:
    if os.geteuid() != 0:
        raise MTAUnavailable(f"{name} needs root to run its daemons under their own users")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 30), **kw)


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    """True once an SMTP greeting comes from 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
            return True
        except (OSError, smtplib.SMTPException):
            time.sleep(0.2)
    return False


def smtp_submit(port: int, sender: str, recipients: list[str], message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        client.sendmail(sender, recipients, message)
