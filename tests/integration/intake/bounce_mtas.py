"""The real-MTA harness's Postfix and Exim (tests/integration/mta/), configured as a sender's
MTA whose return-path domain is routed to `bouncepipe smtp`: the originals go to the reply-table
server (which refuses them with documented replies) and the DSNs each MTA generates go to the
receiver (README "point your Postfix at it": the transport line).

Postfix here keeps a DSN it could not deliver (451) queued for an hour and retries it only when
the test flushes the queue (`flush()`, i.e. `postqueue -f`): the harness's zero queue lifetime
would expire a DSN at its first 4xx ("status=expired, returned to sender"), and Postfix's own
1-2 s backoff would make the number of 451s a race. Optional STARTTLS to the receiver at the
`secure` level: the receiver's certificate must verify against our CA file and name.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from tests.integration.mta.base import run
from tests.integration.mta.exim import Exim
from tests.integration.mta.postfix import Postfix

BOUNCE_DOMAIN = "bounces.example.net"
RECEIVER_NAME = "receiver.bouncepipe.test"   # the name in the receiver's test certificate


class BounceDomainPostfix(Postfix):
    def __init__(self, relay_port: int, receiver_port: int, *, tls_ca: Path | None = None):
        super().__init__(relay_port)
        self.receiver_port = receiver_port
        self.tls_ca = tls_ca

    def _main_cf(self) -> str:
        drop = ("transport_maps", "bounce_queue_lifetime", "maximal_queue_lifetime",
                "queue_run_delay", "minimal_backoff_time", "maximal_backoff_time")
        lines = [line for line in super()._main_cf().splitlines() if not line.startswith(drop)]
        nexthop = f"[127.0.0.1]:{self.receiver_port}"
        lines += [
            f"transport_maps = inline:{{ {{ {BOUNCE_DOMAIN} = smtp:{nexthop} }},"
            f" {{ * = smtp:[127.0.0.1]:{self.relay_port} }} }}",
            # Postfix caps bounce_queue_lifetime at maximal_queue_lifetime: both, or the DSN
            # expires at its first 451 instead of waiting for the receiver to recover.
            "maximal_queue_lifetime = 1h", "bounce_queue_lifetime = 1h",
            "queue_run_delay = 1h", "minimal_backoff_time = 1h", "maximal_backoff_time = 1h",
        ]
        if self.tls_ca is not None:
            # inside the private tree (0755): pytest's tmp root is 0700 to the postfix user
            ca = self.root / "receiver-ca.pem"
            shutil.copy(self.tls_ca, ca)
            ca.chmod(0o644)
            policy = self.root / "tls_policy"
            policy.write_text(f"{nexthop} secure match={RECEIVER_NAME}\n")
            lines += [f"smtp_tls_policy_maps = texthash:{policy}",
                      f"smtp_tls_CAfile = {ca}", "smtp_tls_loglevel = 1"]
        return "\n".join(lines) + "\n"

    def _master_cf(self) -> str:
        # the TLS session cache and entropy broker: without it the smtp client disables TLS
        tlsmgr = "tlsmgr    unix  -  -  n  1000? 1  tlsmgr\n" if self.tls_ca is not None else ""
        return super()._master_cf() + tlsmgr

    def flush(self) -> None:
        """`postqueue -f`: deliver everything queued now, whatever its backoff says."""
        done = run(["postqueue", "-c", str(self.conf), "-f"])
        if done.returncode != 0:
            raise RuntimeError(f"postqueue -f failed: {done.stdout}{done.stderr}")

    def queued(self) -> int:
        """Messages still in the queue (`postqueue -j`: one JSON line each)."""
        done = run(["postqueue", "-c", str(self.conf), "-j"])
        return len([line for line in done.stdout.splitlines() if line.startswith("{")])


class BounceDomainExim(Exim):
    """Exim with a router before the harness's catch-all: the bounce domain goes to the
    receiver's port. Every delivery (the DSN's too) runs in the submitting process or its
    child (`-odi`), so no daemon is left behind."""

    def __init__(self, relay_port: int, receiver_port: int):
        super().__init__(relay_port)
        self.receiver_port = receiver_port

    def _config(self, spool, logs) -> str:
        config = super()._config(spool, logs)
        router = (f"to_bouncepipe:\n  driver = manualroute\n  domains = {BOUNCE_DOMAIN}\n"
                  "  route_list = * 127.0.0.1\n  transport = bouncepipe_smtp\n  self = send\n"
                  "  no_more\n\n")
        transport = (f"bouncepipe_smtp:\n  driver = smtp\n  port = {self.receiver_port}\n"
                     "  hosts_avoid_tls = *\n  allow_localhost\n  command_timeout = 20s\n\n")
        config = config.replace("begin routers\n", "begin routers\n" + router, 1)
        return config.replace("begin transports\n", "begin transports\n" + transport, 1)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A CA-flagged self-signed certificate for RECEIVER_NAME and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, RECEIVER_NAME)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(RECEIVER_NAME)]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "receiver.pem", directory / "receiver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    cert_path.chmod(0o644)   # Postfix's smtp client reads it as the postfix user
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def wait_until(condition, timeout: float, interval: float = 0.2) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


