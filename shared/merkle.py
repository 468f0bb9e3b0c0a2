"""Merkle trees over a service's log, as Certificate Transparency hashes them (RFC 9162, 2.1).

The leaves are the log's events in position order; **the leaf data of an event is its stored
chain hash** (the 32 bytes of `events.hash`, see `shared.eventstore.hashing`), so the tree
commits to the chain, and the chain to every byte of every event. Hashing is domain-separated:

    leaf hash  = SHA-256(0x00 || leaf data)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256()
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n]))    k: the largest power of two smaller than n

The tree of the first n leaves (`tree_size` n) is the log as it stood at position n.
Inclusion proofs (PATH) and consistency proofs (PROOF) are those of RFC 9162 2.1.3.1 and
2.1.4.1; `verify_inclusion` and `verify_consistency` are the offline algorithms of 2.1.3.2 and
2.1.4.2, needing nothing but the proof, the leaf or the two roots, and the sizes.

What it costs. `MerkleTree` keeps every complete, aligned subtree's hash, level by level, in
bytearrays (about 64 bytes per leaf: 64 MB for a million events). Appending a leaf costs one
leaf hash and, amortised, one node hash. The root of any prefix, and any proof, then costs
O(log n) lookups and at most O(log n) node hashes: every subtree the RFC's recursion asks for is
either complete and aligned (stored) or ends at the tree's right edge (computed from stored
ones). Filling the tree from a log of n events costs one pass over the n stored hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof asked of sizes the tree cannot answer (out of range)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree of leaf hashes, answering roots and proofs of every prefix."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        # _levels[h] holds, 32 bytes each, the hashes of the complete subtrees of 2**h leaves
        # starting at multiples of 2**h; _levels[0] holds the leaf hashes.
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        for data in leaves:
            self.append(data)

    @classmethod
    def of_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleTree:
        tree = cls()
        for value in hashes:
            tree.append_leaf_hash(value)
        return tree

    def __len__(self) -> int:
        return self._size

    def append(self, data: bytes) -> None:
        """Add a leaf whose data is `data` (for the log: an event's chain hash)."""
        self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, value: bytes) -> None:
        if len(value) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        self._levels[0] += value
        self._size += 1
        index = self._size - 1
        level = 0
        # Each time the new leaf completes a pair, the pair's parent is complete too.
        while index & 1:
            below = self._levels[level]
            parent = node_hash(self._get(level, index - 1, below), self._get(level, index, below))
            level += 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += parent
            index >>= 1

    @staticmethod
    def _get(level: int, index: int, array: bytearray) -> bytes:
        return bytes(array[index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        """The hash of leaf `index` (0-based)."""
        if not 0 <= index < self._size:
            raise ProofError(f"no leaf {index} in a tree of {self._size}")
        return self._get(0, index, self._levels[0])

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]), for ranges the RFC's recursion reaches (start aligned)."""
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            return self._get(level, start >> level, self._levels[level])
        k = _split(size)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, tree_size: int | None = None) -> bytes:
        """MTH of the first `tree_size` leaves (all of them by default)."""
        n = self._size if tree_size is None else tree_size
        self._check_size(n)
        return EMPTY_ROOT if n == 0 else self._subtree(0, n)

    def _check_size(self, n: int) -> None:
        if not 0 <= n <= self._size:
            raise ProofError(f"tree size {n} is not between 0 and {self._size}")

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """PATH(index, D[tree_size]): the audit path of leaf `index` (0-based)."""
        self._check_size(tree_size)
        if not 0 <= index < tree_size:
            raise ProofError(f"leaf {index} is not in a tree of {tree_size}")
        return self._path(index, 0, tree_size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._subtree(start + k, end)]
        return [*self._path(m - k, start + k, end), self._subtree(start, start + k)]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]): that the tree of `first` leaves is a prefix of `second`'s."""
        self._check_size(second)
        if not 0 < first <= second:
            raise ProofError(f"no consistency proof from size {first} to {second}")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self._subtree(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self._subtree(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._subtree(start, start + k)]


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show the leaf hash `leaf` at `index` (0-based) in the
    tree of `tree_size` leaves whose root is `root`?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf
    for p in proof:
        if len(p) != HASH_SIZE or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the tree of `first` leaves (root `first_root`) to be
    a prefix of the tree of `second` leaves (root `second_root`)? Equal sizes need an empty
    proof and equal roots."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a whole subtree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
