"""Receipts checked by code that shares nothing with accordwatch.

A standard verifier knows only the specs: C2SP signed notes and checkpoints,
and RFC 9162 inclusion proofs. This module implements that verifier from the
specs alone (with `cryptography` for Ed25519 and `hashlib`), and checks the
receipts and verifier key accordwatch prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accordwatch.cli import main
from accordwatch.workspace import Workspace
from tests.helpers import Log


def spec_verify_note(note: str, vkey: str) -> str:
    """C2SP signed-note verification; returns the note text."""
    name, key_hex, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1, "Ed25519 key type"
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_hex
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, sig_b64 = line.split(" ")
        assert dash == "\u2014"
        sig = base64.b64decode(sig_b64)
        if signer == name and sig[:4].hex() == key_hex:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[4:], text.encode())
            return text
    raise AssertionError("no signature by the log key")


def spec_root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2, transcribed."""
    assert index < size
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        assert sn != 0
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_receipt_checks_with_a_spec_only_verifier(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    for i in range(11):
        log.statement("dprk", f"statement {i}")
    home = ["--home", str(workspace.home)]
    main([*home, "log", "key"])
    vkey = capsys.readouterr().out.strip()
    for index in (0, 5, 12):
        main([*home, "log", "prove", str(index), "--format", "json"])
        receipt = json.loads(capsys.readouterr().out)
        assert set(receipt) == {"index", "tree_size", "leaf_hash", "proof", "checkpoint"}
        origin, size, root_b64 = spec_verify_note(receipt["checkpoint"], vkey).splitlines()
        assert origin == log.ledger.origin and int(size) == receipt["tree_size"]
        leaf = hashlib.sha256(b"\x00" + log.ledger.entry(index).envelope).digest()
        assert base64.b64decode(receipt["leaf_hash"]) == leaf
        proof = [base64.b64decode(p) for p in receipt["proof"]]
        root = spec_root_from_inclusion(index, int(size), leaf, proof)
        assert root == base64.b64decode(root_b64)
