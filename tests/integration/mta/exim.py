"""Exim 4 (Debian's exim4-daemon-light, unpacked under $BOUNCEPIPE_MTA_ROOT/exim4 by
.ci/install-mail-servers) run as `exim -C private.conf` with its spool and logs in a temp dir.

No daemon: each message is submitted on the command line with `-odi` (deliver at once in the
foreground), so the delivery attempt, and the bounce it causes, happen while `submit` runs. One
manualroute router sends every domain (the bounce sender's too) to the reply-table server. The
retry section has a rule with no retry times, which makes Exim treat a temporary (4xx) failure
as permanent at the first attempt: 4xx replies bounce at once."""
from __future__ import annotations

import os
import shutil
import subprocess

from tests.integration.mta.base import MTA, MTA_ROOT, MTAUnavailable, require_root, run

EXIM = MTA_ROOT / "exim4" / "usr" / "sbin" / "exim4"
EXIM_USER = "Debian-exim"   # compiled into Debian's binary

CONFIG = """\
exim_path = {exim}
spool_directory = {spool}
log_file_path = {logs}/%slog
primary_hostname = mta-exim.test
qualify_domain = mta-exim.test
trusted_users = root
never_users =
keep_environment =
timeout_frozen_after = 1m
ignore_bounce_errors_after = 0s
delay_warning =
host_lookup =
rfc1413_hosts =

begin routers
to_reply_table:
  driver = manualroute
  route_list = * 127.0.0.1
  transport = reply_table_smtp
  self = send
  no_more

begin transports
reply_table_smtp:
  driver = smtp
  port = {port}
  hosts_avoid_tls = *
  allow_localhost
  command_timeout = 20s

begin retry
# No retry times: a temporary failure is final at the first attempt.
*  *
"""


class Exim(MTA):
    name = "exim"

    def start(self) -> "Exim":
        require_root("exim")
        if not os.access(EXIM, os.X_OK):
            raise MTAUnavailable(f"exim not unpacked ({EXIM}); run .ci/install-mail-servers")
        spool, logs = self.root / "spool", self.root / "log"
        for d in (spool, logs):
            d.mkdir()
            shutil.chown(d, user=EXIM_USER, group=EXIM_USER)
        self.conf = self.root / "exim.conf"
        self.conf.write_text(self._config(spool, logs))
        self.log_path = logs / "mainlog"
        check = run([str(EXIM), "-C", str(self.conf), "-bV"])
        if check.returncode != 0:
            raise MTAUnavailable(f"exim will not run: {check.stdout}{check.stderr}")
        self.version = check.stdout.splitlines()[0].split(" #")[0]
        return self

    def _config(self, spool, logs) -> str:
        return CONFIG.format(exim=EXIM, spool=spool, logs=logs, port=self.relay_port)

    def submit(self, sender: str, recipients: list[str], message: bytes) -> None:
        # "<>": the null sender (a DSN); an empty -f argument is not one to Exim
        done = subprocess.run([str(EXIM), "-C", str(self.conf), "-odi", "-i", "-f", sender or "<>", "--",
                               *recipients], input=message, capture_output=True, timeout=60)
        if done.returncode not in (0, 1):   # 1: some recipient failed (reported by DSN)
            raise RuntimeError(f"exim submission failed ({done.returncode}): {done.stderr!r}")

    def stop(self) -> None:
        pass   # no daemon: every delivery ran inside `submit`
