"""The client behind trusted proxies, and IP allowlists (no app, no database)."""

from __future__ import annotations

import pytest

from oversight.security.network import IpAllowlist, TrustedProxies

PROXIES = TrustedProxies(["10.0.0.0/24", "fd00::/64"])


def test_an_untrusted_peer_is_the_client_whatever_it_forwards():
    assert PROXIES.client_address("198.51.100.4", ["1.2.3.4"]) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client():
    # The client claimed 1.2.3.4; our proxy appended the address it really saw.
    assert PROXIES.client_address("10.0.0.2", ["1.2.3.4, 198.51.100.4"]) == "198.51.100.4"


def test_further_trusted_hops_are_skipped():
    forwarded = ["1.2.3.4, 198.51.100.4, 10.0.0.9", "10.0.0.3"]
    assert PROXIES.client_address("10.0.0.2", forwarded) == "198.51.100.4"


def test_a_non_address_entry_ends_the_walk_at_the_last_trusted_hop():
    assert PROXIES.client_address("10.0.0.2", ["evil, 10.0.0.5"]) == "10.0.0.5"
    assert PROXIES.client_address("10.0.0.2", ["<script>"]) == "10.0.0.2"


def test_a_trusted_peer_without_the_header_is_the_client():
    assert PROXIES.client_address("10.0.0.2", []) == "10.0.0.2"


def test_ipv6_and_ipv4_mapped_addresses():
    assert PROXIES.client_address("fd00::1", ["2001:db8::5"]) == "2001:db8::5"
    assert PROXIES.client_address("10.0.0.2", ["::ffff:198.51.100.4"]) == "198.51.100.4"


def test_forwarded_proto_is_read_from_trusted_peers_only():
    assert PROXIES.scheme("10.0.0.2", "http", "https") == "https"
    assert PROXIES.scheme("10.0.0.2", "http", "http, https") == "https"
    assert PROXIES.scheme("198.51.100.4", "http", "https") == "http"
    assert PROXIES.scheme("10.0.0.2", "http", "gopher") == "http"


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [("10.1.2.3", True), ("192.168.0.9", True), ("192.168.1.9", False), ("8.8.8.8", False),
     ("2001:db8::1", True), ("2001:db9::1", False), ("not-an-ip", False), (None, False),
     ("::ffff:10.1.2.3", True)],
)  # fmt: skip
def test_allowlist(ip, allowed):
    allowlist = IpAllowlist(["10.0.0.0/8", "192.168.0.0/24", "2001:db8::/32"])
    assert allowlist.allows(ip) is allowed


def test_an_empty_allowlist_is_falsy():
    assert not IpAllowlist([])
