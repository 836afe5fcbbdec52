"""`--jobs N` (connectors/parallel.py): N worker processes give the same output, in the same
order, as one job (classify's lines; ingest's lake files and rows)."""
from __future__ import annotations

import multiprocessing
import os

import pyarrow.parquet as pq
import pytest

from connectors.cli import main
from connectors.ingest import ingest
from connectors.parallel import PIPE_SAFE_BYTES, WorkerDied, map_ordered, work_units
from connectors.sources.files import iter_files
from pipeline.examples import EXAMPLES_DIR
from tests.integration.generate import dsn_emails, webhook_batches


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Enough files for several work units: DSNs, webhook batches, the bundled examples
    (a DMARC report, an mbox-free mix, one input that is no report)."""
    root = tmp_path_factory.mktemp("inputs")
    for i, payload in enumerate(dsn_emails(130)):
        (root / "dsn" / f"{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / "dsn" / f"{i % 3}" / f"dsn-{i:04d}.eml").write_bytes(payload)
    for i, payload in enumerate(webhook_batches(200, per_batch=10)):
        (root / f"hook-{i:03d}.json").write_bytes(payload)
    return [str(root), str(EXAMPLES_DIR)]


def test_work_units_keep_the_reading_order_and_their_limits(inputs):
    files = [(str(f), label) for f, label in iter_files(inputs)]
    units = list(work_units(inputs, files=16))
    assert [pair for unit in units for pair in unit] == files
    assert len(units) == -(-len(files) // 16) and all(len(u) <= 16 for u in units)
    by_size = list(work_units(inputs, files=1000, size=20_000))
    assert [pair for unit in by_size for pair in unit] == files and len(by_size) > 1


def _square(unit):
    return [int(x) ** 2 for x, _ in unit]


def test_map_ordered_answers_in_unit_order():
    units = [[(str(i), "")] for i in range(40)]
    assert list(map_ordered(_square, units, 3)) == [[i * i] for i in range(40)]
    assert list(map_ordered(_square, units, 1)) == [[i * i] for i in range(40)]


def test_map_ordered_one_job_plans_a_unit_only_when_it_is_worked():
    """One job works in this process; the units are planned lazily (reclassify's units hold
    their inputs' current events: planning all 1,000 of a 1,000,000-input archive first held
    +250 MB)."""
    planned, worked = [], []

    def units():
        for i in range(10):
            planned.append(i)
            yield [(str(i), "")]

    def work(unit):
        worked.append(int(unit[0][0]))
        return len(planned) - len(worked)   # units planned and not yet worked

    # the second unit was read with the first (to see that there is more than one); after
    # that, each unit is planned when its turn comes
    assert list(map_ordered(work, units(), 1)) == [1] + [0] * 9
    assert worked == list(range(10))


def _echo_big(unit):
    return [label * 40 for _, label in unit]   # an answer far over a pipe's buffer


def test_map_ordered_big_units_and_answers_do_not_block_the_pipes():
    label = "x" * 2000
    units = [[(str(i), label)] * 40 for i in range(12)]   # ~80 KB each, pickled
    assert len(repr(units[0])) > 2 * PIPE_SAFE_BYTES
    answers = list(map_ordered(_echo_big, units, 2))
    assert len(answers) == 12 and all(a == [label * 40] * 40 for a in answers)


def _fail_on_seven(unit):
    if unit[0][0] == "7":
        raise ValueError("unit seven")
    return unit[0][0]


def _die_on_five(unit):
    if unit[0][0] == "5":
        os._exit(3)
    return unit[0][0]


def test_map_ordered_raises_a_workers_exception_and_stops_the_workers():
    units = [[(str(i), "")] for i in range(20)]
    got = []
    with pytest.raises(ValueError, match="unit seven"):
        for answer in map_ordered(_fail_on_seven, units, 2):
            got.append(answer)   # noqa: PERF402 - the answers before the exception
    assert got == [str(i) for i in range(7)]
    assert multiprocessing.active_children() == []


def test_map_ordered_reports_a_worker_that_died():
    units = [[(str(i), "")] for i in range(20)]
    with pytest.raises(WorkerDied, match="exit code 3"):
        list(map_ordered(_die_on_five, units, 2))
    assert multiprocessing.active_children() == []


def test_map_ordered_closed_early_stops_the_workers_quietly(capfd):
    """As `bouncepipe classify --jobs 2 ... | head` does: answers sent and never read."""
    answers = map_ordered(_square, [[(str(i), "")] for i in range(40)], 2)
    assert [next(answers) for _ in range(3)] == [[0], [1], [4]]
    answers.close()
    assert multiprocessing.active_children() == []
    assert capfd.readouterr().err == ""


def test_classify_two_jobs_print_what_one_job_prints(inputs, capsys):
    assert main(["classify", "--jobs", "1", *inputs]) == 0
    one = capsys.readouterr().out
    assert main(["classify", "--jobs", "2", *inputs]) == 0
    two = capsys.readouterr().out
    lines = one.splitlines()
    assert len(lines) >= 130 + 200 + 5   # a line per event, report and dead letter
    assert two == one


def _lake_files(lake) -> dict[str, list]:
    return {str(p.relative_to(lake)): pq.read_table(p).to_pylist()
            for p in sorted(lake.rglob("*.parquet"))}


def test_ingest_two_jobs_land_the_same_files_and_rows(inputs, tmp_path):
    one = ingest(inputs, tmp_path / "one", jobs=1, batch_rows=150)
    two = ingest(inputs, tmp_path / "two", jobs=2, batch_rows=150)
    assert one == two and one.inputs > 150
    files_one, files_two = _lake_files(tmp_path / "one"), _lake_files(tmp_path / "two")
    assert len([f for f in files_one if f.startswith("events/")]) > 1
    assert files_two == files_one
