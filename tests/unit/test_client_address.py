"""The client address of a request behind trusted proxies: the rightmost X-Forwarded-For hop
that is not one of them, and only when the direct peer is one of them."""

import pytest

from delivery.platform.clientaddr import client_address, trusted_networks

PROXIES = trusted_networks("10.0.0.0/8, 192.0.2.1")


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards():
    assert client_address("203.0.113.5", "1.2.3.4", trusted_networks("")) == "203.0.113.5"


def test_an_untrusted_peer_cannot_claim_another_address():
    assert client_address("203.0.113.5", "1.2.3.4", PROXIES) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_forwarded_client_counts():
    assert client_address("10.1.2.3", "198.51.100.9", PROXIES) == "198.51.100.9"


def test_a_client_cannot_spoof_by_prepending_hops():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended what it saw.
    assert client_address("10.1.2.3", "1.2.3.4, 198.51.100.9", PROXIES) == "198.51.100.9"


def test_trusted_hops_are_skipped_from_the_right():
    assert client_address("10.1.2.3", "198.51.100.9, 192.0.2.1, 10.9.9.9", PROXIES) == \
        "198.51.100.9"


def test_when_every_hop_is_trusted_the_leftmost_counts():
    assert client_address("10.1.2.3", "10.0.0.7, 10.0.0.8", PROXIES) == "10.0.0.7"


def test_a_trusted_peer_without_the_header_or_with_garbage_is_the_client():
    assert client_address("10.1.2.3", None, PROXIES) == "10.1.2.3"
    assert client_address("10.1.2.3", "not-an-address", PROXIES) == "10.1.2.3"


def test_ipv6_and_an_unknown_peer():
    assert client_address("::1", "2001:db8::1", trusted_networks("::1")) == "2001:db8::1"
    assert client_address(None, "1.2.3.4", PROXIES) == "unknown"


def test_a_malformed_setting_is_refused_naming_it():
    with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS"):
        trusted_networks("10.0.0.0/8, proxy.local")


def test_the_setting_is_read_and_checked_at_start():
    from delivery.platform.settings import Settings

    env = {"TASHEEL_SECRET_KEY": "k", "FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.1"}
    assert Settings.from_env(env).forwarded_allow_ips == ("10.0.0.0/8", "192.0.2.1")
    assert Settings.from_env({"TASHEEL_SECRET_KEY": "k"}).forwarded_allow_ips == ()
    with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS"):
        Settings.from_env({**env, "FORWARDED_ALLOW_IPS": "proxy.local"})
