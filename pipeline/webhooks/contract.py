"""The webhook provider contract: what one provider module declares, checked at import.

A provider module (see the package docstring for a worked example) declares
  NAME: str                       canonical name: URL path /webhooks/<NAME>, settings keys
  ALIASES: tuple[str, ...]        other names accepted in the URL and as provider hints
  SIGNATURE: SignatureScheme      how its requests are authenticated (`SignatureScheme.none()`
                                  when the provider does not sign: Basic auth / bearer only)
  DELAY_KINDS: frozenset[str]     its event kinds meaning "the sending MTA is still retrying"
  detect(obj) -> bool             does this decoded JSON object look like one of its events
  normalize(builder, obj, index) -> list[MailEvent]
and may declare
  SOURCE_KIND = "mta_log"         (default "webhook") which raw topic, `topics.raw_<kind>`,
                                  and which `MailEvent.source_kind` its records get
  PARSER = "..."                  (default "webhook.<NAME>") the parser name on its outputs
  FORM_FIELD = "..."              its body may be `<FORM_FIELD>=<urlencoded JSON>`
  form_object(fields) -> dict | None   its body may be a flat form (`event=bounced&...`,
                                  Mailgun's legacy hooks): the parsed fields (name -> values)
                                  as the object `normalize` reads, None when not its hook
  KEPT_HEADERS = ("...",)         request headers worth keeping with the raw body (delivery
                                  ids, batch ids; never credentials)
`check_contract` refuses a module that lacks one of these, at import of the registry.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

SOURCE_KINDS = ("webhook", "mta_log")


@dataclass(frozen=True)
class Verified:
    provider: str
    method: str                   # "signature", "sns", "basic", "bearer", "none"
    sns_type: str | None = None   # Notification / SubscriptionConfirmation / ...
    delivery_id: str | None = None  # provider's id for this delivery, when it has one


@dataclass
class SignedRequest:
    """One request as a signature check sees it, with the verifier's shared state."""
    provider: str
    secret: str | None            # webhooks.secrets.<provider>, when configured
    body: bytes
    headers: Mapping[str, str]    # lower-case names
    url: str                      # the URL we were called on
    public_url: str               # the same URL as the provider saw it (webhooks.public_url)
    now: float | None             # injected clock (tests), None = time.time()
    tolerance: int                # seconds a signed timestamp may be off
    state: Any                    # the WebhookVerifier: replay cache, SNS verifier, key cache

    def cached_key(self, loader: Callable[[str], Any]) -> Any:
        """A parsed public key for this provider's secret, parsed once per secret."""
        keys = self.state.keys
        key = keys.get((self.provider, self.secret))
        if key is None:
            key = keys[(self.provider, self.secret)] = loader(self.secret or "")
        return key


SignatureCheck = Callable[[SignedRequest], "Verified | None"]


@dataclass(frozen=True)
class SignatureScheme:
    """How a provider authenticates its requests.

    `check` raises `SignatureError` for a forged request, returns a `Verified` for an authentic
    one, or None when the body is not one it signs (the verifier then falls back to Basic auth /
    bearer token, as for SES events a user's own relay posts without SNS).
    `secret` names what `webhooks.secrets.<provider>` holds; None = the check needs no secret
    (SNS fetches its certificate). `blocking` = the check may do network I/O (run it off the
    event loop). Every provider also accepts Basic auth / bearer tokens when configured."""
    name: str
    check: SignatureCheck | None = None
    secret: str | None = None
    blocking: bool = False

    @classmethod
    def none(cls) -> SignatureScheme:
        return cls("none (HTTP Basic auth or bearer token)")

    def runs_with(self, secret: str | None) -> bool:
        return self.check is not None and (secret is not None or self.secret is None)


REQUIRED = {"NAME": str, "ALIASES": tuple, "SIGNATURE": SignatureScheme,
            "DELAY_KINDS": frozenset}


def check_contract(module: ModuleType) -> None:
    """Refuse a provider module that does not declare the whole contract (TypeError naming
    what is missing), so a half-written provider fails at import, not on a live request."""
    for attr, kind in REQUIRED.items():
        if not isinstance(getattr(module, attr, None), kind):
            raise TypeError(f"webhook provider {module.__name__} must declare {attr} "
                            f"({kind.__name__}); see pipeline.webhooks.contract")
    for attr in ("detect", "normalize"):
        if not callable(getattr(module, attr, None)):
            raise TypeError(f"webhook provider {module.__name__} must define {attr}()")
    if source_kind(module) not in SOURCE_KINDS:
        raise TypeError(f"{module.__name__}.SOURCE_KIND must be one of {SOURCE_KINDS}")


def source_kind(module: ModuleType) -> str:
    return getattr(module, "SOURCE_KIND", "webhook")


def parser_name(module: ModuleType) -> str:
    return getattr(module, "PARSER", None) or f"webhook.{module.NAME}"


def topic_field(module: ModuleType) -> str:
    """The `TopicSettings` field its raw bodies are published to."""
    return f"raw_{source_kind(module)}"


def form_events(module: ModuleType, payload: bytes) -> str | None:
    """The JSON text of a `<FORM_FIELD>=<urlencoded JSON>` body, or None (no such field, or
    the provider posts no form bodies)."""
    form_field = getattr(module, "FORM_FIELD", None)
    if not form_field:
        return None
    try:
        fields = parse_qs(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None
    values = fields.get(form_field)
    return values[0] if values else None


_PART_NAME = re.compile(rb'(?im)^content-disposition:[ \t]*form-data;[^\r\n]*?\bname="([^"]*)"')
_PART_FILE = re.compile(rb'(?im)^content-disposition:[^\r\n]*\bfilename=')


def form_fields(payload: bytes) -> dict[str, list[str]] | None:
    """The fields of an x-www-form-urlencoded or multipart/form-data body (Mailgun's legacy
    hooks use both), None when it is not text. Multipart bodies are read from their first
    line (the boundary), as a file holds them without the request's Content-Type; file parts
    (attachments) are skipped."""
    body = payload.strip()
    if body.startswith(b"--"):
        return _multipart_fields(body)
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None


def _multipart_fields(body: bytes) -> dict[str, list[str]] | None:
    boundary = body.split(b"\n", 1)[0].rstrip(b"\r")
    if len(boundary) < 3:
        return None
    fields: dict[str, list[str]] = {}
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, value = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            head, sep, value = part.lstrip(b"\n").partition(b"\n\n")
        name = _PART_NAME.search(head)
        if not sep or name is None or _PART_FILE.search(head):
            continue
        text = value[:-2] if value.endswith(b"\r\n") else value.rstrip(b"\n")
        fields.setdefault(name.group(1).decode("utf-8", "replace"), []).append(
            text.decode("utf-8", "replace"))
    return fields or None


def flat_form_object(module: ModuleType, payload: bytes) -> dict[str, Any] | None:
    """A flat form body (`event=bounced&recipient=...`) as the provider's event object, for
    providers that declare `form_object`; None when it is not one of its hooks."""
    convert = getattr(module, "form_object", None)
    if not callable(convert):
        return None
    fields = form_fields(payload)
    return convert(fields) if fields else None


def is_form_body(module: ModuleType, payload: bytes, content_type: str = "") -> bool:
    form_field = getattr(module, "FORM_FIELD", None)
    if form_field:
        return content_type.startswith("application/x-www-form") \
            or payload.lstrip().startswith(f"{form_field}=".encode())
    return callable(getattr(module, "form_object", None)) and (
        content_type.startswith("application/x-www-form") or payload.lstrip()[:1] not in
        (b"{", b"[", b""))


def public_url(url: str, base: str | None) -> str:
    """Our request URL with the origin the provider used (`webhooks.public_url`): behind a
    proxy the two differ, and URL-signing providers (Mandrill) sign theirs."""
    if not base:
        return url
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + tail
