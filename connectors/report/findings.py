"""What needs attention: short sentences computed from the analytics views.

Pure queries + formatting; the report puts them right under the headline numbers and the
notebooks print them. Each finding is (severity, text) with severity "over" | "warn" | "ok".
"""
from __future__ import annotations

from .charts import rows

RECENT_DAYS = 7          # "now" = the lake's last 7 days
BOUNCE_ALERT = 0.05      # a recipient domain bouncing at 5 %+ is worth a line ...
BOUNCE_MIN_VOLUME = 100  # ... when it had at least this many messages (not 1 of 1)
TLS_ALERT = 0.05         # a policy domain/day with 5 %+ failed TLS sessions ...
TLS_MIN_FAILED = 10      # ... and at least this many of them


def pct(rate: float | None, decimals: int = 2) -> str:
    return "n/a" if rate is None else f"{rate * 100:.{decimals}f} %"


def complaint_findings(con) -> list[tuple[str, str]]:
    data = rows(con, f"""
        WITH last AS (SELECT max(day) AS d FROM v_complaint_rate)
        SELECT tenant, stream, sum(delivered_arf) AS delivered, sum(complaints) AS complaints,
               bp_rate(sum(complaints), sum(delivered_arf)) AS rate,
               bp_complaint_status(bp_rate(sum(complaints), sum(delivered_arf))) AS status,
               count(*) FILTER (WHERE status = 'over') AS days_over
        FROM v_complaint_rate, last WHERE day > last.d - {RECENT_DAYS}
        GROUP BY ALL ORDER BY rate DESC NULLS LAST""")
    out = []
    for r in data:
        if r["status"] in ("warn", "over"):
            limit = "at or over 0.30 %" if r["status"] == "over" else "above 0.10 %"
            out.append((r["status"], f"Complaints: {r['tenant']} / {r['stream']} at {pct(r['rate'])} "
                        f"over the last {RECENT_DAYS} days ({r['complaints']:,} complaints / "
                        f"{r['delivered']:,} delivered to providers that send complaints), {limit}; "
                        f"{r['days_over']} day(s) over 0.30 %."))
    if data and not out:
        out.append(("ok", f"Complaints: every stream stayed below 0.10 % over the last {RECENT_DAYS} days."))
    return out


def bounce_findings(con) -> list[tuple[str, str]]:
    out = []
    for r in rows(con, "SELECT * FROM v_bounce_trend WHERE trend = 'worse' ORDER BY change DESC"):
        why = rows(con, f"""
            WITH last AS (SELECT max(day) AS d FROM v_bounce_reason_mix)
            SELECT reason, sum(bounces) AS n FROM v_bounce_reason_mix, last
            WHERE recipient_domain = ? AND day > last.d - {RECENT_DAYS}
            GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1""", [r["recipient_domain"]])
        reason = f", mostly {why[0]['reason']}" if why else ""
        out.append(("warn", f"Bounces getting worse at {r['recipient_domain']}: {pct(r['prior_rate'])} "
                    f"-> {pct(r['recent_rate'])} (last {RECENT_DAYS} days vs the {RECENT_DAYS} before{reason})."))
    high = rows(con, f"""
        SELECT recipient_domain, bp_rate(sum(bounces), sum(delivered + bounces)) AS rate,
               sum(hard_bounces) AS hard
        FROM v_bounce_rate_daily GROUP BY 1
        HAVING rate >= {BOUNCE_ALERT} AND sum(delivered + bounces) >= {BOUNCE_MIN_VOLUME}
        ORDER BY rate DESC""")
    for r in high:
        out.append(("over" if r["rate"] >= 2 * BOUNCE_ALERT else "warn",
                    f"High bounce rate at {r['recipient_domain']}: {pct(r['rate'])} over the period "
                    f"({r['hard']:,} hard bounces): check the list source."))
    return out


def dmarc_findings(con) -> list[tuple[str, str]]:
    out = []
    new = rows(con, """SELECT domain, count(*) AS sources, sum(messages) AS messages,
                              sum(fail_messages) AS failing, arg_max(source_ip, messages) AS biggest
                       FROM v_dmarc_new_sources WHERE NOT known GROUP BY 1 ORDER BY messages DESC""")
    for r in new:
        out.append(("warn", f"DMARC: {r['sources']} new failing source(s) sending as {r['domain']} in the "
                    f"last 7 days ({r['messages']:,} messages; biggest {r['biggest']}). Yours? "
                    "Authorise it (SPF/DKIM) before tightening the policy; if not, it is spoofing."))
    readiness = rows(con, "SELECT * FROM v_dmarc_readiness ORDER BY messages DESC, domain")
    thin = [r["domain"] for r in readiness if r["verdict"] == "insufficient_data"]
    if thin:
        shown = ", ".join(thin[:8]) + (f" and {len(thin) - 8} more" if len(thin) > 8 else "")
        out.append(("warn", f"DMARC: not enough reports yet for a verdict on {len(thin)} domain(s) "
                    f"(fewer than 100 messages or 7 report days): {shown}."))
    for r in readiness:
        if r["verdict"] == "insufficient_data":
            continue
        sev = "warn" if r["verdict"] == "not_ready" else "ok"
        policy = r["current_policy"] + (f", pct={r['policy_pct']}" if (r["policy_pct"] or 100) < 100 else "")
        out.append((sev, f"DMARC {r['domain']} (p={policy}): {r['verdict'].replace('_', ' ')}; "
                    f"legitimate sources pass {pct(r['known_pass_rate'], 1)}"
                    + (f" ({r['failing_sources']} source(s) below {pct(0.98, 0)}, worst {r['worst_source_ip']} at "
                       f"{pct(r['worst_source_pass_rate'], 1)})" if r["failing_sources"] else "")
                    + f"; a stricter policy would act on {r['affected_messages']:,} messages in the last 30 days "
                    f"({r['legit_at_risk']:,} from legitimate sources): "
                    f"{r['next_step']}."))
    return out


def tls_findings(con) -> list[tuple[str, str]]:
    data = rows(con, f"""
        SELECT s.policy_domain, min(s.day) AS first_day, max(s.day) AS last_day,
               sum(s.failed_sessions) AS failed,
               (SELECT arg_max(result_type, failed_sessions) FROM v_tls_failures f
                 WHERE f.policy_domain = s.policy_domain) AS top_result
        FROM v_tls_summary s
        WHERE s.failure_rate >= {TLS_ALERT} AND s.failed_sessions >= {TLS_MIN_FAILED} GROUP BY 1""")
    return [("over", f"TLS: {r['policy_domain']} had {r['failed']:,} failed sessions between "
             f"{r['first_day']} and {r['last_day']} (mostly {r['top_result']}).") for r in data]


PROVIDER_SOURCES = {"yahoo_insights": "Yahoo Sender Hub Insights (inbox-delivered mail)",
                    "postmaster_tools": "Google Postmaster Tools"}


def provider_findings(con) -> list[tuple[str, str]]:
    """Providers at warn / over on their own thresholds (last 7 days, with volume)."""
    out = []
    for r in rows(con, "SELECT * FROM v_provider_status ORDER BY delivered DESC, provider"):
        for metric, label, decimals in (("bounce", "bounce rate", 2), ("deferral", "deferral rate", 2),
                                        ("complaint", "complaint rate", 3)):
            status = r[f"{metric}_status"]
            if status in ("warn", "over"):
                out.append((status, f"{r['provider']}: {label} {pct(r[f'{metric}_rate'], decimals)} over the "
                            f"last {RECENT_DAYS} days, {'at or over' if status == 'over' else 'above'} "
                            f"{pct(r[f'{metric}_{status}'], decimals)} ({r['provider']}'s "
                            f"{'limit' if status == 'over' else 'warning level'})."))
        # the provider's own measurement where it is not already the complaint rate (Yahoo's)
        status = r["provider_complaint_status"]
        if status in ("warn", "over") and r["provider_complaint_source"] != r["complaint_source"]:
            out.append((status, f"{r['provider']}: complaint rate {pct(r['provider_complaint_rate'], 3)} by "
                        f"{PROVIDER_SOURCES.get(r['provider_complaint_source'], r['provider_complaint_source'])} "
                        f"over the last {RECENT_DAYS} days, {'at or over' if status == 'over' else 'above'} "
                        f"{pct(r[f'complaint_{status}'], 3)} ({r['provider']}'s "
                        f"{'limit' if status == 'over' else 'warning level'})."))
    return out


def incident_findings(con) -> list[tuple[str, str]]:
    return [(r["level"], f"Ongoing since {r['first_day']}: {r['subject']} {r['metric'].replace('_', ' ')} at "
             f"{r['level']} for {r['days']} day(s), peak {pct(r['peak_rate'], 3 if 'complaint' in r['metric'] else 2)}.")
            for r in rows(con, "SELECT * FROM v_incidents WHERE state = 'ongoing' ORDER BY level DESC, days DESC")]


def all_findings(con) -> list[tuple[str, str]]:
    found = (complaint_findings(con) + bounce_findings(con) + provider_findings(con)
             + incident_findings(con) + dmarc_findings(con) + tls_findings(con))
    order = {"over": 0, "warn": 1, "ok": 2}
    return sorted(found, key=lambda f: order[f[0]])
