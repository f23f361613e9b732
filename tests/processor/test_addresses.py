"""Which addresses a fetch may reach: checked as a pure function, on literal addresses only."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from app.processor.addresses import AddressPolicy, is_public_address, parse_allow_private

REFUSED = {
    "loopback": "127.0.0.1",
    "loopback elsewhere in 127/8": "127.1.2.3",
    "loopback v6": "::1",
    "rfc1918 10/8": "10.0.0.1",
    "rfc1918 172.16/12": "172.31.255.254",
    "rfc1918 192.168/16": "192.168.1.1",
    "unique local v6": "fc00::1",
    "unique local v6 fd": "fd12:3456::1",
    "link-local": "169.254.1.1",
    "cloud metadata": "169.254.169.254",
    "link-local v6": "fe80::1",
    "link-local v6 with scope": "fe80::1%eth0",
    "multicast": "224.0.0.1",
    "multicast v6": "ff02::1",
    "unspecified": "0.0.0.0",
    "unspecified v6": "::",
    "reserved 240/4": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "shared address space": "100.64.0.1",
    "documentation": "192.0.2.10",
    "site-local v6": "fec0::1",
    "ipv4-mapped loopback": "::ffff:127.0.0.1",
    "ipv4-mapped private": "::ffff:10.0.0.1",
    "ipv4-mapped metadata": "::ffff:169.254.169.254",
    "nat64 of a private address": "64:ff9b::a00:1",
    "6to4 of a private address": "2002:a00:1::",
    "ipv4-compatible": "::a00:1",
}

PUBLIC = {
    "v4": "93.184.216.34",
    "v6": "2606:4700:4700::1111",
    "ipv4-mapped public": "::ffff:8.8.8.8",
    "nat64 of a public address": "64:ff9b::808:808",
}


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_refused_addresses(address: str) -> None:
    assert not is_public_address(ip_address(address))
    assert not AddressPolicy().permits(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC.values(), ids=PUBLIC.keys())
def test_public_addresses(address: str) -> None:
    assert is_public_address(ip_address(address))
    assert AddressPolicy().permits(ip_address(address))


def test_allow_list_opens_only_its_networks() -> None:
    policy = parse_allow_private("10.0.0.0/8, fd00::/8,")

    assert policy.permits(ip_address("10.2.3.4"))
    assert policy.permits(ip_address("::ffff:10.2.3.4"))
    assert policy.permits(ip_address("fd00::5"))
    assert not policy.permits(ip_address("127.0.0.1"))
    assert not policy.permits(ip_address("169.254.169.254"))
    assert policy.permits(ip_address("8.8.8.8"))


def test_star_allows_everything() -> None:
    policy = parse_allow_private("10.0.0.0/8,*")
    assert policy.allow_all
    assert policy.permits(ip_address("169.254.169.254"))


def test_empty_allows_nothing_private() -> None:
    assert parse_allow_private("") == AddressPolicy()


@pytest.mark.parametrize("raw", ["10.0.0.0/33", "localhost", "10.0.0.0/8,nope"])
def test_bad_networks_are_named(raw: str) -> None:
    with pytest.raises(ValueError, match="DARKROOM_ALLOW_PRIVATE_SOURCES"):
        parse_allow_private(raw)
