"""The anchor's Merkle tree is RFC 6962's, checked against Certificate Transparency's vectors."""

import hashlib
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from delivery.custody.merkle import (
    EMPTY_ROOT,
    RootBuilder,
    leaf_hash,
    leaf_text,
    root_of,
    statement,
)

# The leaves and roots of the Certificate Transparency reference tests (RFC 6962 trees).
CT_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
             b"\x50\x51\x52\x53\x54\x55\x56\x57",
             b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _reference(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _reference(leaves[:k]) + _reference(leaves[k:])).digest()


def test_roots_match_certificate_transparency():
    for n, expected in enumerate(CT_ROOTS, start=1):
        assert root_of(_leaf(d) for d in CT_LEAVES[:n]).hex() == expected


def test_the_root_of_no_leaves_is_the_hash_of_nothing():
    assert root_of([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@given(st.integers(min_value=0, max_value=300))
def test_the_incremental_root_is_the_recursive_one(n):
    leaves = [_leaf(i.to_bytes(4, "big")) for i in range(n)]
    builder = RootBuilder()
    for leaf in leaves:
        builder.add(leaf)
    assert builder.root() == _reference(leaves) and builder.count == n


def test_a_leaf_is_the_tracking_number_the_length_and_the_head():
    head = bytes(range(32))
    assert leaf_text("RR000000015IQ", 7, head) == b"RR000000015IQ|7|" + head.hex().encode()
    assert leaf_hash("RR000000015IQ", 7, head) == _leaf(leaf_text("RR000000015IQ", 7, head))


def test_the_statement_binds_the_day_and_the_count_to_the_root():
    root = bytes(32)
    assert statement(date(2026, 3, 1), 12, root) == (
        b"tasheel custody anchor|2026-03-01|12|" + b"00" * 32)
