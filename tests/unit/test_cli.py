"""The command line as users run it: classify, ingest (twice), query, demo."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from connectors.cli import main
from pipeline.examples import EXAMPLES_DIR

KEYS = {"source", "index", "recipient", "category", "reason", "status", "reply_code",
        "feedback_type", "provider", "rule"}


def _classify(capsys, *paths: str) -> list[dict]:
    assert main(["classify", "--format", "jsonl", *paths]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_classify_dsn_gives_exact_fields(capsys):
    path = str(EXAMPLES_DIR / "dsn-userunknown.eml")
    (line,) = _classify(capsys, path)
    assert KEYS <= set(line)
    assert (line["source"], line["index"], line["recipient"], line["category"], line["reason"],
            line["status"], line["reply_code"]) == (
        path, 0, "nobody@example.org", "hard_bounce", "userunknown", "5.1.1", 550)
    assert line["rule"]


def test_classify_soft_bounce_and_error_line(capsys):
    soft = str(EXAMPLES_DIR / "dsn-mailboxfull.eml")
    junk = str(EXAMPLES_DIR / "not-a-report.txt")
    lines = _classify(capsys, soft, junk)
    assert [(x["source"], x["category"], x["reason"]) for x in lines] == [
        (soft, "soft_bounce", "mailboxfull"), (junk, None, None)]
    assert "not a recognised input" in lines[1]["error"] and lines[1]["index"] == 0


def test_classify_json_array_reports_the_index(capsys):
    path = str(EXAMPLES_DIR / "sendgrid-events.json")
    lines = _classify(capsys, path)
    assert [(x["index"], x["recipient"], x["category"]) for x in lines] == [
        (0, "nobody@example.org", "hard_bounce"), (1, "reader@example.com", "delivered"),
        (2, "reader@example.com", "engagement"), (3, "grumpy@example.com", "complaint")]
    assert {x["provider"] for x in lines} == {"sendgrid"}


def test_classify_table_format_and_usage_errors(capsys, tmp_path):
    assert main(["classify", "--format", "table", str(EXAMPLES_DIR / "dsn-userunknown.eml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("source\tindex\trecipient") and "hard_bounce" in out[1]
    with pytest.raises(SystemExit) as exc:
        main(["classify", str(tmp_path / "missing.eml")])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["classify", "--format", "xml", str(EXAMPLES_DIR)])
    assert exc.value.code == 2


def test_ingest_twice_leaves_the_same_rows_and_query_answers(capsys, tmp_path):
    lake = tmp_path / "lake"
    assert main(["ingest", str(EXAMPLES_DIR), "--lake", str(lake)]) == 0
    first = capsys.readouterr().out
    assert "dead letters: 1" in first
    sql = "select category, count(*) as n from events group by 1 order by 1"
    assert main(["query", "--lake", str(lake), "--format", "json", sql]) == 0
    counts = {r["category"]: r["n"] for r in json.loads(capsys.readouterr().out)}
    assert counts == {"complaint": 2, "delivered": 2, "engagement": 1, "hard_bounce": 3,
                      "other": 1, "soft_bounce": 1}

    def table_counts():
        tables = ("events", "suppressions", "dmarc_aggregate", "dead_letters")
        sql = " union all ".join(f"select '{t}' t, count(*) n from {t}" for t in tables)
        assert main(["query", "--lake", str(lake), "--format", "csv", sql]) == 0
        rows = capsys.readouterr().out.splitlines()[1:]
        return dict(r.split(",") for r in rows)

    before = table_counts()
    assert before == {"events": "10", "suppressions": "4", "dmarc_aggregate": "2",
                      "dead_letters": "1"}
    assert main(["ingest", str(EXAMPLES_DIR), "--lake", str(lake)]) == 0
    assert "new rows landed: none" in capsys.readouterr().out
    assert table_counts() == before
    assert main(["query", "--lake", str(lake), "--format", "jsonl",
                 "select address from suppressions order by 1"]) == 0
    addresses = [json.loads(x)["address"] for x in capsys.readouterr().out.splitlines()]
    assert addresses == ["angry.reader@example.net", "gone@example.net",
                         "grumpy@example.com", "nobody@example.org"]


def test_query_reports_sql_errors_without_a_traceback(capsys, tmp_path):
    assert main(["query", "--lake", str(tmp_path), "select * from nope"]) == 1
    assert "nope" in capsys.readouterr().err


def test_console_script_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "connectors.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("classify", "ingest", "query", "demo"):
        assert command in out


def test_unsuppress_takes_what_operators_type_and_refuses_non_addresses(capsys):
    from connectors.cli._common import parse_address_arg

    assert parse_address_arg("Ann Example <Ann@Example.COM>") == "ann@example.com"
    assert parse_address_arg("  bob@example.org ") == "bob@example.org"
    assert parse_address_arg("not an address") is None
    with pytest.raises(SystemExit) as exc:
        main(["unsuppress", "not an address"])
    assert exc.value.code == 2
    assert "not an email address" in capsys.readouterr().err


def test_bulk_commands_freeze_start_up_out_of_the_cycle_collector(capsys, monkeypatch):
    import connectors.cli
    import pipeline.core

    assert connectors.cli.WARM_UP == {"classify", "ingest", "reclassify", "demo", "worker", "up"}
    calls = []
    monkeypatch.setattr(pipeline.core, "warm_up", lambda: calls.append(True))
    path = str(EXAMPLES_DIR / "dsn-userunknown.eml")
    assert main(["classify", "--format", "jsonl", path]) == 0
    assert calls == []            # an in-process caller's objects are never frozen
    monkeypatch.setattr(sys, "argv", ["bouncepipe", "classify", "--format", "jsonl", path])
    assert main() == 0            # the console script: the process is this command
    assert calls == [True]
    # what warm_up does, in a process of its own (a freeze lasts for the process)
    code = ("import gc; from pipeline.core import warm_up, process_bytes; warm_up(); n = "
            "gc.get_freeze_count(); warm_up(); assert gc.get_freeze_count() == n; "
            "from pipeline.examples import EXAMPLES_DIR as D; "
            "o = process_bytes((D / 'dsn-userunknown.eml').read_bytes()); "
            "print(n, [e.category for e in o.events])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    frozen, categories = done.stdout.split(" ", 1)
    assert int(frozen) > 10000 and categories.strip() == "['hard_bounce']"


def test_a_named_command_loads_only_its_own_module():
    """Start-up of a batch run: `bouncepipe classify` does not import the service commands
    (asyncio, Kafka); help and unknown commands still see every command."""
    code = ("import sys; from connectors.cli import build_parser, _named_command as n;"
            "assert n(['-vv', '--log-format', 'json', 'classify', 'x']) == 'classify';"
            "assert n(['--log-format=text', 'ingest']) == 'ingest';"
            "assert n(['-h']) is None and n(['nope']) is None and n([]) is None;"
            "build_parser('classify');"
            "print(sorted(m for m in sys.modules if m.startswith('connectors.cli.')),"
            "      'asyncio' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["['connectors.cli._common',", "'connectors.cli.classify']",
                                   "False"]
    full = subprocess.run([sys.executable, "-m", "connectors.cli", "--help"],
                          capture_output=True, text=True, check=True).stdout
    assert "COMMAND" in full
    unknown = subprocess.run([sys.executable, "-m", "connectors.cli", "nope"],
                             capture_output=True, text=True, check=False)
    assert unknown.returncode == 2 and "'classify'" in unknown.stderr
