"""The classifier: status preference, phrase tables, probes, category rules, rhost choice."""
from __future__ import annotations

import pytest

from pipeline.classify import Facts, classify
from pipeline.classify.category import category_for
from pipeline.classify.phrases import aligned, included
from pipeline.classify.status_map import prefer, status_reason
from schemas.vocab import REASONS


@pytest.mark.parametrize("field,text,reply,want", [
    ("5.0.0", "5.1.1", 550, "5.1.1"),      # X.0.0 loses to a specific code
    ("5.1.1", "5.7.1", 550, "5.7.1"),      # 5.1.1 yields unless the text code is vague
    ("5.1.1", "5.1.0", 550, "5.1.1"),
    ("4.4.7", "5.2.2", 552, "5.2.2"),      # reply class picks
    ("5.2.2", None, None, "5.2.2"),
    (None, "4.2.2", 452, "4.2.2"),
])
def test_prefer(field, text, reply, want):
    assert prefer(field, text, reply) == want


def test_every_table_reason_is_in_the_vocabulary():
    from pipeline.classify.tables import TABLES
    from pipeline.classify.status_map import STATUS_REASON
    assert set(TABLES) <= REASONS
    assert set(STATUS_REASON.values()) <= REASONS


def test_aligned_needs_order():
    assert aligned("user foo does not exist", ("user ", " does not exist"))
    assert not aligned("does not exist user foo", ("user ", " does not exist"))


def test_included_returns_the_phrase_and_honours_isnot():
    assert included("mailboxfull", "552 mailbox is full") == "mailbox is full"
    assert included("rejected", "550 sender rejected") == "sender rejected"
    assert included("rejected", "550 recipient address rejected: sender rejected") is None


@pytest.mark.parametrize("facts,reason,category,rule", [
    (Facts(status="5.1.1", diagnostic="550 5.1.1 User unknown"),
     "userunknown", "hard_bounce", "status.5.1.1"),
    (Facts(status="5.1.1", diagnostic="550 5.1.1 Mailbox full"),
     "mailboxfull", "soft_bounce", "phrase.mailboxfull"),
    (Facts(status="4.2.2", diagnostic="452 4.2.2 over quota"),
     "mailboxfull", "soft_bounce", "status.4.2.2"),
    (Facts(status="5.7.1", diagnostic="550 5.7.1 SPF check: fail"),
     "authfailure", "auth_failure", "phrase.authfailure"),
    (Facts(status="5.3.2", diagnostic="521 host does not accept mail"),
     "notaccept", "hard_bounce", "status.5.3.2"),
    (Facts(status="4.3.2", diagnostic="421 host does not accept mail"),
     "notaccept", "soft_bounce", "status.4.3.2"),
    (Facts(status="2.0.0", action="delivered"), "delivered", "delivered", "status.delivered"),
    (Facts(status="5.0.0", diagnostic="something odd"), "onhold", "soft_bounce",
     "fallback.onhold"),
    (Facts(), "undefined", "soft_bounce", "fallback.undefined"),
    (Facts(action="delayed"), "expired", "soft_bounce", "action.delayed"),
    (Facts(status="5.1.1", diagnostic="x", given_reason="filtered", given_rule="dialect.x.f"),
     "filtered", "soft_bounce", "dialect.x.f"),
    (Facts(given_reason="feedback", feedback_type="opt-out", dialect="rfc5965"), "feedback",
     "complaint", "dialect.rfc5965.feedback"),
    (Facts(status="5.0.0", diagnostic="x", given_reason="expired", given_rule="exim.expired"),
     "expired", "soft_bounce", "dialect.exim.expired"),
])
def test_classify(facts, reason, category, rule):
    verdict = classify(facts)
    assert (verdict.reason, verdict.category, verdict.rule) == (reason, category, rule)


def test_a_retried_dialect_reason_can_be_overridden_by_the_status():
    # userunknown is one of the reasons go-sisimai re-checks: the mailboxfull probe runs first
    v = classify(Facts(status="5.2.2", diagnostic="552 5.2.2 quota", given_reason="userunknown"))
    assert v.reason == "mailboxfull"
    v = classify(Facts(status="5.0.0", diagnostic="550 no", given_reason="userunknown"))
    assert v.reason == "userunknown"
    v = classify(Facts(status="5.2.2", diagnostic="552 5.2.2 quota", given_reason="onhold"))
    assert v.reason == "mailboxfull"


@pytest.mark.parametrize("ftype,category", [
    ("abuse", "complaint"), ("fraud", "complaint"), ("virus", "complaint"),
    ("opt-out", "complaint"), ("other", "complaint"), ("auth-failure", "auth_failure"),
    ("not-spam", "other"),
])
def test_feedback_categories(ftype, category):
    assert category_for("feedback", feedback_type=ftype) == category


def test_vacation_is_other_and_status_map():
    assert category_for("vacation") == "other"
    assert status_reason("5.1.10") == "notaccept" and status_reason("4.4.0") == ""


@pytest.mark.parametrize("recipient,remote,diag,status,reply,want", [
    ("a@orange.fr", None, "550 5.5.0 Le compte du destinataire est bloque LPN007_426", "5.5.0",
     550, ("franceptt", "suspend")),
    ("a@example.jp", "mx3.qq.com", "550 Connection frequency limited", None, 550,
     ("tencent", "toomanyconn")),
    ("a@example.com", "x.mail.protection.outlook.com",
     "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification",
     "5.7.509", 550, ("microsoft", "authfailure")),
    ("a@example.com", "c.mimecast.com", "554 email rejected due to security policies", None,
     554, ("mimecast", "virusdetected")),
    ("a@cox.net", None, "550 rejected AUP#CXBL", "5.7.1", 550, ("cox", "blocked")),
    ("a@example.com", "bn3pepf0000b370.namprd21.prod.outlook.com",
     "451 4.7.652 The mail server [192.0.2.251] has exceeded the maximum number of "
     "connections. (S3115)", "4.7.652", 451, ("microsoft", "toomanyconn")),
    ("a@docomo.ne.jp", "mfsmax.docomo.ne.jp", "550 Unknown user a@docomo.ne.jp", "5.0.911",
     550, ("nttdocomo", "userunknown")),
    ("a@email.ua", None, "550 Mailbox is full, see https://mail.i.ua/err/4/", "5.0.0", 550,
     ("iua", "mailboxfull")),
    ("a@email.ua", None, "550 see https://mail.i.ua/err/10/", "5.0.0", 550,
     ("iua", "filtered")),
])
def test_rhost_overrides(recipient, remote, diag, status, reply, want):
    v = classify(Facts(recipient=recipient, remote_mta=remote, diagnostic=diag, status=status,
                       reply_code=reply))
    assert (v.provider, v.reason) == want
    assert v.rule.startswith(f"rhost.{want[0]}.")


@pytest.mark.parametrize("diag,command,want", [
    ("procmail: Quota exceeded while writing \"/var/mail/x\"", None,
     ("mailboxfull", "lda.procmail.mailboxfull")),
    ("maildrop: maildir over quota.", "DATA", ("mailboxfull", "lda.maildrop.mailboxfull")),
    ("procmail: Couldn't create \"/var/mail/tmp\"", None, ("mailererror", "lda.procmail")),
    ("maildrop: maildir over quota.", "RCPT", ("mailboxfull", "phrase.mailboxfull")),  # no lda
])
def test_local_delivery_agents(diag, command, want):
    v = classify(Facts(diagnostic=diag, command=command))
    assert (v.reason, v.rule) == want


def _included_by_definition(reason: str, text: str) -> str | None:
    """The phrase tables' meaning, spelled out: vetoes, then index phrases in table order,
    then aligned pairs. `included` / `matches` / `reasons_in` answer from one
    Aho-Corasick pass and must agree with this on every text."""
    from pipeline.classify.tables import TABLES
    table = TABLES.get(reason)
    if not text or table is None:
        return None
    if any(veto in text for veto in table.isnot):
        return None
    for phrase in table.index:
        if phrase in text:
            return phrase
    for pieces in table.pairs:
        if aligned(text, pieces):
            return " ... ".join(pieces)
    return None


def _phrase_soup(seed: int, count: int) -> list[str]:
    """Texts glued from table phrases, pair pieces (in and out of order) and vetoes."""
    import random

    from pipeline.classify.tables import TABLES
    words = sorted({w for t in TABLES.values()
                    for w in (*t.index, *t.isnot, *(p for ps in t.pairs for p in ps))})
    rng = random.Random(seed)
    texts = ["", "550 5.1.1 <bob@example.com>: recipient address rejected: user unknown",
             "mail rejete. mail rejected. 506", "ip 1.2.3.4 is blocked by earthlink",
             "is blocked by earthlink ip ", "user (bob) unknown", "said: 550 5.1.1  user unknown "]
    for _ in range(count):
        glue = rng.choice(["", " ", " x "])
        texts.append(glue.join(rng.choice(words) for _ in range(rng.randint(1, 5))))
    return texts


def test_one_pass_phrase_matching_agrees_with_the_table_definition():
    from pipeline.classify.phrases import matches, phrases_in, reasons_in
    from pipeline.classify.tables import TABLES
    checked = hits = 0
    for text in _phrase_soup(seed=3464, count=3000):
        found = phrases_in(text)
        table_hits = reasons_in(text, found)
        for reason in TABLES:
            want = _included_by_definition(reason, text)
            assert included(reason, text) == want, (reason, text)
            assert included(reason, text, found) == want, (reason, text)
            assert matches(reason, text, found) is (want is not None), (reason, text)
            assert (reason in table_hits) is (want is not None), (reason, text)
            checked += 1
            hits += want is not None
    assert checked == 3007 * len(TABLES) and hits > 3000  # the soup does hit the tables


def test_pairs_match_only_in_order_and_vetoes_win():
    from pipeline.classify.phrases import matches, reasons_in
    assert matches("userunknown", "user (bob) unknown")
    assert not matches("userunknown", ") unknown, then user (")
    assert "blocked" in reasons_in("ip 1.2.3.4 is blocked by earthlink")
    assert "blocked" not in reasons_in("is blocked by earthlink ip 1.2.3.4")
    # "recipient address rejected" vetoes "rejected" even though "sender rejected" is there
    assert "rejected" not in reasons_in("550 recipient address rejected: sender rejected")
    assert "rejected" in reasons_in("550 sender rejected")


def test_plain_address_fast_path_is_normalise_address():
    """addresses.normalise_address() takes a shortcut for plain addresses: it must answer exactly
    as its definition (address() lower-cased) on every shape, plain or not (a seeded random soup of the
    characters the address regex treats specially, plus hand-picked edge cases)."""
    import random

    from pipeline.mime.addresses import _PLAIN_ADDRESS, _normalise_found_address, normalise_address

    cases = ["Bob@Example.COM", "a@b", "a@@", "@b", "a@", ".a@b", "a@b.", "a.b@c.d",
             "a@b@c", "<a@b>", "rfc822; a@b", "a @b", "a@b\u00a0", "Ünï@例え.jp", "a@b>",
             "\"a\"@b", "a@(b)", "a;b@c", "x-foo; A@B", "", None, "a@b\u2028c", "..@..",
             "a.@.b", "K\u212a@b"]
    rng = random.Random(7)
    alphabet = "ab.@<>\"(),;: \t\u00a0Xx1-_;rfc822"
    mostly_plain = "ab.@X1-_.@"
    cases += ["".join(rng.choice(chars) for _ in range(rng.randint(1, 12)))
              for chars in (alphabet, mostly_plain) for _ in range(3000)]
    plain = 0
    for value in cases:
        assert normalise_address(value) == _normalise_found_address(value), repr(value)
        plain += bool(value and _PLAIN_ADDRESS.fullmatch(value))
    assert plain > 500  # the shortcut was taken often enough to be tested


def _which_by_definition(rhosts, domain, remote, local):
    """go-sisimai rhost.Name as a scan: the first provider with a host ending with the
    domain, then the first with a host the remote, then the local MTA ends with."""
    if domain:
        for r in rhosts:
            if any(h.endswith(domain) for h in r.hosts):
                return r
    for host in (remote, local):
        if host:
            for r in rhosts:
                if any(host.endswith(h) for h in r.hosts):
                    return r
    return None


def test_provider_host_tables_agree_with_the_suffix_scan():
    import random

    from pipeline.classify import rhost
    from pipeline.classify.rhosts import rhosts as registered

    # the registry, and one whose hosts end with each other's (so that the first provider
    # in order must win over a later one with a longer or shorter host)
    overlapping = [rhost.Rhost(name, hosts, lambda f: None) for name, hosts in [
        ("a", (".mx.example.com", "b.example.org")), ("b", (".example.com", "example.org")),
        ("c", ("mx.example.com", ".org", "b.example.org")), ("d", ("", "x"))]]
    rnd = random.Random(7)
    pieces = ["", "mx", "mx1.", "a.", "x", ".", "com", "example.org", "mail."]
    for rhosts in (registered(), overlapping[:3], overlapping):
        tables = rhost._HostTables(rhosts)
        hosts = [h for r in rhosts for h in r.hosts]

        def name():
            host = rnd.choice(hosts + pieces)
            cut = rnd.randrange(len(host) + 1)
            return rnd.choice([host, host[cut:], host[:cut], rnd.choice(pieces) + host[cut:]])

        named = 0
        for _ in range(20000):
            domain, remote, local = name(), name(), name()
            want = _which_by_definition(rhosts, domain, remote, local)
            assert tables.which(domain, remote, local) is want, (domain, remote, local)
            named += want is not None
        assert named > 10000   # most draws name a provider: the tables were exercised
    assert rhost._which("aol.com", "", "") is _which_by_definition(
        registered(), "aol.com", "", "") is not None


def test_provider_markers_agree_with_the_scan_by_provider():
    import random

    from pipeline.classify import rhost

    marked = rhost._tables().marked
    markers = [m for r in marked for m in r.markers]
    rnd = random.Random(11)
    found = 0
    for _ in range(5000):
        text = " ".join(rnd.choice(markers + ["550 5.1.1 no such user", "", "gsmt"])
                        for _ in range(rnd.randrange(4)))
        want = next((r for r in marked if any(m in text for m in r.markers)), None)
        assert rhost._by_marker(text) is want, text
        found += want is not None
    assert found > 2000 and len(marked) > 2   # several providers' markers were drawn
