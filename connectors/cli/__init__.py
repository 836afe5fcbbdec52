"""`bouncepipe` command line. Each subcommand is a module in this package with
`register(subparsers)`; add yours to COMMANDS (one line)."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# the commands that work through many inputs: start-up is frozen out of the cyclic GC's way
WARM_UP = frozenset({"classify", "ingest", "reclassify", "demo", "worker", "up"})

COMMANDS = (
    "classify",
    "ingest",
    "reclassify",
    "archive",
    "lake",
    "query",
    "demo",
    "report",
    "views",
    "topics",
    "worker",
    "sink",
    "publish",
    "up",
    "unsuppress",
    "crm",
    "serve",
    "smtp",
    "imap",
    "verp",
)


def _named_command(argv: list[str]) -> str | None:
    """The command argv names (after the global options), or None (none, help, or unknown)."""
    args = iter(argv)
    for arg in args:
        if arg == "--log-format":
            next(args, None)
        elif arg in ("--verbose", "--log-format=text", "--log-format=json") or (
                arg.startswith("-v") and set(arg[1:]) == {"v"}):
            continue
        else:
            return arg if arg in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with `command` only that command's (the others' modules are not
    imported: some pull in asyncio, the Kafka client... and start-up counts for a batch run)."""
    parser = argparse.ArgumentParser(
        prog="bouncepipe",
        description="Bounces, complaints, DMARC/TLS reports and ESP webhooks -> "
        "suppression decisions and a Parquet lake.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--log-format", choices=("text", "json"), default=None,
                        help="log lines as text or one JSON object each (default: settings "
                        "service.log_format)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (command,) if command else COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The `bouncepipe` console script (argv None: the process's own arguments); also
    callable in-process with a list of arguments."""
    parser = build_parser(_named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    from connectors.logs import configure

    log_format = args.log_format or os.environ.get("BOUNCEPIPE_SERVICE__LOG_FORMAT", "text")
    configure(logging.WARNING - 10 * min(args.verbose, 2), log_format)
    if argv is None and args.command in WARM_UP:
        # the process is this command: freeze its start-up (never for an in-process caller,
        # whose own objects would be frozen too)
        from pipeline.core import warm_up

        warm_up()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bouncepipe classify ... | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
