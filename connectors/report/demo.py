"""A demo lake for the notebooks and `bouncepipe report --demo`: the bundled example inputs
ingested through the real pipeline, plus seeded synthetic volume (connectors.report.synth) whose
period ends on the examples' last event day, so the charts have a shape; DMARC source IPs are
identified offline (ASN, country, service name).
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from .synth import SynthSpec, write_synthetic_lake

DEFAULT_END = date(2026, 11, 18)


def _last_event_day(lake: Path) -> date | None:
    from connectors.duck import connect

    con = connect(lake, analytics=False)
    try:
        return con.execute("SELECT max(dt) FROM events").fetchall()[0][0]
    finally:
        con.close()


def build_demo_lake(root: str | os.PathLike[str], *, examples: bool = True,
                    events: int = 200_000, days: int = 28, seed: int = 7) -> dict[str, int]:
    """Write the demo lake under `root` (ingest first, so the suppression engine only replays
    the example events); returns rows per table (ingested examples + synthetic)."""
    root = Path(root)
    counts: dict[str, int] = {}
    end = DEFAULT_END
    if examples:
        from connectors.ingest import ingest
        from pipeline.examples import EXAMPLES_DIR

        summary = ingest([EXAMPLES_DIR], root)
        counts.update({f"examples.{k}": v for k, v in summary.landed_by_table.items()})
        counts["examples.dead_letters"] = summary.dead_letters
        end = _last_event_day(root) or DEFAULT_END
    spec = SynthSpec(events=events, days=days, seed=seed, start=end - timedelta(days=days - 1))
    counts.update({f"synthetic.{k}": v for k, v in write_synthetic_lake(root, spec).items()})
    # who the DMARC sources are, from parsedmarc's offline data (no DNS in a demo)
    from connectors.views.lookups import identify_sources

    counts["ip_identity"] = identify_sources(root)
    return counts
