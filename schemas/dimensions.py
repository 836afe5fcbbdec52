"""Analytics dimensions of an event worked out once, when the event is built, rather than per
row at query time: the sending pool and IP (from the tags the MTA or ESP stated them in) and
the normalised diagnostic (the bounce text with addresses, IPs, ids and numbers replaced).

Reading them from the `tags` map or running six regular expressions over every diagnostic made
v_delivery_daily, v_pool_daily and v_bounce_diagnostics take seconds on 10M events; as typed
columns they cost a plain column scan. Lake files written before these columns existed are read
through the same rules in SQL (connectors/duck.py, macros bp_sending_pool, bp_sending_ip,
bp_normalise_diagnostic): the two must agree, and tests/unit/test_event_dimensions.py checks
that they do on every diagnostic of the corpus.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

# Tag names, most specific first (KumoMTA: egress_pool / egress_source; ESP webhooks: pool,
# ip_pool, sending_ip, ip custom args).
POOL_TAGS = ("egress_pool", "pool", "ip_pool")
IP_TAGS = ("sending_ip", "ip", "egress_source")


def _first_tag(tags: Mapping[str, str] | None, names: tuple[str, ...]) -> str | None:
    if not tags:
        return None
    for name in names:
        value = tags.get(name)
        if value is not None:
            return value
    return None


def sending_pool(tags: Mapping[str, str] | None) -> str | None:
    return _first_tag(tags, POOL_TAGS)


def sending_ip(tags: Mapping[str, str] | None) -> str | None:
    return _first_tag(tags, IP_TAGS)


# The same expressions as the SQL macro bp_normalise_diagnostic, in the same order. DuckDB's
# regular expressions are RE2: \s is [\t\n\f\r ] and \b an ASCII word boundary, hence the
# explicit class and re.ASCII here.
_WS = r"[\t\n\f\r ]"
_LEADING_CODES = re.compile(rf"^{_WS}*[245][0-9][0-9][ -]+(#?[245]\.[0-9]{{1,3}}\.[0-9]{{1,3}}{_WS}*)?",
                            re.ASCII)
_ADDRESS = re.compile(rf"<?[^\t\n\f\r <>\"';,()]+@[^\t\n\f\r <>\"';,()]+>?", re.ASCII)
_IPV4 = re.compile(r"\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b", re.ASCII)
_HEX_ID = re.compile(r"\b[0-9a-f]{8,}\b", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_SPACES = re.compile(r"[ \t\r\n]{2,}|[\t\r\n]", re.ASCII)
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_SPACE_RUN = re.compile(r"  |[\t\r\n]")
# What DuckDB's trim() removes: the Unicode space separators (category Zs), not tabs or
# line breaks.
_SPACE_SEPARATORS = " \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"
# DuckDB's lower() maps code point by code point: İ -> i (Python: i + combining dot) and Σ ->
# σ everywhere (Python: ς at the end of a word).
_SIMPLE_LOWER = {0x130: "i", 0x3A3: "\u03c3"}
DIAGNOSTIC_MAX_CHARS = 200


# Not cached: real replies name the recipient, a host or a queue id, so a cache of whole texts
# almost never hits on real mail and only flattered benchmarks that repeat the same files.
def normalise_diagnostic(text: str | None) -> str | None:
    """Diagnostic text -> its shape, so that one remote message counts once however many
    recipients, hosts and queue ids it named: leading reply / enhanced codes dropped (they
    have their own columns), addresses -> <addr>, IPv4 -> <ip>, hex ids -> <id>, digit runs
    -> #, whitespace runs -> one space, trimmed, at most 200 characters."""
    if text is None:
        return None
    # Each pass only when its expression can match (this runs for every bounce classified):
    # the results are those of running every pass.
    # translate() (a dict look-up per character: ~2 us on a 150-character reply) only
    # changes the two non-ASCII letters it maps
    out = (text if text.isascii() else text.translate(_SIMPLE_LOWER)).lower()
    if _HAS_DIGIT.search(out):
        out = _LEADING_CODES.sub("", out, count=1)
    if "@" in out:
        out = _ADDRESS.sub("<addr>", out)
    if "." in out and _HAS_DIGIT.search(out):
        out = _IPV4.sub("<ip>", out)
    out = _HEX_ID.sub("<id>", out)
    if _HAS_DIGIT.search(out):
        out = _DIGITS.sub("#", out)
    if _HAS_SPACE_RUN.search(out):
        out = _SPACES.sub(" ", out)
    return out.strip(_SPACE_SEPARATORS)[:DIAGNOSTIC_MAX_CHARS]


def derive(values: dict) -> dict:
    """Fill the derived fields an event dict lacks (None counts as lacking), in place."""
    if values.get("sending_pool") is None:
        values["sending_pool"] = sending_pool(values.get("tags"))
    if values.get("sending_ip") is None:
        values["sending_ip"] = sending_ip(values.get("tags"))
    if values.get("diagnostic_normalised") is None:
        values["diagnostic_normalised"] = normalise_diagnostic(values.get("diagnostic"))
    return values
