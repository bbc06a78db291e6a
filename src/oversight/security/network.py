"""Client addresses: IP allowlists, and the client behind trusted reverse proxies.

A request's TCP peer is the client unless the peer is one of our own proxies; only then is
`X-Forwarded-For` read, from the right (the entry our proxy appended) to the left, skipping
further trusted hops. The first untrusted address is the client. Whatever a client writes
into the header itself lies to the left of that and is never reached, so a forged header
changes nothing (the algorithm of MDN's X-Forwarded-For "trusted proxy list" and RFC 7239
§7.4).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(value: str) -> Address | None:
    """`value` as an IP address (an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class IpAllowlist:
    """A set of networks; `allows(ip)` is True for an address inside any of them."""

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(network, strict=False) for network in networks
        )
        # Addresses repeat (one office, one proxy): remember recent answers.
        self._allows = lru_cache(maxsize=4096)(self._compute)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def allows(self, ip: str | None) -> bool:
        return ip is not None and self._allows(ip)

    def _compute(self, ip: str) -> bool:
        address = parse_address(ip)
        if address is None:
            return False
        return any(
            address.version == network.version and address in network for network in self.networks
        )


class TrustedProxies:
    """Finds the client address behind the configured proxies."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._trusted = IpAllowlist(networks)

    def __bool__(self) -> bool:
        return bool(self._trusted)

    def trusts(self, peer: str | None) -> bool:
        return self._trusted.allows(peer)

    def client_address(self, peer: str | None, forwarded_for: Sequence[str]) -> str | None:
        """The client's address, given the TCP peer and every `X-Forwarded-For` header value.

        From an untrusted peer, the peer. From a trusted one, the rightmost address that is
        not itself a trusted proxy; an entry that is not an IP address (garbage, `unknown`,
        an obfuscated RFC 7239 name) ends the walk at the last trusted hop, since nothing to
        its left can be attributed.
        """
        if not self.trusts(peer):
            return peer
        client = peer
        for value in reversed(forwarded_for):
            for entry in reversed(value.split(",")):
                address = parse_address(entry)
                if address is None:
                    return client
                client = str(address)
                if not self._trusted.allows(client):
                    return client
        return client

    def scheme(self, peer: str | None, scheme: str, forwarded_proto: str | None) -> str:
        """`X-Forwarded-Proto` (its last value) from a trusted peer, else the connection's."""
        if forwarded_proto is None or not self.trusts(peer):
            return scheme
        value = forwarded_proto.rpartition(",")[2].strip().lower()
        return value if value in {"http", "https"} else scheme
