"""Chart axes and labels (not pixels): on the tiny hand-made lake, on a one-day lake and on
the demo lake. Screenshots of the report were checked by eye in headless Chromium."""
from __future__ import annotations

from datetime import date

import matplotlib.dates as mdates
import pytest

from connectors.lake import LakeWriter
from connectors.report.charts import CHARTS, rate_axis
from connectors.views import open_lake
from tests.unit.test_views import build_known_lake, dmarc, ev


def day_limits(ax) -> tuple[date, date]:
    low, high = ax.get_xlim()
    return mdates.num2date(low + 0.5).date(), mdates.num2date(high - 0.5).date()


def ticks(ax, axis="y") -> list[str]:
    fmt = (ax.yaxis if axis == "y" else ax.xaxis).get_major_formatter()
    locs = ax.get_yticks() if axis == "y" else ax.get_xticks()
    low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
    return [fmt(v) for v in locs if low - 1e-12 <= v <= high + 1e-12]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    lake = tmp_path_factory.mktemp("tiny")
    build_known_lake(lake)
    c = open_lake(lake)
    yield c
    c.close()


def test_daily_charts_span_the_data_days_and_rates_stay_within_0_and_100(con):
    ax = CHARTS["bounce_rate"](con).axes[0]
    assert day_limits(ax) == (date(2026, 11, 10), date(2026, 11, 11))
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] <= 1.0
    assert ax.get_ylim()[1] == pytest.approx(0.25 * 1.15)        # the highest rate + 15 %
    complaint = CHARTS["complaint_rate"](con).axes[0]
    assert complaint.get_ylim()[1] >= 0.003                        # the 0.30 % line is on the chart
    dm = CHARTS["dmarc_pass_rate"](con).axes[0]
    assert day_limits(dm) == (date(2026, 11, 1), date(2026, 11, 8))
    assert dm.get_ylim()[1] == 1.0                                # not 102 %
    labels = ticks(dm)
    assert labels and all(label.endswith("%") for label in labels)


def test_a_one_day_lake_gets_a_one_day_axis(tmp_path):
    LakeWriter(tmp_path).write("events", ev("2026-11-10", "gmail.com", "delivered", 50)
                               + ev("2026-11-10", "gmail.com", "hard_bounce", 50), file_stem="e")
    c = open_lake(tmp_path)
    try:
        ax = CHARTS["bounce_rate"](c).axes[0]
    finally:
        c.close()
    low, high = ax.get_xlim()
    assert high - low == 1.0 and day_limits(ax) == (date(2026, 11, 10), date(2026, 11, 10))
    assert ax.get_ylim() == (0.0, pytest.approx(0.575))           # 50 % + 15 %, not 102 %
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-11-10"]


def test_tick_labels_have_the_decimals_their_values_need():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    rate_axis(ax, [0.95, 0.975, 0.99], floor=None)                # a pass rate near 100 %
    labels = ticks(ax)
    assert "97.5%" in labels or all(lbl.count(".") == 0 for lbl in labels)
    values = [v for v in ax.get_yticks() if ax.get_ylim()[0] <= v <= ax.get_ylim()[1]]
    assert all(float(lbl.rstrip("%")) == pytest.approx(v * 100) for lbl, v in zip(labels, values))
    ax2 = Figure().subplots()
    rate_axis(ax2, [0.0002, 0.0011])
    assert all(float(lbl.rstrip("%")) == pytest.approx(v * 100) for lbl, v in
               zip(ticks(ax2), [v for v in ax2.get_yticks() if ax2.get_ylim()[0] <= v <= ax2.get_ylim()[1]]))


def test_dmarc_pass_rate_axis_prints_97_5_not_98(tmp_path):
    recs = [dmarc(f"2026-11-0{d}", "example.com", "192.0.2.1", 1000, True, report=f"r{d}") for d in range(1, 5)]
    recs += [dmarc(f"2026-11-0{d}", "example.com", "192.0.2.1", fail, False, report=f"r{d}", idx=1)
             for d, fail in ((1, 25), (2, 20), (3, 10), (4, 5))]
    LakeWriter(tmp_path).write("dmarc_aggregate", recs, file_stem="d")
    c = open_lake(tmp_path)
    try:
        ax = CHARTS["dmarc_pass_rate"](c).axes[0]
    finally:
        c.close()
    labels = ticks(ax)
    values = [v for v in ax.get_yticks() if ax.get_ylim()[0] <= v <= ax.get_ylim()[1]]
    assert any(abs(v - 0.975) < 1e-9 for v in values) and "97.5%" in labels
    assert ax.get_ylim()[1] == 1.0


def test_provider_chart_shows_bounce_deferral_and_complaint_with_no_arf_marked(con):
    fig = CHARTS["provider_rates"](con)
    assert [a.get_title() for a in fig.axes] == ["bounce rate", "deferral rate", "complaint rate"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Other", "Google", "Yahoo/AOL"]
    assert "no ARF" in [t.get_text() for t in fig.axes[2].texts]
    assert all(a.get_xlim()[1] <= 1.0 for a in fig.axes)


def test_demo_lake_charts(tmp_path):
    from connectors.report.demo import build_demo_lake

    build_demo_lake(tmp_path, events=6000, days=21)
    c = open_lake(tmp_path)
    try:
        last = c.execute("SELECT max(day) FROM v_bounce_rate_daily").fetchone()[0]
        for name in ("bounce_rate", "complaint_rate", "dmarc_pass_rate", "tls_failures", "suppressions"):
            ax = CHARTS[name](c).axes[0]
            first, end = day_limits(ax)
            assert (end - first).days <= 60 and end <= last, name
            if name in ("bounce_rate", "complaint_rate", "dmarc_pass_rate"):
                assert 0 <= ax.get_ylim()[0] < ax.get_ylim()[1] <= 1.0, name
        assert len(CHARTS["provider_rates"](c).axes[0].get_yticklabels()) == 5
    finally:
        c.close()
