"""The charts shared by the HTML report and the notebooks (matplotlib, headless).

Each function takes a DuckDB connection with the analytics views and returns a matplotlib
Figure (or None when there is nothing to draw); `to_svg` turns a figure into inline SVG text.
Queries are plain SQL over the views so a reader can re-run them in `bouncepipe query`.
"""
from __future__ import annotations

import functools
import io
import re
from collections import defaultdict


import matplotlib
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # no pyplot: no backend, no global figure list (headless)
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

# Thresholds drawn on the complaint chart (the same numbers as the bp_complaint_* macros).
COMPLAINT_WARN, COMPLAINT_OVER = 0.001, 0.003
STATUS_COLORS = {"ok": "#2e7d32", "warn": "#ef6c00", "over": "#c62828", "no_volume": "#757575"}
CHART_DAYS = 60  # daily charts show the lake's last 60 days (tables cover everything)
PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#c62828", "#6a1b9a", "#00838f", "#8d6e63",
           "#546e7a", "#ad1457", "#9e9d24")

# Applied per chart (rc_context), never to the caller's global matplotlib settings.
STYLE = {
    "figure.dpi": 100, "font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "legend.frameon": False, "svg.fonttype": "none",
}


def _styled(chart):
    @functools.wraps(chart)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return chart(*args, **kwargs)
    return wrapper


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    """Run SQL and return a list of dicts (no pandas needed)."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def to_svg(fig: Figure, prefix: str = "chart") -> str:
    """Inline SVG text; every id (and reference to it) gets `prefix-` so that several charts in
    one page never share an id (matplotlib numbers them figure_1, patch_1, ... in each SVG)."""
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline in HTML
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)  # creation date, licence URIs
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)


def _fig(width: float = 9.0, height: float = 3.4) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots()


def _series(data: list[dict], key: str, x: str, y: str) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for r in data:
        xs, ys = out[r[key]]
        xs.append(r[x])
        ys.append(r[y])
    return dict(out)


def day_axis(ax: Axes, days) -> None:
    """The x axis spans exactly the data's days (half a day of margin each side): one day of
    data gets one day of axis, not matplotlib's default of several years around it."""
    days = sorted(set(days))
    # (date - timedelta(hours=12) is the same date: work in matplotlib's day numbers)
    ax.set_xlim(mdates.date2num(days[0]) - 0.5, mdates.date2num(days[-1]) + 0.5)
    locator = mdates.AutoDateLocator(minticks=2, maxticks=10)
    if (days[-1] - days[0]).days < 7:
        locator = mdates.DayLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def rate_axis(ax: Axes, values, *, floor: float | None = 0.0, reference: float = 0.0) -> None:
    """A y axis for a rate in 0..1: never above 100 % (no 102 % padding), never below 0, tight
    enough to read (floor=None: start just under the lowest value, for pass rates near 100 %),
    with as many decimals as the tick step needs (a 97.5 % tick reads 97.5 %, not 98 %)."""
    vals = [v for v in values if v is not None]
    top_data = max(vals + [reference]) if vals else 1.0
    top = min(1.0, top_data * 1.15) if top_data > 0 else 0.01
    bottom = 0.0 if floor is not None else max(0.0, min(vals or [0.0]) - 0.1 * (top_data - min(vals or [0.0]) or 0.01))
    if floor is None and top_data >= 0.98:
        top = 1.0
    ax.set_ylim(bottom, top)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=tick_decimals(ax.yaxis, bottom, top)))


def tick_decimals(axis, low: float, high: float) -> int:
    """The fewest decimals (of a percentage) that print every tick the axis will draw exactly."""
    ticks = [t for t in axis.get_major_locator().tick_values(low, high) if low - 1e-12 <= t <= high + 1e-12]
    for decimals in range(0, 4):
        if all(abs(round(t * 100, decimals) - t * 100) < 1e-9 for t in ticks):
            return decimals
    return 3


def _rate_lines(data, series: str, value: str, title: str, *, floor: float | None = 0.0,
                reference: float = 0.0):
    """One line per `series` value of a daily rate, legend on the right: the shape shared by
    the bounce, complaint and DMARC pass-rate charts (callers add their own reference lines)."""
    fig, ax = _fig()
    for i, (name, (xs, ys)) in enumerate(sorted(_series(data, series, "day", value).items())):
        ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.4, label=name, color=PALETTE[i % 10])
    ax.set_title(title)
    rate_axis(ax, [r[value] for r in data], floor=floor, reference=reference)
    day_axis(ax, [r["day"] for r in data])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, ax


@_styled
def bounce_rate_chart(con, top: int = 6) -> Figure | None:
    """Daily bounce rate of the recipient domains with the most bounces."""
    data = rows(con, """
        WITH recent AS (SELECT * FROM v_bounce_rate_daily
                        WHERE day > (SELECT max(day) FROM v_bounce_rate_daily) - ?),
             top AS (SELECT recipient_domain FROM recent GROUP BY 1
                     ORDER BY sum(bounces) DESC, 1 LIMIT ?)
        SELECT day, recipient_domain, bounce_rate FROM recent
        WHERE recipient_domain IN (SELECT recipient_domain FROM top)
        ORDER BY day""", [CHART_DAYS, top])
    if not data:
        return None
    fig, _ = _rate_lines(data, "recipient_domain", "bounce_rate",
                         "Bounce rate per day, by recipient domain (bounces / (delivered + bounces))")
    return fig


@_styled
def reason_mix_chart(con, top_domains: int = 8, top_reasons: int = 7) -> Figure | None:
    """Why each domain bounces: share of bounce reasons over the whole period."""
    data = rows(con, """
        WITH per AS (SELECT recipient_domain, reason, sum(bounces) AS n FROM v_bounce_reason_mix GROUP BY ALL),
             dom AS (SELECT recipient_domain FROM per GROUP BY 1 ORDER BY sum(n) DESC, 1 LIMIT ?),
             rsn AS (SELECT reason FROM per GROUP BY 1 ORDER BY sum(n) DESC, 1 LIMIT ?)
        SELECT p.recipient_domain,
               CASE WHEN p.reason IN (SELECT reason FROM rsn) THEN p.reason ELSE 'other reasons' END AS reason,
               sum(p.n) AS n
        FROM per p WHERE p.recipient_domain IN (SELECT recipient_domain FROM dom)
        GROUP BY ALL""", [top_domains, top_reasons])
    if not data:
        return None
    totals: dict[str, int] = defaultdict(int)
    for r in data:
        totals[r["recipient_domain"]] += r["n"]
    domains = sorted(totals, key=lambda d: totals[d])
    by_reason: dict[str, dict[str, int]] = defaultdict(dict)
    for r in data:
        by_reason[r["reason"]][r["recipient_domain"]] = r["n"]
    reasons = sorted(by_reason, key=lambda k: (k == "other reasons", -sum(by_reason[k].values())))
    fig, ax = _fig(9.0, 0.45 * len(domains) + 1.2)
    left = [0] * len(domains)
    for i, reason in enumerate(reasons):
        widths = [by_reason[reason].get(d, 0) for d in domains]
        ax.barh(domains, widths, left=left, label=reason, color=PALETTE[i % 10])
        left = [a + b for a, b in zip(left, widths)]
    ax.set_title("Bounces by reason and recipient domain (whole period)")
    ax.set_xlabel("bounces")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def complaint_rate_chart(con) -> Figure | None:
    """7-day rolling complaint rate per tenant/stream against Gmail's 0.10 % and 0.30 % lines."""
    data = rows(con, """SELECT day, tenant || ' / ' || stream AS stream, complaint_rate_7d AS complaint_rate
                        FROM v_complaint_rate_7d
                        WHERE delivered_7d > 0 AND day > (SELECT max(day) FROM v_complaint_rate_7d) - ?
                        ORDER BY day""", [CHART_DAYS])
    if not data:
        return None
    fig, ax = _rate_lines(data, "stream", "complaint_rate",
                          "Complaint rate, rolling 7 days, by tenant / stream (complaints / delivered to ARF providers)",
                          reference=COMPLAINT_OVER)
    ax.axhline(COMPLAINT_WARN, color=STATUS_COLORS["warn"], linestyle="--", linewidth=1)
    ax.axhline(COMPLAINT_OVER, color=STATUS_COLORS["over"], linestyle="--", linewidth=1)
    xmin = min(r["day"] for r in data)
    ax.annotate("0.10 %: keep below", (xmin, COMPLAINT_WARN), textcoords="offset points",
                xytext=(2, 3), color=STATUS_COLORS["warn"], fontsize=8)
    ax.annotate("0.30 %: never reach", (xmin, COMPLAINT_OVER), textcoords="offset points",
                xytext=(2, 3), color=STATUS_COLORS["over"], fontsize=8)
    return fig


@_styled
def dmarc_volume_chart(con) -> Figure | None:
    """Per header-from domain: messages passing DMARC, failing from known sources, failing
    from unknown sources (the part a stricter policy is meant to stop)."""
    data = rows(con, """SELECT domain, pass_messages, known_fail_messages, unknown_messages
                        FROM v_dmarc_readiness ORDER BY messages""")
    if not data:
        return None
    fig, ax = _fig(9.0, 0.5 * len(data) + 1.3)
    names = [r["domain"] for r in data]
    left = [0] * len(data)
    for key, label, color in (("pass_messages", "pass (aligned SPF or DKIM)", "#2e7d32"),
                              ("known_fail_messages", "fail, legitimate source", "#ef6c00"),
                              ("unknown_messages", "fail, unknown source", "#c62828")):
        widths = [r[key] for r in data]
        ax.barh(names, widths, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_title("DMARC results by header-from domain (messages reported)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def dmarc_pass_rate_chart(con) -> Figure | None:
    data = rows(con, """SELECT day, domain, pass_rate FROM v_dmarc_pass_rate_daily
                        WHERE day > (SELECT max(day) FROM v_dmarc_pass_rate_daily) - ? ORDER BY day""",
                [CHART_DAYS])
    if not data:
        return None
    fig, _ = _rate_lines(data, "domain", "pass_rate", "DMARC pass rate per day, by header-from domain",
                         floor=None)
    return fig


@_styled
def tls_failures_chart(con) -> Figure | None:
    data = rows(con, """SELECT day, policy_domain || ': ' || result_type AS kind, sum(failed_sessions) AS n
                        FROM v_tls_failures WHERE day > (SELECT max(day) FROM v_tls_failures) - ?
                        GROUP BY ALL ORDER BY day""", [CHART_DAYS])
    if not data:
        return None
    days = sorted({r["day"] for r in data})
    kinds = sorted({r["kind"] for r in data})
    value = {(r["day"], r["kind"]): r["n"] for r in data}
    fig, ax = _fig(9.0, 3.0)
    bottom = [0] * len(days)
    for i, kind in enumerate(kinds):
        heights = [value.get((d, kind), 0) for d in days]
        ax.bar(days, heights, bottom=bottom, label=kind, color=PALETTE[(i + 3) % 10])
        bottom = [a + b for a, b in zip(bottom, heights)]
    ax.set_title("SMTP TLS failures per day (failed sessions reported, by policy domain and result)")
    ax.set_ylabel("failed sessions")
    day_axis(ax, days)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def suppressions_chart(con) -> Figure | None:
    data = rows(con, """SELECT bp_utc_day(decided_at) AS day, decided_by, count(*) AS n
                        FROM v_suppression_state
                        WHERE decided_at > (SELECT max(decided_at) FROM suppressions) - to_days(?)
                        GROUP BY ALL ORDER BY day""", [CHART_DAYS])
    if not data:
        return None
    days = sorted({r["day"] for r in data})
    rules = sorted({r["decided_by"] for r in data})
    value = {(r["day"], r["decided_by"]): r["n"] for r in data}
    fig, ax = _fig(9.0, 3.0)
    bottom = [0] * len(days)
    for i, rule in enumerate(rules):
        heights = [value.get((d, rule), 0) for d in days]
        ax.bar(days, heights, bottom=bottom, label=rule, color=PALETTE[i % 10])
        bottom = [a + b for a, b in zip(bottom, heights)]
    ax.set_title("Decisions in force per key, by day decided and policy rule")
    ax.set_ylabel("keys")
    day_axis(ax, days)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def provider_rates_chart(con) -> Figure | None:
    """Per mailbox provider over the last 7 days: bounce, deferral and complaint rate side by
    side, each with the provider's own 'over' level as a tick mark."""
    data = rows(con, "SELECT * FROM v_provider_status WHERE delivered + bounces + deferrals > 0 "
                     "ORDER BY delivered DESC, provider")
    if not data:
        return None
    metrics = (("bounce_rate", "bounce_over", "bounce rate"),
               ("deferral_rate", "deferral_over", "deferral rate"),
               ("complaint_rate", "complaint_over", "complaint rate"))
    fig, axes = Figure(figsize=(9.0, 2.9), layout="constrained"), None
    axes = fig.subplots(1, 3, sharey=False)
    names = [r["provider"] for r in data]
    for ax, (key, over, label) in zip(axes, metrics):
        values = [r[key] or 0.0 for r in data]
        ax.barh(names, values, color=[PALETTE[i % 10] for i in range(len(names))])
        for i, r in enumerate(data):
            if r[over] is not None:
                ax.plot([r[over]] * 2, [i - 0.4, i + 0.4], color=STATUS_COLORS["over"], linewidth=1.5)
            if key == "complaint_rate" and r["provider_complaint_source"] == "yahoo_insights":
                # Yahoo's own rate (over inbox-delivered mail) beside our ARF-derived bar
                ax.plot([r["provider_complaint_rate"]], [i], marker="D", markersize=5,
                        color="#212121", linestyle="none")
            if key == "complaint_rate" and r[key] is None:
                ax.annotate("no ARF", (0, i), xytext=(3, -3), textcoords="offset points", fontsize=7,
                            color="#757575")
        own = [r["provider_complaint_rate"] for r in data
               if key == "complaint_rate" and r["provider_complaint_source"] == "yahoo_insights"]
        ax.set_title(label + (" (◆ Yahoo Insights)" if own else ""), fontsize=9)
        top = max(values + own + [r[over] or 0 for r in data]) * 1.15 or 0.01
        ax.set_xlim(0, min(1.0, top))
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=tick_decimals(ax.xaxis, 0, min(1.0, top))))
        ax.grid(axis="y", visible=False)
        ax.invert_yaxis()
    fig.suptitle("Mailbox providers, last 7 days (red mark: the provider's 'over' level)",
                 fontweight="bold", fontsize=11)
    return fig


CHARTS = {
    "provider_rates": provider_rates_chart,
    "bounce_rate": bounce_rate_chart,
    "reason_mix": reason_mix_chart,
    "complaint_rate": complaint_rate_chart,
    "dmarc_volume": dmarc_volume_chart,
    "dmarc_pass_rate": dmarc_pass_rate_chart,
    "tls_failures": tls_failures_chart,
    "suppressions": suppressions_chart,
}
