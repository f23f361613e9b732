"""Signatures of tickets and private URLs: tamper-evident and expiring."""

from __future__ import annotations

import time

from app.signing import signed, verify

SECRET = "s3cret"


def test_a_signed_set_of_fields_verifies() -> None:
    fields = signed(SECRET, {"path": "/media/private/ab", "expires": str(int(time.time()) + 60)})
    assert verify(SECRET, fields)


def test_any_change_breaks_the_signature() -> None:
    fields = signed(SECRET, {"path": "/a", "expires": str(int(time.time()) + 60)})
    assert not verify(SECRET, {**fields, "path": "/b"})
    assert not verify(SECRET, {**fields, "extra": "x"})
    assert not verify("other", fields)
    assert not verify(SECRET, {**fields, "signature": "0" * 64})


def test_fields_cannot_be_shifted_between_names() -> None:
    a = signed(SECRET, {"ab": "c", "expires": "9999999999"})
    b = {"a": "bc", "expires": "9999999999", "signature": a["signature"]}
    assert not verify(SECRET, b)


def test_expired_or_missing_expiry_fails() -> None:
    past = signed(SECRET, {"path": "/a", "expires": str(int(time.time()) - 1)})
    assert not verify(SECRET, past)
    assert not verify(SECRET, signed(SECRET, {"path": "/a"}))
    assert not verify(SECRET, signed(SECRET, {"path": "/a", "expires": "soon"}))
