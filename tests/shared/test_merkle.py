"""The Merkle tree of a log (shared/merkle.py) against RFC 9162: the reference test vectors of
the Certificate Transparency implementations, a naive transcription of the RFC's recursive
definitions, and every inclusion and consistency proof of small trees, tampered with or not."""

from __future__ import annotations

import hashlib

import pytest

from shared.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# The eight leaves of the CT reference tests and the roots of their first n, n = 1..8.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, word for word."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


def data(count: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(count)]


def test_the_roots_of_the_reference_vectors():
    tree = MerkleTree(LEAVES)
    assert (
        tree.root(0)
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    assert [tree.root(n).hex() for n in range(1, 9)] == ROOTS


def test_the_reference_inclusion_and_consistency_proofs():
    tree = MerkleTree(LEAVES)
    assert [p.hex() for p in tree.inclusion_proof(5, 8)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert [p.hex() for p in tree.consistency_proof(3, 8)] == [
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_every_prefix_root_is_the_rfcs_recursive_definition():
    leaves = data(70)
    tree = MerkleTree(leaves)
    for n in range(71):
        assert tree.root(n) == naive_mth(leaves[:n]), n


def test_every_inclusion_proof_up_to_40_leaves_verifies_and_a_modified_one_does_not():
    tree = MerkleTree(data(40))
    for n in range(1, 41):
        root = tree.root(n)
        for index in range(n):
            leaf = tree.leaf(index)
            proof = tree.inclusion_proof(index, n)
            assert verify_inclusion(leaf, index, n, proof, root), (index, n)
            assert not verify_inclusion(leaf, index, n, proof, tree.root(n - 1)) or n == 1
            if n > 1:
                assert not verify_inclusion(leaf, (index + 1) % n, n, proof, root)
                assert not verify_inclusion(tree.leaf((index + 1) % n), index, n, proof, root)
            for at in range(len(proof)):
                forged = list(proof)
                forged[at] = bytes([forged[at][0] ^ 1]) + forged[at][1:]
                assert not verify_inclusion(leaf, index, n, forged, root)
            assert not verify_inclusion(leaf, index, n, [*proof, root], root)
            if proof:
                assert not verify_inclusion(leaf, index, n, proof[:-1], root)


def test_every_consistency_proof_up_to_40_leaves_verifies_and_a_modified_one_does_not():
    tree = MerkleTree(data(40))
    other = MerkleTree([*data(20), *data(40)[21:], b"x" * 32])  # a different history
    for second in range(1, 41):
        second_root = tree.root(second)
        for first in range(1, second + 1):
            first_root = tree.root(first)
            proof = tree.consistency_proof(first, second)
            assert verify_consistency(first, second, first_root, second_root, proof)
            if first == second:
                assert proof == []
                continue
            for at in range(len(proof)):
                forged = list(proof)
                forged[at] = bytes([forged[at][0] ^ 1]) + forged[at][1:]
                assert not verify_consistency(first, second, first_root, second_root, forged)
            if second > 20:  # the other history departs from this one after leaf 20
                assert not verify_consistency(first, second, first_root, other.root(second), proof)
            if first > 20:
                assert not verify_consistency(first, second, other.root(first), second_root, proof)
            assert not verify_consistency(first, second, first_root, second_root, proof[:-1])


def test_proofs_outside_the_tree_are_refused():
    tree = MerkleTree(data(5))
    with pytest.raises(ProofError):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 6)
    with pytest.raises(ProofError):
        tree.consistency_proof(0, 3)
    with pytest.raises(ProofError):
        tree.consistency_proof(4, 3)
    with pytest.raises(ProofError):
        tree.root(6)
    assert not verify_inclusion(tree.leaf(0), 5, 5, [], tree.root())
    assert not verify_consistency(0, 5, EMPTY_ROOT, tree.root(), [])


def test_a_tree_grown_leaf_by_leaf_is_the_tree_built_at_once():
    leaves = data(33)
    grown = MerkleTree()
    for n, value in enumerate(leaves, start=1):
        grown.append(value)
        assert grown.root() == naive_mth(leaves[:n])
    assert MerkleTree.of_leaf_hashes(leaf_hash(v) for v in leaves).root() == grown.root()
