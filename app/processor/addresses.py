"""Which addresses a `src` fetch may connect to: public ones, plus the networks an operator allows."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# Hosts can name these in a way `ipaddress` does not flag; they embed an IPv4 address that a
# gateway (NAT64, 6to4 relay) would forward to, so the embedded address is what gets checked.
_NAT64 = IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def canonical(address: IPAddress) -> IPAddress:
    """The address a packet really goes to: IPv4-mapped and NAT64/6to4 IPv6 become their IPv4."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return embedded
        if address.scope_id is not None:
            return IPv6Address(address.compressed.split("%", 1)[0])
    return address


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local (metadata), multicast, unspecified and reserved."""
    address = canonical(address)
    refused = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or (isinstance(address, IPv6Address) and address.is_site_local)
    )
    # `is_global` also covers shared address space (100.64/10) and the documentation ranges.
    return not refused and address.is_global


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses always; private ones only inside `networks`, or all when `allow_all`."""

    networks: tuple[Network, ...] = ()
    allow_all: bool = False

    def permits(self, address: IPAddress) -> bool:
        if self.allow_all or is_public_address(address):
            return True
        address = canonical(address)
        return any(address.version == network.version and address in network for network in self.networks)


def parse_allow_private(raw: str) -> AddressPolicy:
    """Parse `DARKROOM_ALLOW_PRIVATE_SOURCES`: comma-separated CIDRs, `*` for every address."""
    networks: list[Network] = []
    allow_all = False
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item == "*":
            allow_all = True
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"DARKROOM_ALLOW_PRIVATE_SOURCES: {item!r} is not a network (a CIDR like 10.0.0.0/8, or *)"
            ) from None
    return AddressPolicy(networks=tuple(networks), allow_all=allow_all)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (getaddrinfo runs in a thread)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses
