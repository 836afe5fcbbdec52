"""Lookups the views join to, cached in the lake: who is a DMARC source IP (reverse DNS, base
domain, ASN, country, sending service) and where a recipient domain's mail goes (MX hosts).

Identity uses parsedmarc's bundled data rather than our own: its IPinfo Lite database (country,
ASN) and its reverse-DNS base-domain -> service map, always from the local files (never
downloaded). Reverse DNS and MX are network lookups: OFF unless asked for (`resolve_ptr` /
`resolve_mx`), so tests and offline runs never touch DNS; offline rows say rdns_status
'offline' and are looked up again once DNS is allowed.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from connectors.lake import LakeWriter
from schemas.observations import observation_id

PtrResolver = Callable[[str], str | None]
MxResolver = Callable[[str], list[str]]


def dns_ptr(timeout: float = 2.0) -> PtrResolver:
    """A live PTR resolver (parsedmarc's, which swallows DNS errors as None)."""
    from parsedmarc.utils import get_reverse_dns

    return lambda ip: get_reverse_dns(ip, timeout=timeout, retries=0)


def dns_mx(timeout: float = 3.0) -> MxResolver:
    """A live MX resolver: hosts by preference, lower case, without the final dot. Raises
    dns.resolver.NXDOMAIN / NoAnswer, which lookup_mx records as the row's status."""
    import dns.resolver

    def resolve(domain: str) -> list[str]:
        answer = dns.resolver.resolve(domain, "MX", lifetime=timeout)
        return [str(r.exchange).rstrip(".").lower()
                for r in sorted(answer, key=lambda r: r.preference)]
    return resolve


def identify_ip(ip: str, *, resolve_ptr: PtrResolver | None = None,
                rdns_map: dict | None = None) -> dict:
    """One ip_identity row (without row_id / looked_up_at) from parsedmarc's local data."""
    from parsedmarc.utils import (get_base_domain, get_ip_address_info,
                                  get_service_from_reverse_dns_base_domain)

    rdns_map = {} if rdns_map is None else rdns_map
    # offline=True: no IP API, no DNS, no map download; the ASN fallback names the service
    info = get_ip_address_info(ip, offline=True, always_use_local_files=True,
                               reverse_dns_map=rdns_map)
    row = dict(ip=ip, reverse_dns=None, base_domain=None, asn=info.get("asn"),
               as_name=info.get("as_name"), as_domain=info.get("as_domain"),
               country=info.get("country"), service_name=info.get("name"),
               service_type=info.get("type"), rdns_status="offline")
    if isinstance(row["asn"], str):
        row["asn"] = int(row["asn"].upper().removeprefix("AS") or 0) or None
    if resolve_ptr is None:
        return row
    try:
        ptr = resolve_ptr(ip)
    except Exception:  # a resolver failure is a row status, never a crash
        row["rdns_status"] = "error"
        return row
    if not ptr:
        row["rdns_status"] = "none"
        return row
    ptr = ptr.rstrip(".").lower()
    base = get_base_domain(ptr)
    row.update(reverse_dns=ptr, base_domain=base, rdns_status="ok")
    if base:
        service = get_service_from_reverse_dns_base_domain(
            base, offline=True, always_use_local_file=True, reverse_dns_map=rdns_map)
        # a PTR base domain missing from the map (parsedmarc then names the service after the
        # domain, with no type) keeps the attribution by AS domain, when that one is known
        if service["type"] is not None or row["service_type"] is None:
            row.update(service_name=service["name"], service_type=service["type"])
    return row


def _pending(con, sql: str) -> list[str]:
    return [r[0] for r in con.execute(sql).fetchall() if r[0]]


def identify_sources(lake: str | os.PathLike[str], *, resolve_ptr: PtrResolver | None = None,
                     max_age_days: int = 30, now: datetime | None = None) -> int:
    """Look up every DMARC source IP that has no identity row yet (or only an offline / stale
    one when DNS is allowed now); returns rows written to ip_identity."""
    from connectors.duck import connect

    now = now or datetime.now(timezone.utc)
    con = connect(lake, analytics=False)
    try:
        redo = "" if resolve_ptr is None else (
            f"OR i.rdns_status IN ('offline', 'error') "
            f"OR i.looked_up_at < TIMESTAMPTZ '{(now - timedelta(days=max_age_days)).isoformat()}'")
        ips = _pending(con, f"""
            WITH ips AS (SELECT DISTINCT source_ip AS ip FROM dmarc_aggregate WHERE source_ip IS NOT NULL
                         UNION SELECT DISTINCT source_ip FROM dmarc_failure WHERE source_ip IS NOT NULL),
                 latest AS (SELECT ip, rdns_status, looked_up_at FROM ip_identity
                            QUALIFY row_number() OVER (PARTITION BY ip ORDER BY looked_up_at DESC) = 1)
            SELECT ips.ip FROM ips LEFT JOIN latest i USING (ip)
            WHERE i.ip IS NULL {redo} ORDER BY 1""")
    finally:
        con.close()
    rdns_map: dict = {}
    rows = [dict(identify_ip(ip, resolve_ptr=resolve_ptr, rdns_map=rdns_map),
                 row_id=observation_id("ip_identity", ip, now), looked_up_at=now) for ip in ips]
    LakeWriter(lake).write("ip_identity", rows, file_stem=f"identity-{now:%Y%m%dT%H%M%S%f}")
    return len(rows)


def lookup_mx(lake: str | os.PathLike[str], resolve_mx: MxResolver, *,
              domains: Iterable[str] | None = None, max_age_days: int = 30,
              now: datetime | None = None) -> int:
    """Cache the MX hosts of recipient domains not yet cached (or stale) in mx_cache."""
    from connectors.duck import connect

    now = now or datetime.now(timezone.utc)
    if domains is None:
        con = connect(lake)
        try:
            domains = _pending(con, f"""
                SELECT p.recipient_domain FROM v_recipient_provider p
                LEFT JOIN v_mx_latest m ON m.domain = p.recipient_domain
                WHERE p.matched_by <> 'domain' AND p.recipient_domain <> '(unknown)'
                  AND (m.domain IS NULL OR m.looked_up_at <
                       TIMESTAMPTZ '{(now - timedelta(days=max_age_days)).isoformat()}')
                ORDER BY 1""")
        finally:
            con.close()
    rows = []
    for domain in domains:
        hosts, status = [], "ok"
        try:
            hosts = resolve_mx(domain)
            status = "ok" if hosts else "no_mx"
        except Exception as exc:  # NXDOMAIN / NoAnswer / timeout: recorded, not raised
            name = type(exc).__name__
            status = {"NXDOMAIN": "nxdomain", "NoAnswer": "no_mx"}.get(name, "error")
        rows.append(dict(row_id=observation_id("mx_cache", domain, now), domain=domain,
                         mx_hosts=hosts, status=status, looked_up_at=now))
    LakeWriter(lake).write("mx_cache", rows, file_stem=f"mx-{now:%Y%m%dT%H%M%S%f}")
    return len(rows)
