"""Regenerate tests/fixtures/bounces/real_mta/: run the reply table through every MTA that can
run here and save each DSN it returned, with the expected-results table the offline test checks.

    PYTHONPATH=. python -m tests.integration.mta.record [postfix exim opensmtpd]

A DSN is named after the row of its one recipient (`<row id>.eml`) or after its
multi-recipient message (`multi-<n>.eml`); a message that came back in two DSNs (Postfix sends
the 5xx and the expired 4xx recipients separately) gets `-2` on the second.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.integration.mta.base import MTAUnavailable
from tests.integration.mta.campaign import Campaign, run_campaign
from tests.integration.mta.drivers import DRIVERS
from tests.integration.mta.expect import expected
from tests.integration.mta.server import ReplyTableServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces" / "real_mta"
# One message per row queues ~190 messages at once: OpenSMTPD (which pauses between
# connections to one route) needs longer than the live tests' 20s before an envelope expires.
RECORD_OPTIONS: dict[str, dict] = {"opensmtpd": {"queue_ttl": 60}}
EXPECTED = FIXTURES / "expected.json"


def dsn_files(campaign: Campaign) -> dict[str, tuple[bytes, dict[str, dict]]]:
    """file name -> (DSN bytes, {recipient: expected outcome}) for one campaign."""
    files: dict[str, tuple[bytes, dict[str, dict]]] = {}
    for dsn in campaign.dsns:
        lowered = dsn.lower()
        named = [(r, row) for item in campaign.sent for r, row in zip(item.recipients, item.rows)
                 if row is not None and r.lower().encode() in lowered]
        tags = campaign.dsn_tags(dsn)
        if tags == {b"s"} and len(named) == 1:
            stem = named[0][1].id
        elif len(tags) == 1:
            stem = "multi-" + tags.pop().decode().lstrip("m")
        else:
            raise AssertionError(f"{campaign.mta}: a DSN names recipients of several messages: {tags}")
        name, n = f"{stem}.eml", 2
        while name in files:
            name, n = f"{stem}-{n}.eml", n + 1
        outcomes = {}
        for recipient, row in named:
            want = expected(campaign.mta, row)
            outcomes[recipient.lower()] = {"row": row.id, "category": want.category,
                                           "reasons": list(want.reasons), "status": want.status,
                                           "reply": row.text}
        files[name] = (dsn, outcomes)
    return files


def main(names: list[str]) -> int:
    table = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {"mta_versions": {}, "files": {}}
    server = ReplyTableServer().start()
    try:
        for name in names:
            try:
                mta = DRIVERS[name](server.port, **RECORD_OPTIONS.get(name, {})).start()
            except MTAUnavailable as why:
                print(f"{name}: skipped ({why})", file=sys.stderr)
                continue
            try:
                campaign = run_campaign(mta, server, timeout=180.0)
            finally:
                mta.stop()
                mta.cleanup()
            target = FIXTURES / name
            target.mkdir(parents=True, exist_ok=True)
            for old in target.glob("*.eml"):
                old.unlink()
            table["files"] = {k: v for k, v in table["files"].items() if not k.startswith(f"{name}/")}
            for file_name, (dsn, outcomes) in sorted(dsn_files(campaign).items()):
                (target / file_name).write_bytes(dsn)
                table["files"][f"{name}/{file_name}"] = outcomes
            table["mta_versions"][name] = campaign.version
            print(f"{name}: {campaign.version}, {len(campaign.dsns)} DSNs")
    finally:
        server.stop()
    table["files"] = dict(sorted(table["files"].items()))
    EXPECTED.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(DRIVERS)))
