"""Postfix (the Debian package) as a private instance: `postfix -c DIR start-fg` with its own
main.cf/master.cf, queue and data directories in a temp dir, smtpd on 127.0.0.1:<port>, every
domain (the bounce sender's too) routed by transport_maps to the reply-table server, and a
zero queue lifetime so a 4xx reply is bounced after the first attempt."""
from __future__ import annotations

import os
import shutil
import subprocess

from tests.integration.mta.base import (MTA, MTAUnavailable, require_root, run, smtp_submit,
                                        wait_for_port)
from tests.integration.mta.server import free_port

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n  -  n  60    1  pickup
cleanup   unix  n  -  n  -     0  cleanup
qmgr      unix  n  -  n  300   1  qmgr
rewrite   unix  -  -  n  -     -  trivial-rewrite
bounce    unix  -  -  n  -     0  bounce
defer     unix  -  -  n  -     0  bounce
trace     unix  -  -  n  -     0  bounce
verify    unix  -  -  n  -     1  verify
flush     unix  n  -  n  1000? 0  flush
proxymap  unix  -  -  n  -     -  proxymap
smtp      unix  -  -  n  -     -  smtp
relay     unix  -  -  n  -     -  smtp
showq     unix  n  -  n  -     -  showq
error     unix  -  -  n  -     -  error
retry     unix  -  -  n  -     -  error
discard   unix  -  -  n  -     -  discard
anvil     unix  -  -  n  -     1  anvil
scache    unix  -  -  n  -     1  scache
postlog   unix-dgram n - n -   1  postlogd
"""


class Postfix(MTA):
    name = "postfix"

    def __init__(self, relay_port: int) -> None:
        super().__init__(relay_port)
        self.port = free_port()
        self.conf = self.root / "conf"
        self._proc: subprocess.Popen | None = None

    def _main_cf(self) -> str:
        queue, data = self.root / "queue", self.root / "data"
        return f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mta-postfix.test
mydomain = mta-postfix.test
myorigin = $myhostname
mydestination =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
transport_maps = inline:{{ {{ * = smtp:[127.0.0.1]:{self.relay_port} }} }}
smtp_tls_security_level = none
smtp_host_lookup = native
bounce_queue_lifetime = 0
maximal_queue_lifetime = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
maillog_file = /dev/stdout
"""

    def _master_cf(self) -> str:
        return MASTER_CF.format(port=self.port)

    def start(self) -> "Postfix":
        require_root("postfix")
        if not os.access(POSTFIX, os.X_OK):
            raise MTAUnavailable(f"postfix not installed ({POSTFIX}); run .ci/install-mail-servers")
        version = run(["postconf", "-d", "-h", "mail_version"])
        self.version = f"Postfix {version.stdout.strip()}"
        self.conf.mkdir()
        (self.root / "queue").mkdir()
        data = self.root / "data"
        data.mkdir()
        shutil.chown(data, user="postfix")
        (self.conf / "main.cf").write_text(self._main_cf())
        (self.conf / "master.cf").write_text(self._master_cf())
        check = run([POSTFIX, "-c", str(self.conf), "check"])
        if check.returncode != 0:
            raise MTAUnavailable(f"postfix check failed: {check.stdout}{check.stderr}")
        self._log = open(self.log_path, "ab")
        self._proc = subprocess.Popen([POSTFIX, "-c", str(self.conf), "start-fg"],
                                      stdout=self._log, stderr=subprocess.STDOUT)
        if not wait_for_port(self.port, 20, self._proc):
            self.stop()
            raise MTAUnavailable(f"postfix did not start:\n{self.log_tail()}")
        return self

    def submit(self, sender: str, recipients: list[str], message: bytes) -> None:
        smtp_submit(self.port, sender, recipients, message)

    def stop(self) -> None:
        if self._proc is not None:
            run([POSTFIX, "-c", str(self.conf), "stop"])
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
            self._log.close()
