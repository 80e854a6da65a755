"""The daily anchor's Merkle tree over custody chain heads (RFC 6962, section 2.1).

A leaf is one item's chain head as it stood at the end of the day:
`SHA-256(0x00 || "<tracking number>|<number of events>|<hash of the last event, hex>")`, the
text in ASCII; leaves are ordered by tracking number (byte order). An inner node is
`SHA-256(0x01 || left || right)`; a tree of n leaves splits at the largest power of two below n;
the root of no leaves is `SHA-256("")`. The signed statement binds the day and the number of
leaves to the root (`statement`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

EMPTY_ROOT = hashlib.sha256(b"").digest()
STATEMENT_PREFIX = "tasheel custody anchor"


def leaf_text(tracking_number: str, length: int, head: bytes) -> bytes:
    """What a leaf hashes: one item's chain head."""
    return f"{tracking_number}|{length}|{bytes(head).hex()}".encode("ascii")


def leaf_hash(tracking_number: str, length: int, head: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_text(tracking_number, length, head)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class RootBuilder:
    """The root of leaves given one at a time, in order, in O(log n) memory: the perfect
    subtrees on the tree's left edge are merged as soon as two of a size meet, and folded from
    the right at the end, which is RFC 6962's split at the largest power of two."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (leaves, hash) of perfect subtrees
        self.count = 0

    def add(self, leaf: bytes) -> None:
        """Append a leaf hash (see `leaf_hash`)."""
        size, digest = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, digest = left_size + size, _node(left, digest)
        self._stack.append((size, digest))
        self.count += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = _node(left, digest)
        return digest


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The root of leaf hashes in order."""
    builder = RootBuilder()
    for leaf in leaves:
        builder.add(leaf)
    return builder.root()


def statement(day: date, count: int, root: bytes) -> bytes:
    """The bytes the day's Ed25519 signature covers."""
    return f"{STATEMENT_PREFIX}|{day.isoformat()}|{count}|{root.hex()}".encode("ascii")
