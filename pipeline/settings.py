"""One typed, frozen settings object. Environment names: BOUNCEPIPE_<SECTION>__<FIELD>.

Each part of bouncepipe reads its own section; add fields to your section, not new globals.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limits(_Section):
    """Hardening caps. Each violation is a dead letter with a reason, never a crash."""

    max_payload_bytes: int = 64 * 1024 * 1024           # one raw input held in memory
    # A report file `ingest` streams from disk (never read whole): a 1,000,000-record
    # aggregate report is ~510 MB of XML, which the big mailbox providers do send.
    max_report_file_bytes: int = 2 * 1024 * 1024 * 1024
    # gzip/zip output, per input, streamed: 1 GiB holds a ~2,000,000-record report; the
    # ratio cap below refuses bombs long before.
    max_decompressed_bytes: int = 1024 * 1024 * 1024
    # decompressed / compressed, past the first MiB: real DMARC/TLS reports are 10-40x;
    # identical records run ~400x (a 266 KB gzip of them took 3 s to refuse at 200x)
    max_compression_ratio: int = 50
    max_zip_members: int = 100
    max_nested_archive_bytes: int = 8 * 1024 * 1024     # a zip inside gzip, buffered
    max_report_records: int = 5_000_000                 # rows in one DMARC aggregate report
    max_mime_parts: int = 500                           # parts in one email
    max_mime_depth: int = 64                            # multipart / message nesting
    max_recipients_per_input: int = 1_000               # events from one bounce (else dead letter)
    max_json_events: int = 100_000                      # events in one webhook batch
    max_seconds_per_input: float = 30.0                 # wall time, streaming worker


class KafkaSettings(_Section):
    bootstrap: str = "127.0.0.1:9092"
    client_id: str = "bouncepipe"
    security_protocol: str = "PLAINTEXT"   # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None      # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None          # CA bundle for imaps:// / STARTTLS (default: system)
    refused_backoff_max_seconds: float = 300.0   # retry cap after a refused login/certificate
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    api_version: str | None = None         # e.g. "2.5.0" (needed for kafka-python groups on Tansu)


class Topics(_Section):
    """Topic names. One raw topic per input family so operators can ACL and scale them apart."""

    raw_email: str = "bouncepipe.raw.email"       # DSN / ARF / report emails (bytes)
    raw_dmarc: str = "bouncepipe.raw.dmarc"       # DMARC / TLS report files (xml, gz, zip, json)
    raw_webhook: str = "bouncepipe.raw.webhook"   # verified ESP webhook bodies
    raw_mta_log: str = "bouncepipe.raw.mta_log"   # MTA log records (KumoMTA)
    events: str = "bouncepipe.events"
    suppressions: str = "bouncepipe.suppressions"  # compacted, keyed by scope + address
    dmarc_rows: str = "bouncepipe.dmarc_rows"
    deadletter: str = "bouncepipe.deadletter"


class LakeSettings(_Section):
    path: Path = Path("lake")
    # Rows a Parquet file holds: the sink cuts a partition's file at this many rows at most;
    # `ingest` writes its buffered rows (and each chunk of a huge report) once they reach it.
    rows_per_file: int = 20_000


class WebhookSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8025
    max_body_bytes: int = 5 * 1024 * 1024
    timestamp_tolerance_seconds: int = 300
    # Per-provider secrets: BOUNCEPIPE_WEBHOOKS__SECRETS='{"sendgrid": "MFkw...", ...}'
    secrets: dict[str, SecretStr] = {}
    basic_auth: dict[str, SecretStr] = {}   # provider -> "user:password"
    require_signature: bool = True
    bearer_tokens: dict[str, SecretStr] = {}  # provider -> token sent as "Authorization: Bearer"
    public_url: str | None = None          # base URL as providers call it (Mandrill signs the URL)
    sns_subscription_policy: str = "log"   # SubscriptionConfirmation: log | publish | reject
    sns_topic_arns: list[str] = []         # accepted SNS topics (empty = any verified topic)
    replay_cache_size: int = 100_000       # Mailgun tokens remembered against replays
    publish_timeout_seconds: float = 10.0  # broker acknowledgement wait before answering 503
    kafka_idempotence: bool = False        # idempotent producer (Apache Kafka; not on Tansu)


class ServiceSettings(_Section):
    """What every long-running service exposes (connectors/health.py, connectors/logs.py)."""

    metrics_host: str = "127.0.0.1"     # 0.0.0.0 in a container (docker-compose.yml)
    metrics_port: int | None = None     # /metrics, /healthz, /readyz; None = no endpoint
    ready_max_lag: int = 1000           # /readyz: at most this many records behind, per loop
    stall_seconds: float = 120.0        # /healthz: a loop that has not polled for this long is dead
    log_format: str = "text"            # text | json
    # After SIGTERM/SIGINT the loops flush and commit; a flush that cannot finish (the broker
    # gone, a sink's storage hung) would hold the process forever. Past this many seconds the
    # loops are cancelled: their uncommitted records are replayed by the next owner.
    shutdown_grace_seconds: float = 30.0


class VerpSettings(_Section):
    """Return-path decoding (pipeline/verp.py). Keys: BOUNCEPIPE_VERP__KEYS='{"k1": "secret"}';
    new tokens are signed with `current_key` and every key in `keys` still verifies (rotation:
    add the new key, switch current_key, drop the old one after max_age_days)."""

    prefix: str = "b"                      # the local part before "+": b+alice=example.com@...
    keys: dict[str, SecretStr] = {}        # key id -> HMAC-SHA256 key
    current_key: str | None = None         # key id that signs new tokens (default: the only one)
    max_age_days: int = 60                 # tokens older than this are expired
    require_signed: bool = False           # a DSN without a valid token never suppresses


class SmtpSettings(_Section):
    """`bouncepipe smtp`: the SMTP/LMTP bounce receiver (connectors/sources/smtp.py)."""

    host: str = "127.0.0.1"
    port: int = 2525
    lmtp: bool = False                     # speak LMTP (per-recipient answers after DATA)
    hostname: str | None = None            # the banner/HELO name (default: the machine's FQDN)
    domains: list[str] = []                # accepted bounce domains (no relay); empty = refuse all
    max_message_bytes: int = 25 * 1024 * 1024
    tls_cert: Path | None = None           # STARTTLS offered when both are set
    tls_key: Path | None = None
    require_tls: bool = False              # refuse MAIL before STARTTLS
    publish_timeout_seconds: float = 10.0  # broker acknowledgement wait before answering 451
    tenant: str | None = None              # tenant stamped on every message received


class ImapSettings(_Section):
    """`bouncepipe imap`: the mailbox poller (connectors/sources/imap.py)."""

    url: str | None = None                 # imap[s]://user@host[:port]/INBOX[,Folder2]
    password: SecretStr | None = None
    oauth2_token: SecretStr | None = None  # XOAUTH2 access token instead of a password
    # ... or read afresh before every login (tokens expire within the hour): a file that a
    # refresher rewrites, or a command printing the token (e.g. `oauth2l fetch --refresh`)
    oauth2_token_file: Path | None = None
    oauth2_token_command: str | None = None
    archive_folder: str = "bouncepipe/archive"
    invalid_folder: str = "bouncepipe/invalid"
    batch_size: int = 100
    idle_seconds: int = 300                # IDLE wait before a re-check (servers drop at 30 min)
    poll_seconds: float = 30.0             # when the server has no IDLE
    starttls: bool = False                 # imap:// with STARTTLS
    ssl_cafile: str | None = None          # CA bundle for imaps:// / STARTTLS (default: system)
    refused_backoff_max_seconds: float = 300.0   # retry cap after a refused login/certificate
    state_dir: Path = Path("imap-state")   # UIDVALIDITY/last-UID per folder (for restarts)
    tenant: str | None = None


class SuppressionSettings(_Section):
    policy_file: Path | None = None   # YAML/JSON policy; None = built-in defaults


class ArchiveSettings(_Section):
    """The raw archive (`raw_archive` lake table): what `bouncepipe reclassify` replays."""

    enabled: bool = True
    # Returned messages inside bounces and complaints carry recipients' mail: drop their bodies
    # (headers kept) before archiving. Reclassification then reads the redacted copy.
    redact_returned_bodies: bool = False
    retention_days: int | None = None   # `bouncepipe archive prune` drops older partitions


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOUNCEPIPE_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    limits: Limits = Limits()
    kafka: KafkaSettings = KafkaSettings()
    topics: Topics = Topics()
    lake: LakeSettings = LakeSettings()
    webhooks: WebhookSettings = WebhookSettings()
    suppression: SuppressionSettings = SuppressionSettings()
    service: ServiceSettings = ServiceSettings()
    archive: ArchiveSettings = ArchiveSettings()
    verp: VerpSettings = VerpSettings()
    smtp: SmtpSettings = SmtpSettings()
    imap: ImapSettings = ImapSettings()
    redact_failure_bodies: bool = True   # DMARC failure reports: drop message bodies (PII)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return Settings()
