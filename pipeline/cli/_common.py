"""Helpers shared by the CLI commands."""
from __future__ import annotations

import sys
from pathlib import Path


def check_paths(parser_error, paths: list[str]) -> None:
    """A missing input path is a usage error (exit 2), reported before any work starts."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        parser_error(f"no such file or directory: {', '.join(missing)}")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
