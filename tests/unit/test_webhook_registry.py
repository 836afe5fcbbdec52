"""The webhook provider contract over the whole registry (as go-sisimai's inquire-for test does
for its MTA modules): every provider detects its own fixtures and none of the others', declares
a signature scheme (or explicitly none), and nothing outside the provider modules names one.
Also MailerSend end to end: the provider added as one module to prove the contract."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import types
from pathlib import Path

import pytest

from pipeline.core import process
from pipeline.errors import SignatureError
from pipeline.settings import WebhookSettings
from pipeline.webhooks import contract, registry
from pipeline.webhooks.verify import WebhookVerifier
from schemas.models import RawMessage, RawSource
from tests.conftest import REPO, corpus_root

FIXTURES = REPO / "tests" / "fixtures" / "webhooks"
# Corpus files that are not payloads (signature vectors, the commented docs block).
NOT_PAYLOADS = {
    "kumomta/docs_log_record_reference.jsonc", "mailgun/signature_vectors_symfony.json",
    "mandrill/signature_vectors_symfony.json", "resend/standard_webhooks_vector.json",
    "sendgrid/signed_vector_multi.json", "sendgrid/signed_vector_single.json",
}


def _fixture_items(name: str) -> list[tuple[str, dict]]:
    """(file#index, item) for every JSON object in the provider's fixture directories."""
    dirs = [FIXTURES / name, FIXTURES / "documented" / name]
    if corpus_root():
        dirs.append(corpus_root() / "webhooks" / name)
    items = []
    for folder in dirs:
        for path in sorted(folder.glob("*.json*")):
            if f"{name}/{path.name}" in NOT_PAYLOADS:
                continue
            text = path.read_text()
            data = [json.loads(line) for line in text.splitlines() if line.strip()] \
                if path.suffix == ".jsonl" else json.loads(text)
            module = registry.provider_for(name)
            page = module.unwrap(data) if isinstance(data, dict) and hasattr(module, "unwrap") \
                else None
            data = page if page is not None else data  # an API page: the events are the items
            for i, item in enumerate(data if isinstance(data, list) else [data]):
                items.append((f"{path.name}#{i}", item))
    return items


@pytest.mark.parametrize("module", registry.PROVIDERS, ids=lambda m: m.NAME)
def test_provider_detects_its_fixtures_and_no_other_provider_does(module):
    items = _fixture_items(module.NAME)
    if not items:
        pytest.skip(f"no fixtures for {module.NAME} (shared corpus absent?)")
    not_own = [where for where, item in items if not module.detect(item)]
    assert not_own == [], f"{module.NAME} does not detect its own fixtures"
    claimed = [(where, other.NAME) for where, item in items for other in registry.PROVIDERS
               if other is not module and other.detect(item)]
    assert claimed == [], f"other providers claim {module.NAME}'s fixtures"


@pytest.mark.parametrize("obj", [
    {}, {"event": "open"}, {"type": "x"}, {"email": "a@b.example"},
    {"organization-name": "Google Inc.", "policies": []},        # a TLS report
    {"feedback": {"report_metadata": {}}},                      # a DMARC report as JSON
])
def test_no_provider_claims_other_json(obj):
    assert [m.NAME for m in registry.PROVIDERS if m.detect(obj)] == []


@pytest.mark.parametrize("module", registry.PROVIDERS, ids=lambda m: m.NAME)
def test_provider_declares_a_signature_scheme_or_explicitly_none(module):
    scheme = module.SIGNATURE
    assert isinstance(scheme, contract.SignatureScheme) and scheme.name
    if scheme.check is None:
        assert scheme == contract.SignatureScheme.none() and scheme.secret is None
    else:  # a signing provider says what its secret is, or checks without one (SNS)
        assert scheme.secret or scheme.blocking
    assert isinstance(module.DELAY_KINDS, frozenset)
    assert contract.topic_field(module) in ("raw_webhook", "raw_mta_log")


def test_names_and_aliases_are_unique():
    names = [n for m in registry.PROVIDERS for n in (m.NAME, *m.ALIASES)]
    assert len(names) == len(set(names))
    assert registry.provider_for("MailerSend") is registry.provider_for("mailer-send")


def test_contract_refuses_an_incomplete_provider():
    half = types.ModuleType("acme")
    half.NAME, half.ALIASES, half.DELAY_KINDS = "acme", (), frozenset()
    half.detect = half.normalize = lambda *a: None
    with pytest.raises(TypeError, match="must declare SIGNATURE"):
        contract.check_contract(half)
    half.SIGNATURE = contract.SignatureScheme.none()
    half.SOURCE_KIND = "carrier_pigeon"
    with pytest.raises(TypeError, match="SOURCE_KIND"):
        contract.check_contract(half)


@pytest.mark.parametrize("path", ["pipeline/webhooks/verify.py", "pipeline/webhooks/handler.py",
                                  "pipeline/webhooks/registry.py",
                                  "connectors/sources/http.py"])
def test_no_provider_is_named_outside_provider_modules(path):
    """Adding a provider never touches these: they read everything from the module. (The
    registry names modules only in its PROVIDER_MODULES table.)"""
    source = (REPO / path).read_text()
    source = re.sub(r"PROVIDER_MODULES = \([^)]*\)", "", source)
    code = re.sub(r'""".*?"""|#[^\n]*', "", source, flags=re.S)  # docs may give examples
    named = sorted({n for m in registry.PROVIDERS for n in (m.NAME, *m.ALIASES)
                    if re.search(rf"[\"'.]{re.escape(n)}\b", code)})
    assert named == []


# --- MailerSend: the provider added as one module + fixtures ----------------------------------
EXPECTED_MAILERSEND = {
    "anymail_sent.json": ("other", "sent", "recipient@example.com"),
    "anymail_delivered.json": ("delivered", "delivered", "recipient@example.com"),
    "anymail_hard_bounced.json": ("hard_bounce", "hostunknown", "invalid@example.com"),
    "anymail_soft_bounced.json": ("soft_bounce", None, "notauser@example.com"),
    "anymail_spam_complaint.json": ("complaint", "feedback", "recipient@example.com"),
    "anymail_unsubscribed.json": ("unsubscribe", "unsubscribe", "recipient@example.com"),
    "anymail_opened.json": ("engagement", "open", "recipient@example.com"),
    "anymail_clicked.json": ("engagement", "click", "recipient@example.com"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_MAILERSEND))
def test_mailersend_fixture_outcomes(name):
    raw = RawMessage.from_bytes((FIXTURES / "mailersend" / name).read_bytes(),
                                RawSource(transport="file", path=name))
    outcome = process(raw)
    assert outcome.dead_letters == []
    assert [(e.provider, e.category, e.reason, e.recipient) for e in outcome.events] == [
        ("mailersend", *EXPECTED_MAILERSEND[name])]


def test_mailersend_sent_event_fields():
    raw = RawMessage.from_bytes((FIXTURES / "mailersend" / "anymail_sent.json").read_bytes(),
                                RawSource(transport="file"))
    [event] = process(raw).events
    assert (event.provider_message_id, event.sender, event.subject, event.tags) == (
        "63fd1c1d5f010335ed07066b", "sender@mailersend.anymail.dev", "Test webhooks",
        {"tags": "tag1,Tag 2"})
    assert event.occurred_at.isoformat() == "2023-02-27T21:09:49.506000+00:00"


def test_mailersend_signature_through_the_verifier():
    body = (FIXTURES / "mailersend" / "anymail_sent.json").read_bytes()
    good = hmac.new(b"TEST_WEBHOOK_SIGNING_SECRET", body, hashlib.sha256).hexdigest()
    verifier = WebhookVerifier(WebhookSettings(secrets={"mailersend": "TEST_WEBHOOK_SIGNING_SECRET"}))
    result = verifier.verify("mailersend", body, {"signature": good})
    assert (result.provider, result.method) == ("mailersend", "signature")
    with pytest.raises(SignatureError, match="does not match"):
        verifier.verify("mailersend", body + b" ", {"signature": good})
    with pytest.raises(SignatureError, match="missing MailerSend Signature"):
        verifier.verify("mailersend", body, {})
    with pytest.raises(SignatureError, match=r"webhooks.secrets.mailersend \(the webhook"):
        WebhookVerifier(WebhookSettings()).verify("mailersend", body, {"signature": good})
