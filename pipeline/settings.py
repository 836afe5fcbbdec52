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

    max_payload_bytes: int = 64 * 1024 * 1024           # one raw input
    max_decompressed_bytes: int = 256 * 1024 * 1024     # gzip/zip output, per input
    # decompressed / compressed, past the first MiB: real DMARC/TLS reports are 10-30x;
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
    ssl_cafile: str | None = None
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
    archive: ArchiveSettings = ArchiveSettings()
    redact_failure_bodies: bool = True   # DMARC failure reports: drop message bodies (PII)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return Settings()
