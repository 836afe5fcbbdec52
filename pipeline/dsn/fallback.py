"""The generic fallback: a bounce no dialect and no RFC 3464 part explains, read from its text.

Runs last, only on what nothing else read. It claims a message only when it is evidently a
bounce — at least two signs among: a null / MAILER-DAEMON / postmaster sender, an
`Auto-Submitted` auto-generated header, a bounce subject (in the major languages), a returned
message (attached part or a "copy of the message" marker), a delivery-status part,
`X-Failed-Recipients` — and names at least one failed recipient. Then it extracts, per
recipient, the text around it (reply code, enhanced status code, phrases) and leaves the
reason to the classifier; every rule it yields starts with `fallback.` (engine.events_for).

This is the floor for formats nobody has seen yet: `python -m tests.conformance.fallback_report`
measures it alone, every dialect switched off, on the public corpus.
"""
from __future__ import annotations

import email.message
import re

from ..mime.addresses import address, list_items, normalise_address
from ..mime.codes import reply_code_in, status_in
from ..mime.dates import parse_date
from ..mime.headers import decode_header_value, fold
from ..mime.returned import RETURNED_TYPES, original_from_text, original_message
from ..mime.view import MailView
from .dialects.kit import all_text, command_in, unquote
from .model import BounceReport, OriginalMessage, RecipientReport

NAME = "fallback"

# Local parts of the addresses bounces come from (RFC 5321 s4.5.5 null sender aside).
_DAEMON = re.compile(r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|mdaemon|"
                     r"mail[-_.]?delivery[-_.a-z]*|double-bounce|bounce[sd]?|nobody|"
                     r"mailadmin|mail[-_.]?system)$", re.I)
# Mailing-list robots (Mailman/Majordomo/ezmlm: -request, -owner, -admin, -bounces): a bounce
# is sent back to them, so they are mentioned in it, but never the address that failed.
_LIST_ROBOT = re.compile(r"-(?:request|owner|admin|bounces?|confirm|join|leave)(?:\+.*)?$|"
                         r"^owner-", re.I)
_DAEMON_NAME = re.compile(r"mail delivery|mailer[- ]daemon|postmaster|mail system|"
                          r"delivery (?:status|subsystem|system)", re.I)

# Bounce subjects. English: RFC 3464 / vendor defaults (Postfix "Undelivered Mail Returned to
# Sender", Sendmail "Returned mail", Exim "Mail delivery failed", qmail "failure notice",
# Exchange "Undeliverable:", Notes "DELIVERY FAILURE", Google "Delivery Status Notification").
# Others: the same notices as localised by Exchange/Outlook, Gmail, Yandex, Mail.ru and
# Japanese/Chinese providers (Microsoft's NDR language packs; providers' own bounces).
_SIGN_CHARS = 1000   # how much of a header the sign patterns read
_BOUNCE_SUBJECT = re.compile("|".join((
    r"undeliver", r"undelivered", r"not (?:be )?delivered", r"delivery (?:status )?notif",
    r"returned mail", r"return(?:ed)? to sender", r"mail delivery (?:failed|failure|problem)",
    r"delivery (?:failure|failed|has failed|problem|report|incomplete|delayed)",
    r"failure notice", r"non[- ]?deliver", r"could not (?:be )?deliver", r"bounced? mail",
    r"mail (?:system|delivery) error", r"message (?:not delivered|delayed|undeliverable)",
    r"warning: could not send", r"delayed mail", r"mail could not be delivered",
    r"has not (?:yet )?been delivered", r"delivery warning", r"failed mail",
    # German, Dutch, Swedish, Danish/Norwegian
    r"unzustellbar", r"nicht zustellbar", r"zustellung fehlgeschlagen", r"nichtzustellbar",
    r"onbestelbaar", r"niet afgeleverd", r"ej levererbart", r"olevererbart", r"kunne ikke leveres",
    r"kan ikke leveres",
    # French, Spanish, Portuguese, Italian, Polish, Czech
    r"non remis", r"non distribu", r"non d[ée]livr", r"[ée]chec de (?:la )?(?:remise|livraison)",
    r"no (?:se )?(?:puede|pudo) entregar", r"no entregad", r"error de entrega",
    r"notificaci[óo]n de estado de (?:la )?entrega", r"n[ãa]o (?:foi )?entregue",
    r"n[ãa]o foi poss[íi]vel entregar", r"falha (?:na|de) entrega", r"non recapitabil",
    r"mancato recapito", r"impossibile recapitare", r"niedostarczal", r"nie dostarczono",
    r"nedoru[čc]iteln",
    # Russian, Ukrainian, Turkish, Greek
    r"не доставлен", r"недоставлен", r"ошибка доставки", r"не может быть доставлен",
    r"не вдалося доставити", r"teslim edilemed", r"iletilemed", r"μη παραδοθ",
    # Japanese, Chinese, Korean
    r"配信不能", r"配送エラー", r"配信エラー", r"エラーメール", r"エラー通知", r"送信できません", r"届きません",
    r"未配信", r"退信", r"无法投递", r"無法投遞", r"投递失败", r"未送达", r"退回", r"系统退信",
    r"전송 실패", r"반송", r"배달 실패",
)), re.I)

# Lines that start the returned message in the text (vendors' markers, lowered).
_RETURNED_MARKERS = (
    "original message follows", "----- original message -----", "original message headers",
    "below this line is a copy of the message", "this is a copy of the message",
    "--- the header of the original message", "------ this is a copy of", "included is a copy",
    "message headers follow", "--- original message header", "returned message follows", "---------- forwarded message",
    "contents of message follow", "unsent message below", "--- message follows",
    "--- the message follows", "message text follows", "returned mail follows",
    "-------- returned mail --------", "original message as received",
    "the header and top 20 lines of the message follows", "lines of your original message follow",
    "your message reads (in part)",
)
_DELAY_WORDS = re.compile(r"will (?:continue|keep) (?:trying|to try)|still trying|will retry|"
                          r"has not (?:yet )?been delivered|delivery (?:has been|is) delayed|"
                          r"temporar(?:y|ily) (?:failure|unavailable|deferred)|"
                          r"warning: message .* delayed|not been delivered yet", re.I)
_FAILURE_WORDS = re.compile(
    r"undeliver|not (?:be )?delivered|could not|couldn't|unable to|failed|failure|rejected|"
    r"refused|denied|unknown|does not exist|doesn't exist|no such|not found|invalid|"
    r"mailbox|quota|full|blocked|disabled|inactive|expired|timed? ?out|deferred|delayed|"
    r"spam|blacklist|blocklist|policy|not allowed|permanent|temporar|error|did not reach|"
    r"not (?:yet )?been delivered|"
    # the same words in the languages of _BOUNCE_SUBJECT
    r"fehlgeschlagen|unzustellbar|nicht zugestellt|[ée]chec|impossible|non remis|no se pudo|"
    r"no entregad|n[ãa]o foi poss[íi]vel|n'existe pas|existiert nicht|no existe|n[ãa]o existe|"
    r"inesistente|не существует|non [èe] stato possibile|не удалось|ошибк|не доставлен|"
    r"できません|エラー|失敗|無法|无法|失败|退信|실패", re.I)
_FAILED_RECIPIENT_FIELD = re.compile(
    r"^\s*(?:final-recipient|original-recipient|x-failed-recipients?|failed recipient|"
    r"intended recipient|recipient address|recipient|destinataire|empf[äa]nger|destinatario)\s*:", re.I)
# Header lines in the notice whose addresses are never the failed recipient.
_NOT_RECIPIENT_LINE = re.compile(
    r"^\s*(?:>\s*)?(?:received|message-id|in-reply-to|references|from|return-path|sender|"
    r"reply-to|date|dkim-signature|authentication-results|arc-[a-z-]+|list-[a-z-]+|"
    r"x-[a-z0-9-]+|errors-to|envelope-from|mail from|by|for|id)\b[^\n]{0,3}[:(]?", re.I)
# A failed recipient's own line: the address first, then ":" / "..." / "(" / nothing
# (Postfix "<a@b>: host ... said", Sendmail "<a@b>... User unknown", a bulleted list).
_LEADING_ADDRESS = re.compile(r"^\s*(?:[*\->•]+\s*)?<?[^\s<>@]+@[^\s<>]+?>?\s*(?::|\.\.\.|\(|,|$)")
_FORWARDED_DAEMON = re.compile(r"^[> \t]*From:[^\n]*(?:mailer-daemon|postmaster|mail delivery)",
                               re.I | re.M)
_RETURNED_HEADER = re.compile(r"^(?:received|x-sender|x-receiver|return-path|message-id|"
                              r"dkim-signature):", re.I)
# A returned message's header block pasted into the text: a Received line, then more headers.
_RETURNED_BLOCK = re.compile(r"^Received: [^\n]*\n(?:[ \t][^\n]*\n)*[A-Za-z][A-Za-z0-9-]*: ",
                             re.M)
_ANY_ADDRESS = re.compile(r"(?:<|(?<![^\s<>\"'(),;:\[\]=]))([^\s<>\"'(),;:\[\]=@]+@"
                          r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,})")
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_MAX_RECIPIENTS = 50
_MAX_DIAGNOSTIC = 1000


def inquire(mail: MailView) -> BounceReport | None:
    """The fallback report of an evident bounce, else None. Never raises on bad input."""
    try:
        return _inquire(mail)
    except Exception:  # noqa: BLE001 - the last resort must not turn a bounce into a crash
        return None


def forwarded_message(mail: MailView) -> MailView | None:
    """The message a person forwarded as an attachment, possibly a bounce: the one
    message/rfc822 part directly under a multipart/mixed message that is no bounce itself
    (no daemon or null sender, no Auto-Submitted, no delivery report, no
    X-Failed-Recipients). None otherwise: cheap for every other message (one content-type
    test). The engine reads the attachment first, and the forward itself when that fails."""
    if mail.content_type != "multipart/mixed":
        return None
    payload = mail.msg.get_payload()
    if not isinstance(payload, list):
        return None
    children = [(p.get_content_type(), p) for p in payload
                if isinstance(p, email.message.Message)]
    attached = [p for t, p in children if t in ("message/rfc822", "message/global")]
    if len(attached) != 1 or _own_signs(mail) or any(t in _DSN_TYPES for t, _ in children):
        return None
    inner = attached[0].get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else None
    if not isinstance(inner, email.message.Message):
        return None
    return MailView.of(inner)


def _own_signs(mail: MailView) -> bool:
    """A sign the message itself was written by a mail system, not a person."""
    return_path = mail.get("return-path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return True
    from_ = mail.header("From") or ""
    local = (address(from_) or "").rpartition("@")[0]
    if (local and _DAEMON.match(local)) or _DAEMON_NAME.search(from_[:_SIGN_CHARS]):
        return True
    auto = (mail.header("Auto-Submitted") or "").lower()
    return auto.startswith("auto-") or bool(mail.header("X-Failed-Recipients"))


def _signs(mail: MailView) -> tuple[int, bool]:
    """(number of bounce signs, has a returned-message part)."""
    signs = 0
    return_path = mail.get("return-path")
    null_sender = return_path is not None and str(return_path).strip() in ("<>", "")
    from_ = mail.header("From") or ""
    local = (address(from_) or "").rpartition("@")[0]
    if null_sender or (local and _DAEMON.match(local)) or _DAEMON_NAME.search(from_[:_SIGN_CHARS]):
        signs += 1
    auto = (mail.header("Auto-Submitted") or "").lower()
    if auto.startswith("auto-generated") or auto.startswith("auto-replied"):
        signs += 1
    # a subject's bounce words open it: a 1 MB subject (hostile) is not searched whole, which
    # took the ~100-way pattern 0.3-3 s
    if _BOUNCE_SUBJECT.search((mail.subject or "")[:_SIGN_CHARS]):
        signs += 1
    returned = bool(mail.parts_of_type(*RETURNED_TYPES))
    if returned:
        signs += 1
    if mail.parts_of_type("message/delivery-status", "message/global-delivery-status"):
        signs += 2
    if mail.header("X-Failed-Recipients"):
        signs += 2
    if "report-type=delivery-status" in (mail.header("Content-Type") or "").lower():
        signs += 1
    return signs, returned


def _inquire(mail: MailView) -> BounceReport | None:
    signs, returned_part = _signs(mail)
    if signs == 0:
        return None
    text = all_text(mail)
    if _FORWARDED_DAEMON.search(text):   # a bounce a person forwarded (quoted or not)
        signs += 1
        text = unquote(text)
    notice, tail = _split_notice(text)
    if not returned_part and tail:
        signs += 1
    if signs < 2:
        return None
    original = _original(mail, tail)
    excluded = _excluded_addresses(mail, original)
    recipients = _failed_recipients(mail, notice, excluded)
    if not recipients and original.to and original.to.lower() not in excluded:
        recipients = [original.to]
    if not recipients:
        return None
    if signs < 3 and not (_FAILURE_WORDS.search(notice) or status_in(notice)
                          or reply_code_in(notice)):
        return None
    delayed = bool(_DELAY_WORDS.search(notice))
    lines = notice.split("\n")
    reports = []
    for rcpt in recipients[:_MAX_RECIPIENTS]:
        diag = _diagnostic_for(rcpt, recipients, lines) or _whole(notice)
        status = status_in(diag)
        reply = reply_code_in(diag)
        permanent = (status or "").startswith("5") or (reply or 0) >= 500
        action = "delayed" if delayed and not permanent else "failed"
        reports.append(RecipientReport(recipient=rcpt, action=action, status=status,
                                       reply_code=reply, diagnostic=diag,
                                       diagnostic_type="SMTP", command=command_in(diag)))
    return BounceReport(dialect=NAME, recipients=reports, original=original, provider=None,
                        date=parse_date(mail.header("Date")))


def _split_notice(text: str) -> tuple[str, str]:
    """(the notice, the returned message pasted after a marker line)."""
    low = text.lower()
    best = -1
    for marker in _RETURNED_MARKERS:
        pos = low.find(marker)
        if pos >= 0 and (best < 0 or pos < best):
            best = pos
    header = _RETURNED_BLOCK.search(text)   # pasted headers with no marker line before them
    if header and (best < 0 or header.start() < best):
        start = header.start()
        if "@" in text[:start]:
            return text[:start], text[start:]
    if best < 0:
        return text, ""
    start = text.rfind("\n", 0, best) + 1
    if "@" not in text[:start]:   # a marker before any address: not the returned message
        return text, ""
    end = text.find("\n", best)
    return text[:start], (text[end + 1:] if end >= 0 else "")


def _original(mail: MailView, tail: str) -> OriginalMessage:
    found = original_message(mail.parts_of_type(*RETURNED_TYPES))
    if found.message_id or found.sender or found.to:
        return found
    block = tail.lstrip("\n")
    if block and re.match(r"[A-Za-z][A-Za-z0-9-]*:", block):
        return original_from_text(block)
    return found


def _excluded_addresses(mail: MailView, original: OriginalMessage) -> set[str]:
    """Addresses in a bounce that are never its failed recipient: who sent the bounce, who
    it goes to (the original sender) and the original message's sender."""
    out = set()
    for name in ("From", "To", "Sender", "Reply-To", "Return-Path", "Delivered-To"):
        found = normalise_address(decode_header_value(mail.header(name) or ""))
        if found:
            out.add(found)
    if original.sender:
        out.add(original.sender.lower())
    return out


def _plausible(addr: str, excluded: set[str]) -> bool:
    lowered = addr.lower()
    local, _, domain = lowered.rpartition("@")
    if lowered in excluded or not local or _DAEMON.match(local) or _LIST_ROBOT.search(local):
        return False
    # message ids and other tokens shaped like addresses
    if len(local) > 64 or "$" in local or local.count(".") > 6 or local.startswith("="):
        return False
    return "." in domain


def _failed_recipients(mail: MailView, notice: str, excluded: set[str]) -> list[str]:
    header = mail.header("X-Failed-Recipients")
    if header:
        found = [a for a in map(address, list_items(header)) if a]
        if found:
            return _unique(found)
    # strong: a recipient field or a line led by the address; the bounce's own addresses
    # are excluded from weak mentions only (a sender may well have written to itself)
    strong, weak = [], []
    for line in notice.split("\n"):
        if "@" not in line:
            continue
        is_strong = bool(_FAILED_RECIPIENT_FIELD.match(line) or _LEADING_ADDRESS.match(line))
        if not is_strong and _NOT_RECIPIENT_LINE.match(line):
            continue
        for m in _ANY_ADDRESS.finditer(line):
            addr = m.group(1).strip(".")
            if _plausible(addr, set() if is_strong else excluded):
                (strong if is_strong else weak).append(addr)
    return _unique(strong or weak)


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for a in addresses:
        seen.setdefault(a.lower(), a)
    return list(seen.values())


def _diagnostic_for(rcpt: str, recipients: list[str], lines: list[str]) -> str | None:
    """The notice's lines from the recipient's first mention to the next recipient's (at most
    12 lines), when they carry a code or a failure word."""
    lowered = rcpt.lower()
    others = [r.lower() for r in recipients if r.lower() != lowered]
    for i, line in enumerate(lines):
        if lowered not in line.lower():
            continue
        chunk = [line]
        for follower in lines[i + 1:i + 12]:
            low = follower.lower()
            if any(o in low for o in others) or _RETURNED_HEADER.match(follower):
                break   # the next recipient, or the returned message's headers
            chunk.append(follower)
        text = fold("\n".join(chunk))
        # the recipient's own line may be only the address: the reply follows it
        if status_in(text) or reply_code_in(text) or _FAILURE_WORDS.search(
                text.replace(rcpt, "")):
            return text[:_MAX_DIAGNOSTIC]
        return None
    return None


def _whole(notice: str) -> str | None:
    return fold(notice)[:_MAX_DIAGNOSTIC] or None

