"""Seeded synthetic lake: realistic-looking events, suppressions, DMARC and TLS-RPT rows.

Used by the notebooks and `bouncepipe report --demo` (a few tens of thousands of events, so the
plots have a shape) and by `bench/bench_views.py` (10 million events). Vectorised with numpy and
pyarrow (no per-event Python objects); writes Parquet with the explicit lake schemas, Hive
partitioned by dt exactly like `connectors.lake`, one file per table and day.

The story the data tells (so the notebooks have something to find):
- olddomain.example is a dead domain: a quarter of its mail hard-bounces (hostunknown).
- outlook.com starts blocking in the last 7 days (soft bounces, reason "blocked").
- globex/promo runs at a warn-level complaint rate; globex/newsletter goes over 0.30 % in the
  last 5 days; the other streams stay well below 0.10 %.
- example.com (p=none) has a CRM vendor that starts sending unaligned mail 5 days before the
  end (a new, failing source) plus spoofers; news.example.com passes almost everywhere;
  shop.example.org (p=quarantine) has a partly misconfigured third-party sender.
- one MX certificate expired for three days (TLS-RPT certificate-expired failures).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.dimensions import normalise_diagnostic
from schemas.tables import TABLES

# Recipient domains and their share of the mail; per-domain hard / soft bounce probability.
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "gmx.de",
           "corp.example.net", "olddomain.example")
DOMAIN_SHARE = np.array([0.36, 0.14, 0.17, 0.06, 0.09, 0.07, 0.08, 0.03])
P_HARD = np.array([0.006, 0.01, 0.008, 0.012, 0.007, 0.015, 0.02, 0.25])
P_SOFT = np.array([0.012, 0.02, 0.015, 0.015, 0.01, 0.02, 0.03, 0.02])
OUTLOOK, OLD = DOMAINS.index("outlook.com"), DOMAINS.index("olddomain.example")
OUTLOOK_BLOCK_EXTRA = 0.05  # extra soft-bounce probability at outlook.com in the last 7 days

# (tenant, stream, share of the mail, complaint probability, ... in the last 5 days)
STREAMS = (
    ("acme", "transactional", 0.30, 0.00005, 0.00005),
    ("acme", "newsletter", 0.25, 0.0004, 0.0004),
    ("globex", "promo", 0.15, 0.0016, 0.0016),
    ("globex", "newsletter", 0.15, 0.0006, 0.0045),
    ("initech", "transactional", 0.15, 0.0001, 0.0001),
)
# Sending pools and IPs per stream (KumoMTA-style egress_pool / egress_source tags).
STREAM_POOL = ("acme-transactional", "acme-bulk", "globex-bulk", "globex-bulk", "shared")
POOL_IPS = {"acme-transactional": ("198.51.100.10",), "acme-bulk": ("198.51.100.20", "198.51.100.21"),
            "globex-bulk": ("198.51.100.30", "198.51.100.31"), "shared": ("198.51.100.40",)}
# The receiving MX per recipient domain (the dead domain has none: host unknown).
REMOTE_MTA = ("gmail-smtp-in.l.google.com", "mta6.am0.yahoodns.net",
              "outlook-com.olc.protection.outlook.com", "hotmail-com.olc.protection.outlook.com",
              "mx01.mail.icloud.com", "mx00.gmx.net", "mx1.corp.example.net", "")
# Diagnostic wording per reason (the address is appended, as receivers do).
DIAGNOSTIC = {"userunknown": "Recipient address rejected: User unknown in virtual mailbox table",
              "hostunknown": "Host or domain name not found. Name service error for name",
              "notaccept": "Domain does not accept mail (null MX)", "hasmoved": "User has moved",
              "mailboxfull": "Mailbox full: quota exceeded for", "blocked":
              "Service unavailable, Client host blocked using Spamhaus; see https://www.spamhaus.org for",
              "spamdetected": "Message rejected as spam by Content Filtering for",
              "ratelimited": "Too many messages from your IP, try again later for",
              "expired": "Delivery time expired for", "systemerror": "Temporary system problem for"}
SENDER_DOMAINS = ("example.com", "news.example.com", "shop.example.org")
STREAM_SENDER = np.array([0, 1, 2, 1, 0])  # which sender domain each stream uses

HARD_REASONS = (("userunknown", "5.1.1", 550, 0.8), ("hostunknown", "5.1.2", 550, 0.1),
                ("notaccept", "5.1.10", 556, 0.05), ("hasmoved", "5.1.6", 551, 0.05))
SOFT_REASONS = (("mailboxfull", "4.2.2", 452, 0.35), ("blocked", "5.7.1", 550, 0.15),
                ("spamdetected", "5.7.1", 554, 0.1), ("ratelimited", "4.7.0", 421, 0.15),
                ("expired", "4.4.7", 451, 0.1), ("systemerror", "4.3.0", 451, 0.15))
DELAYED_SHARE = 0.3  # soft bounces that are delayed DSNs (deferrals), not final failures
P_UNSUBSCRIBE = 0.002

US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class SynthSpec:
    events: int = 40_000
    days: int = 28
    start: date = date(2026, 10, 5)
    seed: int = 7
    spoofer_ips: int = 12          # random failing sources per day for example.com
    dmarc_reporters: int = 4
    row_group_size: int = 1_000_000


def _write(root: Path, table: str, day: date, arrow_table: pa.Table, stem: str,
           row_group_size: int = 1_000_000) -> Path:
    schema = TABLES[table].schema
    arrow_table = arrow_table.select(schema.names).cast(schema)
    path = root / table / f"dt={day.isoformat()}" / f"{stem}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(arrow_table, path, compression="zstd", row_group_size=row_group_size)
    return path


def _pick(rng: np.random.Generator, choices: tuple, n: int) -> np.ndarray:
    """n random row indexes into a (name, status, code, weight) table, by weight."""
    weights = np.array([c[-1] for c in choices], dtype=float)
    return rng.choice(len(choices), n, p=weights / weights.sum())


def _strings(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    """values[idx] as an Arrow string array, without Python string objects per row."""
    return pa.array(values, pa.string()).take(pa.array(idx))


def _int_strings(prefix: str, numbers: np.ndarray, suffix: pa.Array | None = None) -> pa.Array:
    text = pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")
    if suffix is not None:
        text = pc.binary_join_element_wise(text, suffix, "@")
    return text


def events_for_day(spec: SynthSpec, day_index: int, n: int, first_id: int,
                   rng: np.random.Generator) -> pa.Table:
    """One day of events as an Arrow table (columns of the events schema; the rest null)."""
    day = spec.start + timedelta(days=day_index)
    day_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    last7, last5 = day_index >= spec.days - 7, day_index >= spec.days - 5
    dom = rng.choice(len(DOMAINS), n, p=DOMAIN_SHARE / DOMAIN_SHARE.sum())
    share = np.array([s[2] for s in STREAMS])
    stream = rng.choice(len(STREAMS), n, p=share / share.sum())
    p_compl = np.array([s[4] if last5 else s[3] for s in STREAMS])[stream]
    p_hard = P_HARD[dom]
    p_soft = P_SOFT[dom] + (OUTLOOK_BLOCK_EXTRA if last7 else 0.0) * (dom == OUTLOOK)
    u = rng.random(n)
    c1, c2 = p_hard, p_hard + p_soft
    c3, c4 = c2 + p_compl, c2 + p_compl + P_UNSUBSCRIBE
    category = np.select([u < c1, u < c2, u < c3, u < c4], [0, 1, 2, 3], default=4)
    cats = ("hard_bounce", "soft_bounce", "complaint", "unsubscribe", "delivered")
    hard, soft = category == 0, category == 1

    hard_idx = _pick(rng, HARD_REASONS, n)
    hard_idx = np.where(dom == OLD, 1, hard_idx)  # the dead domain: host unknown
    soft_idx = _pick(rng, SOFT_REASONS, n)
    blocked = soft & (dom == OUTLOOK) & last7 & (rng.random(n) < 0.8)
    soft_idx = np.where(blocked, 1, soft_idx)
    delayed = soft & (rng.random(n) < DELAYED_SHARE) & ~blocked

    reason = np.full(n, "delivered", dtype=object)
    reason[hard] = np.array([r[0] for r in HARD_REASONS], dtype=object)[hard_idx[hard]]
    reason[soft] = np.array([r[0] for r in SOFT_REASONS], dtype=object)[soft_idx[soft]]
    reason[category == 2] = "feedback"
    reason[category == 3] = "unsubscribe"
    status = np.full(n, None, dtype=object)
    code = np.zeros(n, dtype=np.int32)
    status[hard] = np.array([r[1] for r in HARD_REASONS], dtype=object)[hard_idx[hard]]
    code[hard] = np.array([r[2] for r in HARD_REASONS])[hard_idx[hard]]
    status[soft] = np.array([r[1] for r in SOFT_REASONS], dtype=object)[soft_idx[soft]]
    code[soft] = np.array([r[2] for r in SOFT_REASONS])[soft_idx[soft]]
    action = np.select([category == 4, hard | (soft & ~delayed), delayed],
                       ["delivered", "failed", "delayed"], default="")
    kind = np.select([hard | soft, category == 2], ["dsn", "arf"], default="webhook")

    occurred = day_us + np.sort(rng.integers(0, US_PER_DAY, n))
    ids = np.arange(first_id, first_id + n)
    domain_arr = _strings(DOMAINS, dom)
    users = rng.integers(0, max(1000, spec.events // 4), n)
    sender_dom = STREAM_SENDER[stream]
    # campaign = stream + ISO week; pool by stream; IP by pool (alternating within a pool)
    week = day.isocalendar()[1]
    campaign = pc.binary_join_element_wise(_strings(tuple(st[1] for st in STREAMS), stream),
                                           f"w{week:02d}", "-")
    pools = sorted(set(STREAM_POOL))
    pool_idx = np.array([pools.index(p) for p in STREAM_POOL])[stream]
    pool_ips = [ip for p in pools for ip in POOL_IPS[p]]
    n_ips = np.array([len(POOL_IPS[p]) for p in pools])
    first_ip = np.concatenate([[0], np.cumsum(n_ips)[:-1]])
    ip_idx = first_ip[pool_idx] + ids % n_ips[pool_idx]
    pool_arr = np.array(pools, dtype=object)[pool_idx]
    ip_arr = np.array(pool_ips, dtype=object)[ip_idx]
    keys = pa.array(["egress_pool", "egress_source"] * n, pa.string())
    values = pa.array(np.stack([pool_arr, ip_arr], axis=1).ravel(), pa.string())
    tags = pa.MapArray.from_arrays(pa.array(np.arange(0, 2 * n + 1, 2, dtype=np.int32)), keys, values)
    bounced = hard | soft
    mta = np.array(REMOTE_MTA, dtype=object)[dom]
    reasons_u, inverse = np.unique(reason.astype(str), return_inverse=True)
    diag_text = np.array([DIAGNOSTIC.get(r, "") for r in reasons_u], dtype=object)[inverse]
    diag = pc.binary_join_element_wise(
        pa.array(code.astype(str), pa.string()), pa.array(status, pa.string()),
        pa.array(diag_text, pa.string()), _int_strings("<user", users, domain_arr), " ")
    diag = pc.if_else(pa.array(bounced), pc.binary_join_element_wise(diag, ">", ""),
                      pa.nulls(n, pa.string()))
    # the events column as MailEvent derives it: the rule once per distinct text
    diag_codes = diag.dictionary_encode()
    diag_normalised = pa.DictionaryArray.from_arrays(
        diag_codes.indices, pa.array([normalise_diagnostic(t) for t in
                                      diag_codes.dictionary.to_pylist()], pa.string())
    ).cast(pa.string())
    return pa.table({
        "event_id": _int_strings(f"syn{spec.seed}-", ids),
        "raw_sha256": _int_strings("synthetic-raw-", ids // 100),
        "raw_index": pa.array(np.zeros(n, dtype=np.int32)),
        "recipient_index": pa.array(np.zeros(n, dtype=np.int32)),
        "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
        "received_at": pa.array(occurred + 60_000_000, pa.timestamp("us", tz="UTC")),
        "source_kind": pa.array(kind, pa.string()),
        "source": pa.array(["synthetic"] * n, pa.string()),
        "parser": pa.array(np.char.add("synthetic.", kind.astype(str)), pa.string()),
        "provider": pa.array(["synthetic"] * n, pa.string()),
        "category": _strings(cats, category),
        "reason": pa.array(reason, pa.string()),
        "recipient": _int_strings("user", users, domain_arr),
        "recipient_domain": domain_arr,
        "sender": _int_strings("bounces+", stream, _strings(SENDER_DOMAINS, sender_dom)),
        "sender_domain": _strings(SENDER_DOMAINS, sender_dom),
        "status": pa.array(status, pa.string()),
        "reply_code": pa.array(code, pa.int32(), mask=code == 0),
        "action": pa.array(action, pa.string(), mask=action == ""),
        "stream": _strings(tuple(s[1] for s in STREAMS), stream),
        "campaign": campaign,
        "tags": tags,
        "sending_pool": pa.array(pool_arr, pa.string()),
        "sending_ip": pa.array(ip_arr, pa.string()),
        "remote_mta": pa.array(mta, pa.string(), mask=~bounced | (mta == "")),
        "diagnostic": diag,
        "diagnostic_normalised": diag_normalised,
        "tenant": _strings(tuple(s[0] for s in STREAMS), stream),
        "unverified": pa.array(np.zeros(n, dtype=bool)),   # not nullable in the model
        "classifier_version": pa.array(["synthetic"] * n, pa.string()),
        "rule": pa.array(np.char.add("synthetic.", np.array(cats)[category]), pa.string()),
    })


def _complete(table: pa.Table, name: str) -> pa.Table:
    """Add the schema's missing columns as nulls."""
    schema = TABLES[name].schema
    for field in schema:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return table


def suppressions_for(events: pa.Table, rng: np.random.Generator) -> pa.Table:
    """What the default policy would decide from these events (hard bounce / complaint:
    immediate; unsubscribe: stream scope), with the event as evidence."""
    cat = events["category"]
    mask = pc.is_in(cat, pa.array(["hard_bounce", "complaint", "unsubscribe"]))
    picked = events.filter(mask)
    n = picked.num_rows
    pcat = picked["category"]
    scope = pc.if_else(pc.equal(pcat, "hard_bounce"), "global",
                       pc.if_else(pc.equal(pcat, "complaint"), "tenant", "stream"))
    scope_value = pc.if_else(pc.equal(scope, "global"), pa.scalar(None, pa.string()),
                             pc.if_else(pc.equal(scope, "tenant"), picked["tenant"], picked["stream"]))
    address = picked["recipient"]
    key = pc.binary_join_element_wise(scope, pc.fill_null(scope_value, ""), address, ":")
    occurred_us = pc.cast(picked["occurred_at"], pa.int64()).to_numpy()
    day_end = occurred_us // US_PER_DAY * US_PER_DAY + US_PER_DAY - 1  # stay in the event's dt
    decided_us = np.minimum(occurred_us + 120_000_000, day_end)
    lost = rng.random(n) < 0.01  # evidence older than the lake's retention: not found any more
    ids = picked["event_id"].to_pylist() if n < 200_000 else None
    if ids is not None:
        values = [[i, f"expired-{i}"] if gone else [i] for i, gone in zip(ids, lost)]
        evidence = pa.array(values, pa.list_(pa.string()))
    else:  # large lakes: one evidence id each, built without Python lists
        offsets = pa.array(np.arange(n + 1, dtype=np.int32))
        evidence = pa.ListArray.from_arrays(offsets, picked["event_id"].combine_chunks())
    ts = pa.timestamp("us", tz="UTC")
    expires = pa.array(decided_us + 180 * US_PER_DAY, ts)
    return _complete(pa.table({
        "suppression_id": pc.binary_join_element_wise("sup-", picked["event_id"], ""),
        "key": key, "address": address, "address_domain": picked["recipient_domain"],
        "action": pa.array(["suppress"] * n, pa.string()),
        "scope": scope, "scope_value": scope_value,
        "reason": picked["reason"], "category": pcat,
        "policy_rule": pc.binary_join_element_wise(pcat, "immediate", "."),
        "decided_at": pa.array(decided_us, ts),
        "expires_at": pc.if_else(pc.equal(pcat, "unsubscribe"), pa.scalar(None, ts), expires),
        "evidence_event_ids": evidence,
        "tenant": picked["tenant"],
    }), "suppressions")


# The CRM vendor sends from a real SendGrid address (AS11377 in parsedmarc's IP database, so
# `bouncepipe views --identify` names it) and DKIM-signs as itself, never aligned.
CRM_VENDOR_IP, CRM_VENDOR_DKIM = "149.72.120.130", "sendgrid.net"
# DMARC sources: (domain index, ip, pass probability, first day offset from the end or None)
DMARC_SOURCES = (
    (0, "192.0.2.10", 0.995, None), (0, "192.0.2.11", 0.995, None),
    (0, "198.51.100.5", 0.97, None), (0, CRM_VENDOR_IP, 0.0, 5),       # the new CRM vendor
    (1, "192.0.2.20", 0.998, None), (1, "192.0.2.21", 0.998, None),
    (2, "198.51.100.40", 0.99, None), (2, "203.0.113.200", 0.7, None),  # misconfigured 3rd party
)
POLICY = ("none", "none", "quarantine")
REPORTERS = ("google.com", "Yahoo", "Enterprise Outlook", "comcast.net", "web.de", "mail.ru")


def dmarc_for_day(spec: SynthSpec, day_index: int, rng: np.random.Generator) -> pa.Table:
    day = spec.start + timedelta(days=day_index)
    begin = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    rows: dict[str, list] = {k: [] for k in (
        "row_id", "report_key", "org_name", "report_id", "policy_domain", "policy_p",
        "record_index", "source_ip", "message_count", "disposition", "policy_dkim",
        "policy_spf", "dmarc_aligned", "header_from", "dkim_results", "spf_results")}
    volume = max(20, spec.events // spec.days // spec.dmarc_reporters)
    spoofers = [(0, f"203.0.113.{rng.integers(1, 120)}", 0.0, None) for _ in range(spec.spoofer_ips)]
    for r, reporter in enumerate(REPORTERS[:spec.dmarc_reporters]):
        report_id = f"{reporter}-{day.isoformat()}"
        for i, (d, ip, p_pass, first) in enumerate(DMARC_SOURCES + tuple(spoofers)):
            if first is not None and day_index < spec.days - first:
                continue
            n = int(rng.integers(volume // 2, volume)) if p_pass > 0 else int(rng.integers(1, 8))
            passed = int(rng.binomial(n, p_pass))
            for aligned, count in ((True, passed), (False, n - passed)):
                if count == 0:
                    continue
                dkim_ok = aligned and rng.random() < 0.9
                rows["row_id"].append(f"dmarc-{spec.seed}-{day_index}-{r}-{i}-{aligned}")
                rows["report_key"].append(report_id)
                rows["org_name"].append(reporter)
                rows["report_id"].append(report_id)
                rows["policy_domain"].append(SENDER_DOMAINS[d].removeprefix("news."))
                rows["policy_p"].append(POLICY[d])
                rows["record_index"].append(len(rows["record_index"]))
                rows["source_ip"].append(ip)
                rows["message_count"].append(count)
                rows["disposition"].append("none" if aligned or POLICY[d] == "none" else POLICY[d])
                rows["policy_dkim"].append("pass" if dkim_ok else "fail")
                rows["policy_spf"].append("pass" if aligned and not dkim_ok else
                                          ("pass" if aligned and rng.random() < 0.8 else "fail"))
                rows["dmarc_aligned"].append(aligned)
                rows["header_from"].append(SENDER_DOMAINS[d])
                own = SENDER_DOMAINS[d]
                if ip == CRM_VENDOR_IP:  # authenticated as the vendor, not aligned
                    dkim = [dict(domain=CRM_VENDOR_DKIM, selector="s1", result="pass")]
                    spf = [dict(domain=f"em1234.{own}", result="fail")]
                else:
                    dkim = [dict(domain=own, selector="bp1", result=rows["policy_dkim"][-1])]
                    spf = [dict(domain=own, result=rows["policy_spf"][-1])]
                rows["dkim_results"].append([dict(human_result=None, **x) for x in dkim])
                rows["spf_results"].append([dict(scope="mfrom", human_result=None, **x) for x in spf])
    n = len(rows["row_id"])
    ts = pa.timestamp("us", tz="UTC")
    schema = TABLES["dmarc_aggregate"].schema
    table = pa.table({
        **{k: pa.array(v, schema.field(k).type) for k, v in rows.items()},
        "raw_sha256": pa.array([f"synthetic-dmarc-{k}" for k in rows["report_key"]]),
        "parser": pa.array(["synthetic"] * n),
        "begin_date": pa.array([begin] * n, ts),
        "end_date": pa.array([begin + timedelta(seconds=86399)] * n, ts),
    })
    return _complete(table, "dmarc_aggregate")


def tls_for_day(spec: SynthSpec, day_index: int, rng: np.random.Generator) -> pa.Table:
    """Two reporters x one MTA-STS policy for example.com; an expired MX certificate
    (mx2.example.com) for three days in the middle of the period."""
    day = spec.start + timedelta(days=day_index)
    begin = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    broken = spec.days // 2 <= day_index < spec.days // 2 + 3
    rows = []
    for org in ("google.com", "microsoft.com"):
        ok = int(rng.integers(800, 1200))
        failed = int(rng.integers(150, 300)) if broken else int(rng.integers(0, 3))
        key = f"tls-{org}-{day.isoformat()}"
        base = dict(row_id=f"{key}-0", report_key=key, raw_sha256=f"synthetic-{key}",
                    parser="synthetic", organization_name=org, report_id=key,
                    begin_date=begin, end_date=begin + timedelta(seconds=86399), policy_index=0,
                    policy_type="sts", policy_domain="example.com",
                    total_successful_session_count=ok, total_failure_session_count=failed,
                    detail_index=0)
        if failed == 0:
            rows.append(base)
            continue
        result = "certificate-expired" if broken else "validation-failure"
        rows.append(base | dict(result_type=result, receiving_mx_hostname="mx2.example.com",
                                sending_mta_ip="192.0.2.10", failed_session_count=failed))
    return _complete(pa.Table.from_pylist(rows), "tls_reports")


def ruf_for_day(spec: SynthSpec, day_index: int, rng: np.random.Generator) -> pa.Table:
    """A few DMARC failure (ruf) reports about spoofed example.com mail (Yahoo-style reporters
    send ruf; most receivers do not)."""
    day = spec.start + timedelta(days=day_index)
    begin = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    rows = []
    for i in range(int(rng.integers(0, 4))):
        ip = f"203.0.113.{int(rng.integers(1, 120))}"
        arrival = begin + timedelta(seconds=int(rng.integers(0, 86_400)))
        rows.append(dict(
            row_id=f"ruf-{spec.seed}-{day_index}-{i}", raw_sha256=f"synthetic-ruf-{day_index}-{i}",
            source="synthetic", parser="synthetic", is_arf=True, feedback_type="auth-failure",
            auth_failure=["dmarc"], identity_alignment=["none"], delivery_result="none",
            reported_domain="example.com", source_ip=ip, arrival_date=arrival,
            reporting_mta="mta.yahoo.com", original_mail_from="billing@example.com",
            sample_subject="Your invoice is overdue", body_redacted=True))
    return _complete(pa.Table.from_pylist(rows, schema=TABLES["dmarc_failure"].schema)
                     if rows else TABLES["dmarc_failure"].schema.empty_table(), "dmarc_failure")


def write_synthetic_lake(root: str | os.PathLike[str], spec: SynthSpec = SynthSpec(),
                         *, stem: str = "synthetic") -> dict[str, int]:
    """Write the synthetic lake under `root`; returns rows written per table."""
    root = Path(root)
    rng = np.random.default_rng(spec.seed)
    written = {"events": 0, "suppressions": 0, "dmarc_aggregate": 0, "tls_reports": 0,
               "dmarc_failure": 0}
    per_day = np.full(spec.days, spec.events // spec.days)
    per_day[: spec.events - per_day.sum()] += 1
    first_id = 0
    for i in range(spec.days):
        day = spec.start + timedelta(days=i)
        events = events_for_day(spec, i, int(per_day[i]), first_id, rng)
        first_id += int(per_day[i])
        _write(root, "events", day, _complete(events, "events"), stem, spec.row_group_size)
        sup = suppressions_for(events, rng)
        _write(root, "suppressions", day, sup, stem, spec.row_group_size)
        dmarc = dmarc_for_day(spec, i, rng)
        _write(root, "dmarc_aggregate", day, dmarc, stem)
        tls = tls_for_day(spec, i, rng)
        _write(root, "tls_reports", day, tls, stem)
        ruf = ruf_for_day(spec, i, rng)
        if ruf.num_rows:
            _write(root, "dmarc_failure", day, ruf, stem)
        for name, t in (("events", events), ("suppressions", sup), ("dmarc_aggregate", dmarc),
                        ("tls_reports", tls), ("dmarc_failure", ruf)):
            written[name] += t.num_rows
    return written
