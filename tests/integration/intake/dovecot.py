"""A real Dovecot IMAP server on loopback with a private config (tests only).

Debian's dovecot-imapd (`apt-get install dovecot-imapd`); the daemon runs from a temp dir:
base_dir, state_dir, log and maildirs there, plaintext login on loopback, a passwd-file
passdb with {PLAIN} passwords and a static userdb with uid `mail` (Dovecot refuses uid 0).

Options: `tls=True` serves a private CA's certificate (tls_material.py) on an imaps listener
and offers STARTTLS on the plain one; `plaintext_auth=False` refuses logins before TLS
(LOGINDISABLED; Dovecot counts 127.0.0.1→127.0.0.1 as secure, so reach it from 127.0.0.2);
`oauth2_introspection_url` adds the oauth2 passdb (XOAUTH2/OAUTHBEARER) checking tokens
against that RFC 7662 introspection endpoint.
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
{ssl}
disable_plaintext_auth = {disable_plaintext_auth}
auth_mechanisms = {auth_mechanisms}
auth_failure_delay = {auth_failure_delay}
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
  mechanisms = plain login
}}
{oauth2_passdb}userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
{imaps_listener}}}
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


SSL_ON = """ssl = yes
ssl_cert = <{root}/tls/server-cert.pem
ssl_key = <{root}/tls/server-key.pem
ssl_min_protocol = TLSv1.2"""
IMAPS_LISTENER = """  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
"""
OAUTH2_PASSDB = """passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
# RFC 7662 introspection by POST (token=...); the answer's "username" must be the login user
OAUTH2_CONF = """introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


class Dovecot:
    def __init__(self, root: Path, *, tls: bool = False, plaintext_auth: bool = True,
                 oauth2_introspection_url: str | None = None):
        self.root = Path(root)
        self.port = _free_port()
        self.imaps_port = _free_port() if tls else None
        self.host = "127.0.0.1"
        self.tls = tls
        self.plaintext_auth = plaintext_auth
        self.oauth2_introspection_url = oauth2_introspection_url
        self.ca_file: Path | None = None

    def _config(self) -> str:
        mechanisms = "plain login" + (" xoauth2 oauthbearer" if self.oauth2_introspection_url
                                      else "")
        return CONFIG.format(
            root=self.root, port=self.port,
            ssl=SSL_ON.format(root=self.root) if self.tls else "ssl = no",
            disable_plaintext_auth="no" if self.plaintext_auth else "yes",
            auth_mechanisms=mechanisms,
            # the default 2 s delay after a failed login only slows the refusal tests down
            auth_failure_delay="0",
            oauth2_passdb=OAUTH2_PASSDB.format(root=self.root)
            if self.oauth2_introspection_url else "",
            imaps_listener=IMAPS_LISTENER.format(port=self.imaps_port) if self.tls else "")

    def start(self) -> "Dovecot":
        import grp
        import pwd

        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        mail_uid, mail_gid = pwd.getpwnam("mail").pw_uid, grp.getgrnam("mail").gr_gid
        os.chown(self.root / "mail", mail_uid, mail_gid)
        os.chmod(self.root, 0o711)   # the mail user must reach its maildir
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if self.tls:
            from .tls_material import write_ca_and_server_cert

            (self.root / "tls").mkdir(mode=0o700, exist_ok=True)
            self.ca_file = write_ca_and_server_cert(self.root / "tls")[0]
        if self.oauth2_introspection_url:
            (self.root / "dovecot-oauth2.conf.ext").write_text(
                OAUTH2_CONF.format(url=self.oauth2_introspection_url))
        self.config = self.root / "dovecot.conf"
        self.config.write_text(self._config())
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True, timeout=30)
        deadline = time.monotonic() + 15
        ports = [p for p in (self.port, self.imaps_port) if p]
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex((self.host, ports[0])) == 0:
                    ports.pop(0)
                    if not ports:
                        return self
                    continue
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

    def url(self, folders: str = "INBOX", *, imaps: bool = False, port: int | None = None) -> str:
        if imaps:
            return f"imaps://{USER}@{self.host}:{port or self.imaps_port}/{folders}"
        return f"imap://{USER}@{self.host}:{port or self.port}/{folders}"

    def client(self):
        """A logged-in client for setting up and checking folders (over imaps when the
        server refuses plaintext logins)."""
        from imapclient import IMAPClient

        if self.tls and not self.plaintext_auth:
            import ssl

            client = IMAPClient(self.host, port=self.imaps_port, ssl=True, timeout=30,
                                ssl_context=ssl.create_default_context(cafile=self.ca_file))
        else:
            client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client

    def xoauth2_probe(self, token: str) -> str | None:
        """Log in once with XOAUTH2: None if it works, the reason to skip if this Dovecot has
        no oauth2 passdb; any other failure raises (the harness is broken, not missing)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.oauth2_login(USER, token)
        except Exception as exc:  # noqa: BLE001 - decide below whether it is a skip
            log = self.log()
            if "Unknown passdb driver" in log or "oauth2" in log and "not supported" in log:
                return f"this Dovecot has no oauth2 passdb: {log[-300:]}"
            raise RuntimeError(f"XOAUTH2 probe failed: {exc}; dovecot log: {log}") from exc
        finally:
            client.shutdown()
        return None
