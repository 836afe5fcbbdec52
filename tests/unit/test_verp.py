"""pipeline.verp: classic VERP addresses and signed return-path tokens."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from pipeline.verp import (BadSignature, MalformedToken, NotVerp, TokenExpired, UnknownKey,
                           VerpError, VerpKeyring, VerpTooLong, decode_verp, encode_verp,
                           sign_token, verify_token)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
RING = VerpKeyring({"k1": b"0123456789abcdef-one", "k2": b"0123456789abcdef-two"}, current="k2")


def signed(**kw) -> str:
    args = dict(recipient="Alice.Smith@Example.COM", message_id="cmp-2026-12", tenant="acme",
                prefix="b", bounce_domain="bounce.example.net", now=NOW)
    args.update(kw)
    return sign_token(kw.pop("keyring", RING), **{k: v for k, v in args.items() if k != "keyring"})


# --- classic ---

def test_classic_encodes_the_recipient_after_the_prefix():
    assert encode_verp("alice@Example.com", prefix="bounces", bounce_domain="Bounce.Example.net") \
        == "bounces+alice=example.com@bounce.example.net"


@pytest.mark.parametrize("recipient", ["alice+news@example.com", "a=b@example.com",
                                       "o'brien.x@sub.example.co.uk", "a+b=c+d@example.org"])
def test_classic_round_trips_local_parts_holding_the_separators(recipient):
    address = encode_verp(recipient, prefix="bounces", bounce_domain="bounce.example.net")
    read = decode_verp(address, prefix="bounces")
    assert (read.recipient, read.prefix, read.bounce_domain) == (recipient, "bounces", "bounce.example.net")


def test_classic_decode_reads_a_case_folded_prefix_and_angle_brackets():
    read = decode_verp("<BOUNCES+bob=example.com@bounce.example.net>", prefix="bounces")
    assert read.recipient == "bob@example.com"


@pytest.mark.parametrize("address", [
    "bounces@bounce.example.net",                # no separator
    "other+bob=example.com@bounce.example.net",  # another prefix
    "bounces+bob@bounce.example.net",            # no `=domain`
    "bounces+=example.com@bounce.example.net",   # empty local part
    "bounces+bob=localhost@bounce.example.net",  # not a domain with a dot
    "bounces+bob=example.com",                   # no bounce domain
])
def test_classic_decode_refuses_what_is_not_verp(address):
    with pytest.raises(NotVerp):
        decode_verp(address, prefix="bounces")


def test_classic_encode_refuses_quoted_local_parts_and_enforces_a_length_cap():
    with pytest.raises(NotVerp):
        encode_verp('"a b"@example.com', prefix="bounces", bounce_domain="b.example.net")
    with pytest.raises(VerpTooLong):
        encode_verp("x" * 60 + "@example.com", prefix="bounces", bounce_domain="b.example.net",
                    max_local_part=64)


@given(st.from_regex(r"[a-z0-9][a-z0-9.+=_-]{0,30}[a-z0-9]", fullmatch=True))
def test_classic_round_trips_any_atext_local_part(local):
    recipient = f"{local}@example.org"
    address = encode_verp(recipient, prefix="bounces", bounce_domain="bounce.example.net")
    assert decode_verp(address, prefix="bounces").recipient == recipient


# --- signed ---

def test_signed_token_round_trips_every_field():
    address = signed()
    assert address.startswith("b+") and address.endswith("@bounce.example.net")
    token = verify_token(address, RING, prefix="b", now=NOW + timedelta(hours=1), max_age=DAY)
    assert (token.key_id, token.tenant, token.message_id, token.recipient, token.signed_at) == \
        ("k2", "acme", "cmp-2026-12", "alice.smith@example.com", NOW)


def test_signed_token_survives_case_folding_by_an_mta():
    address = signed()
    for folded in (address.upper(), address.lower()):
        assert verify_token(folded, RING, prefix="b", now=NOW, max_age=DAY).tenant == "acme"


def test_altering_any_character_breaks_the_signature_or_the_token():
    address = signed()
    local, domain = address.split("@")
    for i in range(2, len(local)):
        flipped = local[:i] + ("a" if local[i] != "a" else "b") + local[i + 1:]
        with pytest.raises((BadSignature, MalformedToken, UnknownKey)):
            verify_token(f"{flipped}@{domain}", RING, prefix="b", now=NOW, max_age=DAY)


def test_a_token_from_another_key_does_not_verify():
    other = VerpKeyring({"k2": b"a-different-secret-key"}, current="k2")
    with pytest.raises(BadSignature):
        verify_token(signed(keyring=other), RING, prefix="b", now=NOW, max_age=DAY)


def test_rotation_old_key_ids_verify_while_held_and_fail_once_dropped():
    old = signed(keyring=VerpKeyring({"k1": b"0123456789abcdef-one"}, current="k1"))
    assert verify_token(old, RING, prefix="b", now=NOW, max_age=DAY).key_id == "k1"
    retired = VerpKeyring({"k2": b"0123456789abcdef-two"}, current="k2")
    with pytest.raises(UnknownKey):
        verify_token(old, retired, prefix="b", now=NOW, max_age=DAY)


def test_expiry_and_future_dates_are_refused_with_the_token_attached():
    address = signed()
    with pytest.raises(TokenExpired) as old:
        verify_token(address, RING, prefix="b", now=NOW + 2 * DAY, max_age=DAY)
    assert old.value.token.recipient == "alice.smith@example.com"
    with pytest.raises(TokenExpired):
        verify_token(address, RING, prefix="b", now=NOW - timedelta(hours=1), max_age=DAY)
    assert verify_token(address, RING, prefix="b", now=NOW - timedelta(minutes=4), max_age=DAY)


def test_detached_token_is_shorter_and_verifies_only_for_its_recipient():
    embedded, detached = signed(), signed(detached=True)
    assert len(detached) < len(embedded)
    token = verify_token(detached, RING, prefix="b", now=NOW, max_age=DAY,
                         recipient="alice.smith@example.com")
    assert token.recipient is None and token.message_id == "cmp-2026-12"
    with pytest.raises(BadSignature):
        verify_token(detached, RING, prefix="b", now=NOW, max_age=DAY, recipient="bob@example.com")
    with pytest.raises(VerpError):
        verify_token(detached, RING, prefix="b", now=NOW, max_age=DAY)


def test_embedded_token_refuses_a_different_supplied_recipient():
    with pytest.raises(BadSignature):
        verify_token(signed(), RING, prefix="b", now=NOW, max_age=DAY, recipient="bob@example.com")


@pytest.mark.parametrize("address", ["b+!!!!@bounce.example.net", "b+aaaa@bounce.example.net",
                                     "x+aaaa@bounce.example.net", "b@bounce.example.net"])
def test_garbage_is_a_typed_error(address):
    with pytest.raises((MalformedToken, NotVerp)):
        verify_token(address, RING, prefix="b", now=NOW, max_age=DAY)


def test_limits_and_bad_keys_are_typed_errors():
    with pytest.raises(VerpTooLong):
        signed(max_local_part=64)
    assert len(signed(detached=True, message_id="m1", tenant="t").split("@")[0]) <= 64
    with pytest.raises(VerpTooLong):
        signed(tenant="t" * 300)
    with pytest.raises(VerpError):
        VerpKeyring({"k1": b"short"}, current="k1")
    with pytest.raises(UnknownKey):
        VerpKeyring({"k1": b"0123456789abcdef"}, current="k9")
    with pytest.raises(VerpError):
        signed(now=datetime(2026, 12, 6))
