"""Which addresses a webhook may reach: only public ones, however they are spelled or wrapped."""

import ipaddress

import pytest

from delivery.agencies.addresses import embedded_ipv4, is_public, literal_address

REFUSED = [
    # NAT64 and 6to4 wrappings of private IPv4 addresses
    "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::808:808", "2002:a00:1::1", "2002:7f00:1::",
    # IPv4-mapped, IPv4-compatible, Teredo
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::10.0.0.1", "::8.8.8.8",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001::1",
    # IPv6 special ranges
    "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "ff0e::1", "::", "::1",
    # IPv4 special ranges
    "0.1.2.3", "10.1.2.3", "127.0.0.1", "100.64.0.1", "169.254.169.254", "172.16.0.1",
    "192.0.0.1", "192.0.0.8", "192.0.0.9", "192.168.1.1", "198.18.0.1", "224.0.0.1", "239.1.2.3", "240.0.0.1",
    "255.255.255.255",
]
ACCEPTED = ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1",
            "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ACCEPTED)
def test_public_addresses_and_their_wrappings_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_the_ipv4_inside_nat64_and_6to4_is_unwrapped():
    assert embedded_ipv4(ipaddress.IPv6Address("64:ff9b::a00:1")) == ipaddress.IPv4Address("10.0.0.1")
    assert embedded_ipv4(ipaddress.IPv6Address("2002:c0a8:101::")) == ipaddress.IPv4Address(
        "192.168.1.1")
    assert embedded_ipv4(ipaddress.IPv6Address("2606:4700::1111")) is None


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "0x7f000001", "127.1"])
def test_integer_spellings_of_loopback_are_read_as_addresses(host):
    assert literal_address(host) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize("host", ["agency.example", "bad.cafe", "api.passports.gov.iq"])
def test_names_are_not_addresses(host):
    assert literal_address(host) is None
