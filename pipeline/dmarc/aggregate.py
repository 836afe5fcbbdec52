"""Streaming DMARC aggregate (rua) parser: lxml iterparse, <record>s read in chunks of values.

Reads draft, RFC 7489 and RFC 9990 (DMARCbis) reports, namespaced or not, from a binary
stream: elements are freed as they go, and a chunk of up to CHUNK_RECORDS records' values
(chunk.py: no dict per row; rows are made from it on demand) is all of a report it holds.
DTDs are refused before lxml sees them and lxml is not fed past 1 MiB it cannot turn into
elements (xmlguard.py); entities are never resolved and the network is never touched.
Values are kept as stated (see schemas/dmarc.py for conventions).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from functools import lru_cache

from lxml import etree

from pipeline.errors import LimitExceeded, ParseError, UnsafeInput
from pipeline.deadline import check_time
from schemas.dmarc import aggregate_report_key

from .chunk import RecordChunk, row_of
from .xmlguard import PARSER, check_prolog, guard_prolog

__all__ = ["PARSER", "check_prolog", "iter_aggregate_chunks", "iter_aggregate_rows",
           "org_domain", "record_row", "record_values"]

# Records per chunk: what a consumer converts to columns at a time (the lake's staging
# writes record batches of this many rows) and all of a report the parser holds.
CHUNK_RECORDS = 2_000

_TAGS = ("{*}version", "{*}report_metadata", "{*}policy_published", "{*}record")
_POLICY_FIELDS = ("domain", "adkim", "aspf", "p", "sp", "pct", "np", "fo", "testing",
                  "discovery_method")


def _local(tag: object) -> str:
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag.rpartition("}")[2]


def _text(el) -> str | None:
    text = el.text
    if text is None:
        return None
    text = text.strip()
    return text or None


@lru_cache(maxsize=1)
def _public_suffix_list():
    from publicsuffixlist import PublicSuffixList  # installed with parsedmarc; offline

    return PublicSuffixList()


@lru_cache(maxsize=65536)
def org_domain(name: str | None) -> str | None:
    """Registrable domain (public suffix list), lower-cased; None when there is none."""
    if not name or " " in name:
        return None
    return _public_suffix_list().privatesuffix(name.strip().lower().rstrip("."))


def epoch_to_utc(value: str | None, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value).strip().split(".")[0]), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ParseError(f"date_range/{what} {value!r} is not a Unix timestamp",
                         parser=PARSER) from exc


def _metadata(el) -> dict:
    meta: dict = {"errors": []}
    for child in el:
        name = _local(child.tag)
        if name == "date_range":
            for d in child:
                meta[_local(d.tag)] = _text(d)
        elif name == "error":
            text = _text(child)
            if text:
                meta["errors"].append(text)
        elif name:
            meta[name] = _text(child)
    return meta


def _policy(el) -> dict:
    return {_local(c.tag): _text(c) for c in el if _local(c.tag)}


def report_base(meta: dict, policy: dict, version: str | None, namespace: str | None,
                context: dict) -> dict:
    """The columns every row of one report shares."""
    begin = epoch_to_utc(meta.get("begin"), "begin")
    end = epoch_to_utc(meta.get("end"), "end")
    org_name = meta.get("org_name")
    email = meta.get("email")
    identity_org = org_name or (email.rpartition("@")[2] if email else None)
    report_key = aggregate_report_key(identity_org, meta.get("report_id"), policy.get("domain"),
                                      int(begin.timestamp()), int(end.timestamp()))
    base = {
        "report_key": report_key,
        "raw_sha256": context.get("raw_sha256"),
        "source": context.get("source"),
        "parser": context.get("parser", PARSER),
        "container": context.get("container"),
        "member": context.get("member"),
        "xml_schema": version or "draft",
        "xml_namespace": namespace,
        "org_name": org_name,
        "org_name_base": org_domain(identity_org) or identity_org,
        "org_email": email,
        "org_extra_contact_info": meta.get("extra_contact_info"),
        "report_id": meta.get("report_id"),
        "generator": meta.get("generator"),
        "begin_date": begin,
        "end_date": end,
        "report_errors": meta.get("errors", []),
    }
    for name in _POLICY_FIELDS:
        base[f"policy_{name}"] = policy.get(name)
    for name in ("adkim", "aspf", "p", "sp", "np", "testing", "discovery_method"):
        if base[f"policy_{name}"]:
            base[f"policy_{name}"] = base[f"policy_{name}"].lower()
    return base


_HEADER_FROM_ORG: dict[str, str] = {}  # header_from as stated -> org domain ("" = none)


class _LocalNames(dict):
    """tag -> local name ("{ns}row" -> "row"), memoised: a dict hit costs no Python call."""

    def __missing__(self, tag: object) -> str:
        name = _local(tag)
        if len(self) < 4096:  # a hostile document cannot grow it without bound
            self[tag] = name
        return name


LOCAL = _LocalNames()


def record_row(el, base: dict, index: int) -> dict:
    """One row dict from a <record> element and its report's shared columns."""
    return row_of(base, index, record_values(el, index))


def record_values(el, index: int) -> tuple:
    """The values of a <record> element, in chunk.RECORD_COLUMNS order.

    The hot loop of the parser: element names come from the LOCAL memo and texts are read
    inline (a function call per element costs more than the rest). A repeated element:
    the last one counts."""
    local = LOCAL
    source_ip = count = disposition = p_dkim = p_spf = None
    header_from = envelope_from = envelope_to = None
    reasons: list[dict] = []
    dkim: list[dict] = []
    spf: list[dict] = []
    for part in el:
        name = local[part.tag]
        if name == "row":
            for c in part:
                cn = local[c.tag]
                if cn == "source_ip":
                    t = c.text
                    source_ip = (t.strip() or None) if t else None
                elif cn == "count":
                    count = c.text
                elif cn == "policy_evaluated":
                    for pe in c:
                        pn = local[pe.tag]
                        if pn == "reason":
                            r = {"type": None, "comment": None}
                            for rc in pe:
                                rn = local[rc.tag]
                                if rn in r:
                                    r[rn] = _text(rc)
                            if r["type"]:
                                r["type"] = r["type"].lower()
                            reasons.append(r)
                            continue
                        t = pe.text  # disposition, dkim, spf: lower-case tokens
                        if pn == "disposition":
                            disposition = (t.strip().lower() or None) if t else None
                        elif pn == "dkim":
                            p_dkim = (t.strip().lower() or None) if t else None
                        elif pn == "spf":
                            p_spf = (t.strip().lower() or None) if t else None
        elif name == "identifiers" or name == "identities":
            for c in part:
                cn = local[c.tag]
                if cn == "header_from":
                    t = c.text
                    header_from = (t.strip() or None) if t else None
                elif cn == "envelope_from":
                    t = c.text
                    envelope_from = (t.strip() or None) if t else None
                elif cn == "envelope_to":
                    t = c.text
                    envelope_to = (t.strip() or None) if t else None
        elif name == "auth_results":
            for res in part:
                rn = local[res.tag]
                if rn == "dkim":
                    d = {"domain": None, "selector": None, "result": None, "human_result": None}
                    dkim.append(d)
                elif rn == "spf":
                    d = {"domain": None, "scope": None, "result": None, "human_result": None}
                    spf.append(d)
                else:
                    continue
                for c in res:
                    cn = local[c.tag]
                    if cn in d:
                        t = c.text
                        d[cn] = (t.strip() or None) if t else None
                if d["result"]:
                    d["result"] = d["result"].lower()
    try:
        message_count = int(count)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParseError(f"record {index}: <count> {count!r} is not an integer",
                         parser=PARSER) from None
    if message_count < 0:
        raise ParseError(f"record {index}: negative <count> {message_count}", parser=PARSER)
    if header_from:
        org = _HEADER_FROM_ORG.get(header_from)
        if org is None:
            org = org_domain(header_from.lower()) or ""
            if len(_HEADER_FROM_ORG) < 65536:
                _HEADER_FROM_ORG[header_from] = org
    else:
        org = ""
    return (source_ip, message_count, disposition, p_dkim, p_spf,
            p_dkim == "pass" or p_spf == "pass", reasons, header_from, org or None,
            envelope_from, envelope_to, dkim, spf)


def _check_document(el, name: str) -> str | None:
    """On the first element read: it must sit in a <feedback> (usually the root; one known
    reporter wraps it in an unclosed <xs:schema>) and no DTD may be declared. Returns the
    report's XML namespace."""
    feedback = el if name == "feedback" else el.getparent()
    if feedback is None or _local(feedback.tag) != "feedback":
        where = "none" if feedback is None else _local(feedback.tag)
        raise ParseError(f"<{name}> is inside <{where}>, not <feedback>", parser=PARSER)
    docinfo = el.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise UnsafeInput("XML DTD declarations are refused", parser=PARSER)
    return etree.QName(feedback).namespace


def iter_aggregate_rows(stream, context: dict, max_records: int) -> Iterator[dict]:
    """Yield one row dict per <record> of the aggregate report in `stream` (binary).

    Raises UnsafeInput (DTD), LimitExceeded (records), ParseError (not a report / bad row)
    or lxml.etree.XMLSyntaxError (not well-formed: the caller may fall back).
    """
    for chunk in iter_aggregate_chunks(stream, context, max_records):
        yield from chunk.rows()


def iter_aggregate_chunks(stream, context: dict, max_records: int,
                          chunk_records: int = CHUNK_RECORDS) -> Iterator[RecordChunk]:
    """The report's records in chunks of `chunk_records` (the last one shorter), as they are
    read; raises as iter_aggregate_rows does."""
    guarded = guard_prolog(stream)
    feed = guarded.raw  # its `unparsed` is reset per element handed back (see xmlguard)
    events = etree.iterparse(guarded, events=("end",), tag=("{*}feedback", *_TAGS),
                             resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True,
                             remove_blank_text=True)
    version = namespace = None
    meta = policy = base = None
    index = 0
    root_seen = False
    local = LOCAL
    records: list[tuple] = []
    add = records.append
    for _, el in events:
        feed.unparsed = 0
        name = local[el.tag]
        if name == "record" and base is not None:  # the hot path first
            if index >= max_records:
                raise LimitExceeded(f"report has more than {max_records} records "
                                    "(limits.max_report_records)", parser=PARSER)
            add(record_values(el, index))
            index += 1
            el.clear(keep_tail=False)
            if len(records) >= chunk_records:
                yield RecordChunk(base, index - len(records), records)
                records = []
                add = records.append
            if not index & 1023:  # drop the emptied records read so far, in one go
                check_time()   # the worker's per-input wall-time budget
                parent = el.getparent()
                del parent[:len(parent) - 1]
            continue
        elif not root_seen:
            root_seen = True
            namespace = _check_document(el, name)
        if name == "feedback":
            break
        if name == "record":
            if base is None:
                if meta is None or policy is None:
                    raise ParseError("<record> before <report_metadata>/<policy_published>",
                                     parser=PARSER)
                base = report_base(meta, policy, version, namespace, context)
                add(record_values(el, index))
                index += 1
        elif name == "version" and el.getparent() is not None and _local(
                el.getparent().tag) == "feedback":
            version = _text(el)
        elif name == "report_metadata" and meta is None:
            meta = _metadata(el)
        elif name == "policy_published" and policy is None:
            policy = _policy(el)
        # Free what was read: the element's content and its already-handled siblings.
        el.clear(keep_tail=False)
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]
    if records:
        yield RecordChunk(base, index - len(records), records)
    if not root_seen:
        raise ParseError("no <feedback> root element: not a DMARC aggregate report",
                         parser=PARSER)
    if meta is None or policy is None:
        raise ParseError("missing <report_metadata> or <policy_published>", parser=PARSER)
    if index == 0:
        raise ParseError("aggregate report has no <record>", parser=PARSER)
