"""Linear time: the core over inputs of 1, 2, 4 and 8 MB of each shape that used to be
quadratic (or could be), with the time ratio of each doubling.

    python bench/bench_linear.py [--sizes 1 2 4 8] [--repeat 3] [--slack 1.6]

Shapes: CR-only and LF delivery-status bounces with many recipient blocks, a bounce with
one huge folded header (the X1 dialect reads the message raw), an X1 bounce with a huge
unfolded header, a plain-text body bounce, a DMARC aggregate report, a TLS report. Caps
that would refuse these sizes (parts, recipients, records) are lifted: the point is the
work per byte, not the refusal. Each size is timed `--repeat` times (best kept). A shape
fails (exit 1) when t(largest) / t(smallest) exceeds the size ratio times --slack (8x the
size: linear allows 12.8x at the default slack, quadratic would be 64x); the per-doubling
ratios are printed too, but one doubling alone is at the mercy of the garbage collector's
thresholds and the shared machine. Results: bench/out/linear.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.core import process, warm_up  # noqa: E402
from pipeline.settings import Limits, Settings  # noqa: E402
from schemas.models import RawMessage, RawSource  # noqa: E402

MB = 1024 * 1024
LIFTED = Settings(limits=Limits(max_mime_parts=10_000_000, max_recipients_per_input=10_000_000,
                                max_mime_depth=64))


def dsn_blocks(size: int, nl: str) -> bytes:
    head = ("From: MAILER-DAEMON@mx.example|To: a@example.org|Subject: Undelivered Mail "
            "Returned to Sender|MIME-Version: 1.0|Content-Type: multipart/report; "
            "report-type=delivery-status; boundary=\"B\"||--B|Content-Type: text/plain||"
            "failed||--B|Content-Type: message/delivery-status||Reporting-MTA: dns; "
            "mx.example||")
    block = "Final-Recipient: rfc822; u{}@example.com|Action: failed|Status: 5.1.1||"
    body, i = [], 0
    total = len(head)
    while total < size:
        line = block.format(i)
        body.append(line)
        total += len(line)
        i += 1
    return (head + "".join(body) + "--B--|").replace("|", nl).encode()


def huge_header(size: int, x1: bool) -> bytes:
    sender = "Mail Deliver System <x@x.example>" if x1 else "MAILER-DAEMON@mx.example"
    words = " ".join(["word"] * (size // 5))
    value = words if x1 else "\n ".join(words[i:i + 70] for i in range(0, len(words), 70))
    return (f"From: {sender}\nSubject: Returned Mail: failed\nX-Junk: {value}\n\n"
            "---The following addresses had delivery errors---\n\n"
            "u@example.com [550 User unknown]\n").encode()


def text_body(size: int) -> bytes:
    line = "This is a line of a long bounce body that says nothing of interest at all.\n"
    return ("From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\n"
            "\n" + line * (size // len(line)) + "<u@example.com>: host mx.example said: "
            "550 5.1.1 User unknown\n").encode()


def aggregate(size: int) -> bytes:
    head = ('<?xml version="1.0"?><feedback><report_metadata><org_name>x</org_name><email>'
            "r@x.example</email><report_id>l-1</report_id><date_range><begin>1600000000"
            "</begin><end>1600086399</end></date_range></report_metadata><policy_published>"
            "<domain>example.com</domain><p>none</p></policy_published>")
    record = ("<record><row><source_ip>192.0.2.{}</source_ip><count>1</count>"
              "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass"
              "</spf></policy_evaluated></row><identifiers><header_from>example.com"
              "</header_from></identifiers><auth_results/></record>")
    n = size // len(record.format(100))
    return (head + "".join(record.format(i % 250) for i in range(n)) + "</feedback>").encode()


def tls(size: int) -> bytes:
    detail = ('{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.1",'
              '"receiving-mx-hostname":"mx.example.com","failed-session-count":1}')
    n = size // len(detail)
    return ('{"organization-name":"o","date-range":{"start-datetime":"2026-01-01T00:00:00Z",'
            '"end-datetime":"2026-01-02T00:00:00Z"},"report-id":"r","policies":[{"policy":'
            '{"policy-type":"sts","policy-domain":"example.com"},"summary":{},'
            '"failure-details":[' + ",".join([detail] * n) + "]}]}").encode()


SHAPES = {
    "dsn blocks, CR-only": lambda size: dsn_blocks(size, "\r"),
    "dsn blocks, LF": lambda size: dsn_blocks(size, "\n"),
    "dsn blocks, CRLF": lambda size: dsn_blocks(size, "\r\n"),
    "folded huge header": lambda size: huge_header(size, False),
    "X1, huge header": lambda size: huge_header(size, True),
    "plain-text body": text_body,
    "DMARC aggregate XML": aggregate,
    "TLS report JSON": tls,
}


def run_once(payload: bytes) -> tuple[float, str]:
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory", path="linear"))
    started = time.perf_counter()
    out = process(raw, LIFTED)
    produced = len(out.events) + sum(1 for rows in out.rows.values() for _ in rows)
    seconds = time.perf_counter() - started
    what = f"{produced} out" if produced else (out.dead_letters[0].reason[:60]
                                               if out.dead_letters else "nothing")
    return seconds, what


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8], help="MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slack", type=float, default=1.6)
    parser.add_argument("--shape", action="append", help="only these shapes")
    args = parser.parse_args(argv)
    warm_up()
    results, failed = {}, []
    for name, build in SHAPES.items():
        if args.shape and name not in args.shape:
            continue
        times, notes = [], []
        for size in args.sizes:
            payload = build(size * MB)
            best, what = min(run_once(payload) for _ in range(args.repeat))
            times.append(best)
            notes.append(what)
        ratios = [b / a if a > 0 else 0.0 for a, b in zip(times, times[1:])]
        overall = times[-1] / times[0] if times[0] > 0 else 0.0
        ok = overall <= args.slack * args.sizes[-1] / args.sizes[0]
        if not ok:
            failed.append(name)
        results[name] = {"sizes_mb": args.sizes, "seconds": [round(t, 4) for t in times],
                         "ratios": [round(r, 2) for r in ratios],
                         "overall": round(overall, 2), "ok": ok,
                         "output": notes[-1]}
        print(f"{name:24s} " + "  ".join(f"{s}MB {t:7.3f}s" for s, t in zip(args.sizes, times))
              + "   ratios " + " ".join(f"{r:.2f}" for r in ratios)
              + f"   overall {overall:.1f}x"
              + ("" if ok else "  <-- not linear") + f"   ({notes[-1]})", flush=True)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "linear.json").write_text(json.dumps(results, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
