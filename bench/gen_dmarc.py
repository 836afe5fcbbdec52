"""Seeded generator of large DMARC aggregate reports (RFC 7489 shape) for bench_dmarc.py.

Writes the XML as it goes (never held in memory); same seed + size = same bytes.
    python bench/gen_dmarc.py --records 100000 --seed 7 --out /tmp/agg-100k.xml [--gzip]
"""
from __future__ import annotations

import argparse
import gzip
import random
from pathlib import Path

DISPOSITIONS = ["none"] * 8 + ["quarantine", "reject"]
RESULTS = ["pass"] * 6 + ["fail", "fail", "neutral", "softfail", "temperror", "none"]
SENDERS = ["example.com", "news.example.com", "mail.example.org", "bounce.esp.example",
           "mktg.example.net"]


def _record(rnd: random.Random) -> str:
    ip = (f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}."
          f"{rnd.randint(1, 254)}" if rnd.random() < 0.9 else
          f"2001:db8:{rnd.randint(0, 65535):x}::{rnd.randint(1, 65535):x}")
    dkim, spf = rnd.choice(RESULTS), rnd.choice(RESULTS)
    header_from = rnd.choice(SENDERS)
    envelope = rnd.choice(SENDERS)
    reason = ("<reason><type>forwarded</type><comment>list</comment></reason>"
              if rnd.random() < 0.05 else "")
    dkim_results = "".join(
        f"<dkim><domain>{rnd.choice(SENDERS)}</domain><selector>s{rnd.randint(1, 9)}</selector>"
        f"<result>{rnd.choice(RESULTS)}</result></dkim>" for _ in range(rnd.randint(0, 2)))
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{rnd.randint(1, 500)}</count>"
        f"<policy_evaluated><disposition>{rnd.choice(DISPOSITIONS)}</disposition>"
        f"<dkim>{'pass' if dkim == 'pass' else 'fail'}</dkim>"
        f"<spf>{'pass' if spf == 'pass' else 'fail'}</spf>{reason}</policy_evaluated></row>"
        f"<identifiers><header_from>{header_from}</header_from>"
        f"<envelope_from>{envelope}</envelope_from></identifiers>"
        f"<auth_results>{dkim_results}<spf><domain>{envelope}</domain><scope>mfrom</scope>"
        f"<result>{spf}</result></spf></auth_results></record>\n")


def write_report(out: Path, records: int, seed: int = 7, gz: bool = False) -> Path:
    rnd = random.Random(seed)
    opener = (lambda p: gzip.open(p, "wt", compresslevel=6, encoding="utf-8")) if gz else (
        lambda p: p.open("w", encoding="utf-8"))
    with opener(out) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<feedback>\n<version>1.0</version>\n'
                 "<report_metadata><org_name>bench.example</org_name>"
                 "<email>dmarc@bench.example</email>"
                 f"<report_id>bench-{seed}-{records}</report_id>"
                 "<date_range><begin>1700000000</begin><end>1700086399</end></date_range>"
                 "</report_metadata>\n<policy_published><domain>example.com</domain>"
                 "<adkim>r</adkim><aspf>r</aspf><p>quarantine</p><sp>none</sp><pct>100</pct>"
                 "</policy_published>\n")
        batch = []
        for _ in range(records):
            batch.append(_record(rnd))
            if len(batch) == 10_000:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
        fh.write("</feedback>\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--gzip", action="store_true")
    args = ap.parse_args()
    write_report(args.out, args.records, args.seed, args.gzip)
    print(args.out, args.out.stat().st_size)


if __name__ == "__main__":
    main()
