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


def parse_address_arg(text: str) -> str | None:
    """An address an operator typed ("Ann <Ann@Example.COM>", "ann@example.com") in the form
    the suppression state is keyed by (lower case), or None when it is not an address.

    flanker's RFC 5322 address parser does this well, and this is off the hot path, so its
    import cost and ply grammar warnings (silenced) do not matter here."""
    import logging

    logging.getLogger("flanker").setLevel(logging.ERROR)
    from flanker.addresslib import address as flanker_address

    parsed = flanker_address.parse(text.strip())
    if parsed is None or not getattr(parsed, "address", None):
        return None
    return parsed.address.lower()
