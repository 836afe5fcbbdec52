"""ESP webhook providers: one module per provider, one registry, one verifier.

Adding a provider = one module here + fixtures (tests/fixtures/webhooks/<name>/ with a README
giving each payload's source) + its name in `registry.PROVIDER_MODULES` (detection order: put
it before the generic `{"event", "email"}` shapes when its shape has unique keys). Nothing else:
the verifier (`verify.py`), the receiver (`connectors/sources/http.py`) and the core read
everything from the module. The contract (`contract.py`, checked at import):

    NAME = "acme"                          # URL /webhooks/acme, settings keys webhooks.*.acme
    ALIASES = ("acme_mail",)
    DELAY_KINDS = frozenset({"deferred"})  # its kinds meaning "still retrying" (Action: delayed)

    def _check_signature(req: SignedRequest) -> Verified:   # raise SignatureError if forged
        given = req.headers.get("x-acme-signature", "")
        expected = hmac.new((req.secret or "").encode(), req.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise SignatureError("acme: signature does not match", parser="webhook.acme")
        return Verified(NAME, "signature", delivery_id=req.headers.get("x-acme-delivery"))

    SIGNATURE = SignatureScheme("HMAC-SHA256 over the body", _check_signature,
                                secret="the webhook signing secret")
    # or SIGNATURE = SignatureScheme.none() when it only supports Basic auth / bearer tokens

    def detect(obj: dict) -> bool:         # this decoded JSON object is one of its events
        return isinstance(obj.get("acme_event"), dict)

    def normalize(b: EventBuilder, obj: dict, index: int) -> list[MailEvent]:
        return [b.emit(raw_index=index, recipient=..., category=..., reason=..., rule=...,
                       kind=obj["acme_event"]["type"], ...)]

Optional: SOURCE_KIND = "mta_log" (raw topic and source kind; default "webhook"), PARSER,
FORM_FIELD (form-encoded bodies, as Mandrill's), KEPT_HEADERS (headers kept with the body).
`normalize` may raise `ParseError` (or `SchemaError` from common.py, naming the field) for an
item it cannot read: the registry dead-letters that item alone, never its batch.
`tests/unit/test_webhook_registry.py` checks every provider against its own and the others'
fixtures. KumoMTA log records (pipeline.mta_log) use the same contract.
"""
