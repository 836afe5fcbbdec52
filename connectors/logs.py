"""Logging for the CLI and the services: plain text, or one JSON object per line
(`--log-format json`, settings service.log_format) for log shippers.

A JSON line has ts (UTC, ISO 8601), level, logger, message, and every field a call site passed
in `extra=` that says where a record came from (raw_sha256, topic, partition, offset, stage,
error_type, loop, ...), plus the exception's traceback when there is one.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import orjson

# LogRecord's own attributes: everything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message",
                                                                             "asctime"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
               "level": record.levelname, "logger": record.name,
               "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure(level: int, log_format: str = "text") -> None:
    """Configure the root logger once (the CLI's `main`)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
