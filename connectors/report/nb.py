"""Small notebook helpers: open the lake (or build the demo one) and show query results as
tables without pandas. Columns named *rate / *share render as percentages."""
from __future__ import annotations

import itertools
import os
import tempfile
from datetime import datetime

from .charts import rows, to_svg
from .html import esc, num, table, when
from .findings import pct


def lake_connection(lake: str | os.PathLike[str] | None = None, *, demo_events: int = 200_000,
                    demo_dir: str | os.PathLike[str] | None = None, since: str | None = None,
                    until: str | None = None, tenant: str | None = None,
                    stream: str | None = None):
    """(connection, lake path): `lake` as given, or a fresh demo lake in `demo_dir` (a new
    temporary directory when None). since / until ('YYYY-MM-DD', UTC days, inclusive), tenant
    and stream narrow every view (connectors.duck.Slice), like `bouncepipe report --since ...`."""
    from datetime import date

    from connectors.duck import Slice
    from connectors.views import open_lake

    part = Slice(date.fromisoformat(since) if since else None,
                 date.fromisoformat(until) if until else None, tenant, stream)
    if lake is None:
        from .demo import build_demo_lake

        lake = demo_dir or tempfile.mkdtemp(prefix="bouncepipe-demo-")
        build_demo_lake(lake, events=demo_events)
    return open_lake(lake, part if part.label else None), str(lake)


def _format(key: str):
    if key == "change":
        return lambda v: "" if v is None else f"{v * 100:+.2f} pp"
    if key.endswith(("rate", "share", "rate_7d")):
        return lambda v: pct(v, 3 if "complaint" in key else 2)
    return None


def _plain(value) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return num(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return when(value)
    return str(value)


class Table:
    """A query result that renders as an HTML table in Jupyter and as text elsewhere."""

    def __init__(self, data: list[dict], title: str = ""):
        self.data, self.title = data, title

    def __len__(self) -> int:
        return len(self.data)

    def _repr_html_(self) -> str:
        cols = []
        for key in (self.data[0] if self.data else {}):
            fmt = _format(key)
            cols.append((key, key, fmt) if fmt else (key, key))
        head = f"<b>{esc(self.title)}</b>" if self.title else ""
        return head + table(self.data, cols)

    def __repr__(self) -> str:
        if not self.data:
            return "(no rows)"
        keys = list(self.data[0])
        cells = [[(_format(k) or _plain)(r[k]) for k in keys] for r in self.data]
        widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
        lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)


_chart_ids = itertools.count(1)


class Chart:
    """A chart figure shown as inline SVG (the same rendering as the HTML report), so notebooks
    need no matplotlib backend integration."""

    def __init__(self, fig):
        self.fig = fig

    def _repr_svg_(self) -> str:
        return to_svg(self.fig, f"nbchart{next(_chart_ids)}")

    def __repr__(self) -> str:
        return "<chart>"


def plot(fig) -> Chart | str:
    return Chart(fig) if fig is not None else "(no data to plot)"


def show(con, sql: str, params: list | None = None, *, title: str = "") -> Table:
    return Table(rows(con, sql, params), title)
