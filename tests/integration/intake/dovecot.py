"""A real Dovecot IMAP server on loopback with a private config (tests only).

Debian's dovecot-imapd (`apt-get install dovecot-imapd`); the daemon runs from a temp dir:
base_dir, state_dir, log and maildirs there, plaintext login on loopback, a passwd-file
passdb with {PLAIN} passwords and a static userdb with uid `mail` (Dovecot refuses uid 0).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "dmarc", "loopback-only"

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def unavailable() -> str | None:
    """Why a Dovecot cannot run here, or None."""
    if not os.path.exists(DOVECOT):
        return "dovecot not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the private Dovecot needs root (it switches to the mail user)"
    for user in ("mail", "dovecot", "dovenull"):
        try:
            import pwd
            pwd.getpwnam(user)
        except KeyError:
            return f"system user {user} missing (installed with dovecot-core)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.port = _free_port()
        self.host = "127.0.0.1"

    def start(self) -> "Dovecot":
        import grp
        import pwd

        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        mail_uid, mail_gid = pwd.getpwnam("mail").pw_uid, grp.getgrnam("mail").gr_gid
        os.chown(self.root / "mail", mail_uid, mail_gid)
        os.chmod(self.root, 0o711)   # the mail user must reach its maildir
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config = self.root / "dovecot.conf"
        self.config.write_text(CONFIG.format(root=self.root, port=self.port))
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex((self.host, self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen: {self.log()}")

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        try:
            pid = int((self.root / "run" / "master.pid").read_text())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def url(self, folders: str = "INBOX") -> str:
        return f"imap://{USER}@{self.host}:{self.port}/{folders}"

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client
