"""A self-contained HTML report over the lake: headline numbers, what needs attention, then one
section per question (bounces, complaints, DMARC, TLS, suppressions, dead letters).

No external assets: inline CSS, charts as inline SVG. `render_report(con)` is pure over a
DuckDB connection with the analytics views; `write_report(lake, out)` is the I/O shell.
"""
from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path

from .charts import CHARTS, STATUS_COLORS, rows, to_svg
from .findings import all_findings, pct

CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#212121;
 margin:0;background:#f5f6f8}
main{max-width:1180px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:18px;margin:30px 0 8px;border-bottom:2px solid #e0e0e0;
 padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.sub{color:#616161;margin:0 0 14px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08);
 border-top:4px solid #90a4ae}
.card .v{font-size:22px;font-weight:700}.card .l{color:#616161;font-size:12px}
.card.ok{border-top-color:#2e7d32}.card.warn{border-top-color:#ef6c00}.card.over{border-top-color:#c62828}
ul.find{list-style:none;padding:0;margin:8px 0}
ul.find li{background:#fff;margin:4px 0;padding:7px 10px;border-left:5px solid #90a4ae;border-radius:4px}
ul.find li.over{border-left-color:#c62828}ul.find li.warn{border-left-color:#ef6c00}
ul.find li.ok{border-left-color:#2e7d32}
table{border-collapse:collapse;background:#fff;font-size:12.5px;margin:6px 0 12px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#eceff1;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:11.5px;font-weight:600}
.chart{background:#fff;border-radius:8px;padding:6px;margin:8px 0}.chart svg{max-width:100%;height:auto}
.note{color:#616161;font-size:12.5px}code{background:#eceff1;padding:0 3px;border-radius:3px}
nav a{margin-right:12px;color:#1565c0;text-decoration:none}
"""

BADGE_COLORS = dict(STATUS_COLORS, worse="#c62828", better="#2e7d32", flat="#757575",
                    no_data="#9e9e9e", ready_for_reject="#2e7d32", ready_for_quarantine="#558b2f",
                    at_reject="#1565c0", not_ready="#c62828", insufficient_data="#9e9e9e",
                    low_volume="#9e9e9e", ongoing="#c62828", resolved="#9e9e9e",
                    permanent="#6a1b9a", active="#1565c0", expired="#9e9e9e")

Formatter = Callable[[object], str]


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def num(value: object) -> str:
    return "" if value is None else f"{value:,}"


def rate(decimals: int = 2) -> Formatter:
    return lambda v: pct(v, decimals)


def badge(value: object) -> str:
    if value is None:
        return ""
    color = BADGE_COLORS.get(str(value), "#607d8b")
    return f'<span class="badge" style="background:{color}">{esc(str(value).replace("_", " "))}</span>'


def listing(value: object) -> str:
    return esc(", ".join(str(v) for v in value or []))


def when(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return esc(value)


def table(data: Sequence[dict], columns: Sequence[tuple], *, empty: str = "Nothing to show.") -> str:
    """columns: (key, header[, formatter]); formatter output is trusted HTML, raw values are escaped."""
    if not data:
        return f'<p class="note">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(c[1])}</th>" for c in columns)
    body = []
    for r in data:
        cells = []
        for key, _, *fmt in columns:
            value = r.get(key)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if fmt:
                text = fmt[0](value)
            elif isinstance(value, list):
                text = listing(value)
            elif isinstance(value, datetime):
                text = when(value)
            else:
                text = num(value) if numeric else esc(value)
            cells.append(f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def chart(con, name: str) -> str:
    fig = CHARTS[name](con)
    return f'<div class="chart">{to_svg(fig, name)}</div>' if fig is not None else ""


def cards(h: dict) -> str:
    def card(value: str, label: str, status: str = "") -> str:
        return f'<div class="card {status}"><div class="v">{value}</div><div class="l">{esc(label)}</div></div>'

    streams = "over" if h["streams_over"] else ("warn" if h["streams_warn"] else "ok")
    bounce_status = "ok" if (h["bounce_rate"] or 0) < 0.02 else ("warn" if h["bounce_rate"] < 0.05 else "over")
    dmarc_status = "ok" if (h["dmarc_pass_rate"] or 0) >= 0.95 else "warn"
    tls_status = "ok" if (h["tls_failure_rate"] or 0) < 0.01 else "warn"
    return '<div class="cards">' + "".join([
        card(num(h["delivered"]), "messages delivered"),
        card(pct(h["bounce_rate"]), f"bounce rate ({num(h['bounces'])} bounces)", bounce_status),
        card(pct(h["complaint_rate_7d"], 3),
             f"complaint rate, last 7 days ({num(h['complaints_7d'])} complaints / "
             f"{num(h['delivered_7d'])} delivered to providers that send complaints)",
             h["complaint_status_7d"] if h["complaint_status_7d"] != "no_volume" else ""),
        card(f"{h['streams_over']} / {h['streams_warn']}", "streams over 0.30 % / at warn (last 7 days)", streams),
        card(num(h["active_suppressions"]),
             f"addresses suppressed now ({num(h['active_suppression_keys'])} suppression keys)"),
        card(pct(h["dmarc_pass_rate"], 1), f"DMARC pass rate ({num(h['dmarc_messages'])} msgs)", dmarc_status),
        card(f"{h['dmarc_domains_ready']} / {h['dmarc_domains']}", "domains ready for a stricter DMARC policy"),
        card(num(h["dmarc_unknown_sources"]), "unknown sources sending as us",
             "warn" if h["dmarc_unknown_sources"] else "ok"),
        card(pct(h["tls_failure_rate"]),
             f"TLS failure rate ({num(h['tls_failed_sessions'])} failed of "
             f"{num(h['tls_failed_sessions'] + h['tls_successful_sessions'])} sessions)", tls_status),
        card(num(h["dead_letters"]), "inputs not understood (dead letters)",
             "warn" if h["dead_letters"] else "ok"),
    ]) + "</div>"


def _sections(con) -> list[tuple[str, str, str]]:
    """(anchor, title, html) per section."""
    q = lambda sql: rows(con, sql)  # noqa: E731
    level = lambda v: badge(v) if v not in (None, "no_volume") else badge("no_data") if v else ""  # noqa: E731
    providers = (
        chart(con, "provider_rates")
        + '<p class="note">Per mailbox provider over the lake\'s last 7 days. Complaint rate = complaints '
        'from that provider / mail delivered to it (Gmail and Apple send no ARF: Gmail\'s is the Postmaster '
        'Tools spam rate when imported). "Provider\'s own" = the provider\'s measurement beside ours: Google '
        'Postmaster Tools, Yahoo Sender Hub Insights (all Yahoo\'s complaints over inbox-delivered mail only, so usually '
        'above ours; <code>bouncepipe views --import-yahoo</code>). Deferral rate = delayed attempts / (delivered + bounced + deferred); '
        'throttled = deferrals and soft bounces for rate limits. Thresholds are each provider\'s own '
        '(connectors/views/data/provider_thresholds.csv, with sources).</p>'
        + table(q("SELECT * FROM v_provider_status ORDER BY delivered DESC, provider"), [
            ("provider", "provider"), ("delivered", "delivered"), ("bounce_rate", "bounce rate", rate()),
            ("bounce_status", "", level), ("deferrals", "deferrals"), ("deferral_rate", "deferral rate", rate()),
            ("deferral_status", "", level), ("throttling_rate", "throttled", rate()),
            ("complaints", "complaints"), ("complaint_rate", "complaint rate", rate(3)),
            ("complaint_source", "from"), ("complaint_warn", "warn at", rate(2)),
            ("complaint_over", "over at", rate(2)), ("complaint_status", "", level),
            ("provider_complaint_rate", "provider's own", rate(3)), ("provider_complaint_source", "from"),
            ("provider_complaint_status", "", level)])
        + "<h3>Incidents (runs of days at warn / over)</h3>"
        + table(q("SELECT * FROM v_incidents ORDER BY state = 'resolved', last_day DESC, peak_rate DESC LIMIT 20"), [
            ("metric", "metric"), ("subject", "who"), ("first_day", "from"), ("last_day", "to"),
            ("days", "days"), ("peak_rate", "peak", rate(3)), ("level", "level", badge),
            ("state", "state", badge)], empty="No incidents.")
        + "<h3>Top bounce codes and diagnostics per provider (whole period)</h3>"
        + table(q("""SELECT provider, status, deferred, diagnostic, list_sort(list_distinct(list(remote_mta)))[1:3] AS remote_mtas,
                            sum(events) AS events
                     FROM v_bounce_diagnostics GROUP BY provider, status, deferred, diagnostic
                     ORDER BY events DESC, provider, status LIMIT 15"""), [
            ("provider", "provider"), ("status", "code"), ("deferred", "deferral", lambda v: "yes" if v else ""),
            ("diagnostic", "diagnostic (normalised)"), ("remote_mtas", "remote MTAs", listing),
            ("events", "events")], empty="No bounces."))
    bounces = (
        chart(con, "bounce_rate") + chart(con, "reason_mix")
        + "<h3>Trend per recipient domain (last 7 days vs the 7 before)</h3>"
        + table(q("SELECT * FROM v_bounce_trend ORDER BY change DESC NULLS LAST"), [
            ("recipient_domain", "domain"), ("prior_volume", "prior volume"), ("prior_rate", "prior rate", rate()),
            ("recent_volume", "recent volume"), ("recent_rate", "recent rate", rate()),
            ("change", "change", lambda v: "" if v is None else f"{v * 100:+.2f} pp"), ("trend", "trend", badge)]))
    complaints = (
        chart(con, "complaint_rate")
        + '<p class="note">Rate = complaints / mail delivered to providers that send complaint (ARF) '
          'reports: Gmail and Apple send none, so their share of the mail is left out of the denominator '
          '(Gmail\'s own spam rate: the provider section, from Postmaster Tools). Lines: Gmail\'s 0.10 % / 0.30 %, '
          'which Yahoo uses too. Status per stream over the whole period; peak = worst single day.</p>'
        + table(q("SELECT * FROM v_complaint_status ORDER BY complaint_rate DESC NULLS LAST"), [
            ("tenant", "tenant"), ("stream", "stream"), ("delivered", "delivered"),
            ("delivered_arf", "to ARF providers"), ("complaints", "complaints"),
            ("complaint_rate", "rate", rate(3)), ("status", "status", badge),
            ("peak_daily_rate", "peak day rate", rate(3)), ("peak_day", "peak day"),
            ("days_warn", "days warn"), ("days_over", "days over")]))
    dmarc = (
        chart(con, "dmarc_volume") + chart(con, "dmarc_pass_rate")
        + "<h3>Ready for quarantine / reject?</h3>"
        + '<p class="note">Over the last 30 days of reports. Legitimate source = an IP with an aligned pass '
          'for the domain, or an authenticated named sending service (parsedmarc\'s map). Each legitimate source '
          'with 50+ messages must pass too. p= is the policy in force (sp for subdomains; pct shown when < 100). '
          'Affected = failing messages the next stricter policy would act on.</p>'
        + table(q("SELECT * FROM v_dmarc_readiness ORDER BY messages DESC"), [
            ("domain", "domain"), ("current_policy", "p="), ("policy_pct", "pct"), ("report_days", "days"), ("messages", "messages"),
            ("pass_rate", "pass rate", rate(1)), ("known_pass_rate", "legitimate-source pass", rate(1)),
            ("failing_sources", "failing sources"), ("worst_source_ip", "worst source"),
            ("affected_messages", "affected"), ("legit_at_risk", "of which legitimate"),
            ("verdict", "verdict", badge), ("next_step", "next step")])
        + "<h3>Sources failing DMARC (top 15 by failing messages)</h3>"
        + table(q("SELECT * FROM v_dmarc_sources WHERE fail_messages > 0 ORDER BY fail_messages DESC, source_ip LIMIT 15"), [
            ("domain", "domain"), ("source_ip", "source IP"), ("reporters", "reported by", listing),
            ("messages", "messages"), ("fail_messages", "failing"), ("pass_rate", "pass rate", rate(1)),
            ("known", "known", lambda v: "yes" if v else "<b>no</b>"),
            ("service_name", "service"), ("reverse_dns", "reverse DNS"), ("as_name", "AS"),
            ("country", "country"), ("dkim_ids", "DKIM d=/s=", listing), ("spf_domains", "SPF", listing),
            ("first_seen", "first seen"),
            ("last_seen", "last seen")])
        + "<h3>Failure reports (ruf), latest 10 source/days</h3>"
        + table(q("SELECT * FROM v_dmarc_failures ORDER BY day DESC, reports DESC, source_ip LIMIT 10"), [
            ("day", "day"), ("domain", "domain"), ("source_ip", "source IP"), ("reports", "reports"),
            ("auth_failures", "failed", listing), ("delivery_results", "receiver did", listing),
            ("example_mail_from", "mail from"), ("example_subject", "subject")],
            empty="No failure reports.")
        + "<h3>New sources (first seen in the last 7 days of reports)</h3>"
        + table(q("SELECT * FROM v_dmarc_new_sources ORDER BY messages DESC, source_ip LIMIT 15"), [
            ("domain", "domain"), ("source_ip", "source IP"), ("first_seen", "first seen"),
            ("messages", "messages"), ("pass_rate", "pass rate", rate(1)), ("reporters", "reported by", listing)],
            empty="No new sources."))
    tls = (chart(con, "tls_failures")
           + table(q("""SELECT policy_domain, result_type, receiving_mx_hostname, min(day) AS first_day,
                               max(day) AS last_day, sum(failed_sessions) AS failed_sessions
                        FROM v_tls_failures GROUP BY ALL ORDER BY failed_sessions DESC LIMIT 15"""), [
               ("policy_domain", "policy domain"), ("result_type", "result"), ("receiving_mx_hostname", "MX"),
               ("first_day", "first day"), ("last_day", "last day"), ("failed_sessions", "failed sessions")],
               empty="No TLS failures reported."))
    suppressions = (
        chart(con, "suppressions")
        + table(q("""SELECT decided_by, scope, expiry_status, count(*) AS decisions,
                            count(*) FILTER (WHERE suppressed) AS in_force
                     FROM v_suppression_state GROUP BY ALL ORDER BY decisions DESC"""), [
            ("decided_by", "policy rule"), ("scope", "scope"), ("expiry_status", "expiry", badge),
            ("decisions", "keys"), ("in_force", "suppressed now")])
        + "<h3>Latest 15 decisions with their evidence</h3>"
        + table(q("""SELECT a.*, (SELECT string_agg(coalesce(category || '/' || reason, evidence_event_id || ' (not in lake)'), '; ')
                                 FROM v_suppression_evidence e WHERE e.suppression_id = a.suppression_id) AS evidence
                     FROM (SELECT * FROM v_suppression_audit ORDER BY decided_at DESC, suppression_id LIMIT 15) a
                     ORDER BY decided_at DESC, suppression_id"""), [
            ("decided_at", "decided", when), ("address", "address"), ("action", "action"),
            ("scope", "scope"), ("decided_by", "rule"), ("reason", "reason"),
            ("expiry_status", "expiry", badge), ("evidence_found", "evidence found"),
            ("evidence_missing", "missing"), ("evidence", "evidence")]))
    dead = table(q("SELECT * FROM v_dead_letters_daily ORDER BY day DESC, dead_letters DESC LIMIT 20"), [
        ("day", "day"), ("stage", "stage"), ("error_type", "error"), ("dead_letters", "inputs"),
        ("retryable", "retryable"), ("payload_bytes", "bytes")], empty="No dead letters.")
    runs = q("""SELECT started_at, classifier_version, inputs, revised, withdrawn, new_events,
                       dead_letters_recovered, suppressed, lifted
                FROM reclassifications WHERE NOT dry_run ORDER BY started_at DESC LIMIT 1""")
    reclassified = (
        "<p class='note'>What the last <code>bouncepipe reclassify</code> changed: today's "
        "rules re-read the archived inputs; events whose category, reason or recipient changed "
        "were revised (the previous classification is kept in <code>event_revisions</code>), "
        "and suppressions only the old evidence held were lifted.</p>"
        + table(runs, [("started_at", "run", when), ("classifier_version", "rules"),
                       ("inputs", "inputs re-read"), ("revised", "events revised"),
                       ("withdrawn", "withdrawn"), ("new_events", "new events"),
                       ("dead_letters_recovered", "dead letters recovered"),
                       ("suppressed", "addresses suppressed"), ("lifted", "addresses lifted")],
                empty="No reclassification has run on this lake.")
        + (table(q("SELECT * FROM v_reclassification_changes LIMIT 20"), [
            ("previous_category", "was"), ("previous_reason", "reason was"),
            ("category", "now"), ("reason", "reason now"), ("events", "events"),
            ("addresses", "addresses"), ("example_address", "example")]) if runs else ""))
    return [("providers", "Mailbox providers: bounce, deferral and complaint rates", providers),
            ("bounces", "Which domains bounce, and why", bounces),
            ("complaints", "Complaint rates against Gmail's limits", complaints),
            ("dmarc", "DMARC: who sends as our domains, and are we ready to enforce", dmarc),
            ("tls", "SMTP TLS reports", tls),
            ("suppressions", "Suppressions: what was decided, and on what evidence", suppressions),
            ("dead", "Inputs that could not be read", dead),
            ("reclassified", "What changed at the last reclassification", reclassified)]


# Views exported as CSV beside the report (linked from it): what analysts take to a spreadsheet.
CSV_EXPORTS = ("v_slice_daily", "v_provider_status", "v_provider_daily", "v_incidents",
               "v_complaint_status", "v_bounce_trend", "v_dmarc_readiness", "v_dmarc_sources",
               "v_dmarc_source_readiness")


def render_report(con, *, title: str = "bouncepipe deliverability report",
                  generated_at: datetime | None = None, source: str = "", scope: str = "",
                  csv_dir: str | None = None) -> str:
    generated_at = generated_at or datetime.now(timezone.utc)
    (h,) = rows(con, "SELECT * FROM v_headline")
    period = (f"{h['first_day']} to {h['last_day']}" if isinstance(h["first_day"], date)
              else "no delivery events yet")
    findings = all_findings(con)
    sections = _sections(con)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='sub'>Period {esc(period)} (UTC) &middot; lake {esc(source)} &middot; generated "
        f"{generated_at.strftime('%Y-%m-%d %H:%M')} UTC"
        + (f" &middot; <b>slice: {esc(scope)}</b> (tenant and stream narrow the events; the dates "
           "narrow every table)" if scope else "") + "</p>",
        cards(h),
        "<h2 id='attention'>Needs attention</h2><ul class='find'>",
        "".join(f"<li class='{sev}'>{esc(text)}</li>" for sev, text in findings)
        or "<li class='ok'>Nothing stands out.</li>",
        "</ul><nav>" + "".join(f"<a href='#{a}'>{esc(t)}</a>" for a, t, _ in sections) + "</nav>",
    ]
    for anchor, heading, body in sections:
        parts.append(f"<h2 id='{anchor}'>{esc(heading)}</h2>{body}")
    from connectors.views import VIEWS

    if csv_dir is not None:
        parts.append("<h2>Export</h2><p class='note'>CSV of each view (this slice): "
                     + " &middot; ".join(f"<a href='{esc(csv_dir)}/{v}.csv'>{v}</a>" for v in CSV_EXPORTS)
                     + "</p>")
    parts.append("<h2>Reproduce</h2><p class='note'>Every number comes from a DuckDB view: "
                 "<code>bouncepipe query --lake DIR \"SELECT * FROM v_complaint_status\"</code>. "
                 f"Views: {esc(', '.join(VIEWS))} (columns: connectors/views/__init__.py).</p>"
                 "</main></body></html>")
    return "\n".join(parts)


def write_report(lake: str | os.PathLike[str], out: str | os.PathLike[str], *,
                 title: str = "bouncepipe deliverability report", part=None,
                 csv: bool = True) -> Path:
    """Write the report to `out`; with csv, the CSV_EXPORTS views to `{out stem}_csv/`."""
    from connectors.views import open_lake

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    csv_dir = out.with_name(f"{out.stem}_csv")
    con = open_lake(lake, part)
    try:
        if csv:
            csv_dir.mkdir(exist_ok=True)
            for view in CSV_EXPORTS:
                target = str(csv_dir / f"{view}.csv").replace("'", "''")
                con.execute(f"COPY (SELECT * FROM {view}) TO '{target}' (HEADER, DELIMITER ',')")
        text = render_report(con, title=title, source=str(lake), scope=part.label if part else "",
                             csv_dir=csv_dir.name if csv else None)
    finally:
        con.close()
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
