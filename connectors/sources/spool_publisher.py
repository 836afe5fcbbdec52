"""Durable spool directory for the webhook receiver (`bouncepipe serve --spool DIR`).

Each accepted body becomes one file, written to a temp name, fsync'ed, renamed into place and
the directory fsync'ed: after `publish()` returns the body survives a crash. The layout is what
`bouncepipe ingest DIR` reads (one file = one RawMessage, payload = the body exactly):
  DIR/<provider>/<YYYY-MM-DD>/<epoch-ms>-<request id>.json   (or .form for form bodies)
  DIR/email/<YYYY-MM-DD>/<epoch-ms>-<request id>.eml          (the SMTP/LMTP receiver's mail)
Malformed bodies go to DIR/deadletter/... and are dead-lettered by the core on ingest.
"""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from connectors.durable import write_durably
from pipeline.errors import TransientError


class SpoolPublisher:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        return None

    @property
    def ready(self) -> bool:
        return self.root.is_dir()

    def path_for(self, headers: dict[str, str], *, deadletter: bool = False) -> Path:
        now = time.time()
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        provider = "deadletter" if deadletter else (
            headers.get("provider") or headers.get("kind") or "unknown")
        if headers.get("kind") == "email":   # the SMTP/LMTP receiver: one message per file
            suffix = ".eml"
        elif headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                         "multipart/form-data")):
            suffix = ".form"
        else:
            suffix = ".json"
        name = f"{int(now * 1000)}-{headers.get('request_id', 'x')}{suffix}"
        return self.root / provider / day / name

    async def publish(self, topic: str, value: bytes, headers: dict[str, str],
                      key: bytes | None = None, *, deadletter: bool = False) -> str:
        path = self.path_for(headers, deadletter=deadletter)
        try:
            await asyncio.to_thread(write_durably, path, value)
        except OSError as exc:
            raise TransientError(f"cannot spool the body to {path}: {exc}") from exc
        return str(path)
