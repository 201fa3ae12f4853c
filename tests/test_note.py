"""C2SP signed notes and checkpoints against golang.org/x/mod and C2SP spec vectors.

The vectors are `shared/vectors/tlog/transcribed/signed_note_vectors.json`,
beside the repository (see the README.md there).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.note import NoteSigner, Verifier, open_note, split_note

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NOTE_VECTORS = SHARED / "vectors" / "tlog" / "transcribed" / "signed_note_vectors.json"
if not NOTE_VECTORS.is_file():
    pytest.fail(
        f"signed-note test vectors not found: expected {NOTE_VECTORS}. The shared/ folder must "
        "sit beside the repository checkout (…/main and …/shared); these tests never skip.",
        pytrace=False,
    )

VECTORS: dict[str, Any] = json.loads(NOTE_VECTORS.read_text(encoding="utf-8"))
VALID: list[dict[str, Any]] = VECTORS["valid"]
INVALID: list[dict[str, Any]] = VECTORS["invalid"]
CHECKPOINTS: list[dict[str, Any]] = VECTORS["checkpoints"]


def _entry(entries: list[dict[str, Any]], key_name: str) -> dict[str, Any]:
    (found,) = [e for e in entries if e.get("key_name") == key_name]
    return found


def _seed(name: str) -> SigningKey:
    return SigningKey(hashlib.sha256(b"accordwatch test key " + name.encode()).digest())


def test_inventory() -> None:
    assert [e["key_name"] for e in VALID] == ["PeterNeumann", "EnochRoot", "example.com/foo"]
    assert len(INVALID) == 2
    assert len(CHECKPOINTS) == 2


# --------------------------------------------------------------------------------------------
# valid notes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", VALID, ids=lambda e: e["key_name"])
def test_verifier_key_parses(entry: dict[str, Any]) -> None:
    verifier = Verifier.parse(entry["vkey"])
    assert entry["sig_type"] == 1
    assert verifier.name == entry["key_name"]
    assert verifier.key_id.hex() == entry["key_id_hex"]
    assert verifier.public_key.hex() == entry["ed25519_public_key_hex"]
    assert verifier.text() == entry["vkey"]
    # key id rule: SHA-256(name || 0x0A || 0x01 || public key)[:4]
    digest = hashlib.sha256(
        entry["key_name"].encode() + b"\n\x01" + bytes.fromhex(entry["ed25519_public_key_hex"])
    ).digest()
    assert digest[:4].hex() == entry["key_id_hex"]


@pytest.mark.parametrize("entry", VALID, ids=lambda e: e["key_name"])
def test_valid_note_opens_with_its_key(entry: dict[str, Any]) -> None:
    assert entry["signed_note"] == entry["note_text"] + "\n" + "".join(
        line + "\n" for line in entry["signature_lines"]
    )
    verifier = Verifier.parse(entry["vkey"])
    assert open_note(entry["signed_note"], [verifier]) == entry["note_text"]


@pytest.mark.parametrize("entry", VALID, ids=lambda e: e["key_name"])
def test_valid_note_splits(entry: dict[str, Any]) -> None:
    text, signatures = split_note(entry["signed_note"])
    assert text == entry["note_text"]
    assert len(signatures) == len(entry["signature_lines"])
    for signature, line in zip(signatures, entry["signature_lines"], strict=True):
        dash, name, encoded = line.split(" ")
        assert dash == "\u2014"
        raw = base64.b64decode(encoded, validate=True)
        assert len(raw) == 4 + 64
        assert (signature.name, signature.key_id, signature.signature) == (name, raw[:4], raw[4:])
    mine = [s for s in signatures if s.name == entry["key_name"]]
    assert [s.key_id.hex() for s in mine] == [entry["key_id_hex"]]


def test_cosigned_note_opens_with_either_key_alone_or_both() -> None:
    enoch = _entry(VALID, "EnochRoot")
    peter = Verifier.parse(_entry(VALID, "PeterNeumann")["vkey"])
    note = enoch["signed_note"]
    assert len(enoch["signature_lines"]) == 2
    # the PeterNeumann line is ignored when only EnochRoot's key is known
    assert open_note(note, [Verifier.parse(enoch["vkey"])]) == enoch["note_text"]
    assert open_note(note, [peter]) == enoch["note_text"]
    assert open_note(note, [peter, Verifier.parse(enoch["vkey"])]) == enoch["note_text"]


def test_peter_neumann_signature_is_reproduced_byte_for_byte() -> None:
    entry = _entry(VALID, "PeterNeumann")
    seed = bytes.fromhex(entry["ed25519_seed_hex"])
    # Go's private key text: PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)
    prefix1, prefix2, name, hex_id, encoded = entry["skey"].split("+", 4)
    assert (prefix1, prefix2, name, hex_id) == ("PRIVATE", "KEY", "PeterNeumann", "c74f20a3")
    assert base64.b64decode(encoded, validate=True) == b"\x01" + seed

    key = SigningKey(seed)
    assert key.public_key.hex() == entry["ed25519_public_key_hex"]
    signer = NoteSigner(entry["key_name"], key)
    assert signer.verifier.text() == entry["vkey"]
    assert signer.verifier == Verifier.parse(entry["vkey"])
    assert signer.signature_line(entry["note_text"]) == entry["signature_lines"][0] + "\n"
    assert signer.sign(entry["note_text"]) == entry["signed_note"]


# --------------------------------------------------------------------------------------------
# invalid notes and keys
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", INVALID, ids=lambda e: str(e["desc"]).split(" ")[0])
def test_invalid_vector_is_rejected(entry: dict[str, Any]) -> None:
    assert entry["want"].startswith("reject")
    if "signed_note" in entry:
        verifier = Verifier.parse(entry["vkey"])  # the key itself is fine
        with pytest.raises(VerificationError):
            open_note(entry["signed_note"], [verifier])
    else:
        with pytest.raises(VerificationError):
            Verifier.parse(entry["vkey"])


def test_note_signed_only_by_unknown_keys_is_rejected() -> None:
    example = _entry(VALID, "example.com/foo")
    peter = Verifier.parse(_entry(VALID, "PeterNeumann")["vkey"])
    with pytest.raises(VerificationError, match="not signed by a known key"):
        open_note(example["signed_note"], [peter])
    with pytest.raises(VerificationError):
        open_note(example["signed_note"], [])
    stranger = NoteSigner("example.com/stranger", _seed("stranger"))
    note = stranger.sign("hello\n")
    with pytest.raises(VerificationError, match="not signed by a known key"):
        open_note(note, [Verifier.parse(example["vkey"]), peter])


def test_bad_signature_by_a_known_key_rejects_the_note_even_if_another_verifies() -> None:
    enoch = _entry(VALID, "EnochRoot")
    good_enoch = enoch["signature_lines"][1]
    broken_peter = INVALID[0]["signed_note"].split("\n\n")[1]  # 4 chars inserted, ends in LF
    assert broken_peter.startswith("\u2014 PeterNeumann ")
    note = enoch["note_text"] + "\n" + broken_peter + good_enoch + "\n"
    keys = [Verifier.parse(_entry(VALID, "PeterNeumann")["vkey"]), Verifier.parse(enoch["vkey"])]
    with pytest.raises(VerificationError):
        open_note(note, keys)
    # with only EnochRoot known, the broken line belongs to an unknown key and is ignored
    assert open_note(note, keys[1:]) == enoch["note_text"]


def test_changed_text_is_rejected() -> None:
    entry = _entry(VALID, "example.com/foo")
    verifier = Verifier.parse(entry["vkey"])
    tampered = entry["signed_note"].replace("example message", "exemplary message")
    with pytest.raises(VerificationError):
        open_note(tampered, [verifier])


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------


def test_c2sp_checkpoint_example_parses() -> None:
    entry = CHECKPOINTS[0]
    parsed = entry["parsed"]
    text, signatures = split_note(entry["signed_note"])
    checkpoint = Checkpoint.parse_text(text)
    assert checkpoint.origin == parsed["origin"]
    assert checkpoint.size == parsed["tree_size"]
    assert checkpoint.root == base64.b64decode(parsed["root_hash_b64"], validate=True)
    assert list(checkpoint.extensions) == parsed["extension_lines"]
    assert checkpoint.text() == text

    assert len(signatures) == len(parsed["signatures"])
    for signature, want in zip(signatures, parsed["signatures"], strict=True):
        assert signature.name == want["key_name"]
        assert signature.key_id.hex() == want["key_id_hex"]
        if "timestamp" in want:  # cosignature/v1: u64 big-endian timestamp || Ed25519 signature
            assert int.from_bytes(signature.signature[:8], "big") == want["timestamp"]
            assert len(signature.signature) == 8 + want["sig_len"]
            message = f"cosignature/v1\ntime {want['timestamp']}\n{text}"
            assert message == entry["cosignature_v1_signed_message"]
        else:
            assert len(signature.signature) == want["sig_len"]

    # no key is published for this example: with any other key it must not open
    with pytest.raises(VerificationError):
        open_note(entry["signed_note"], [NoteSigner(parsed["origin"], _seed("sofa")).verifier])


def test_go_sumdb_tree_note_parses() -> None:
    entry = CHECKPOINTS[1]
    parsed = entry["parsed"]
    checkpoint = Checkpoint.parse_text(entry["note_text"])
    assert checkpoint.origin == parsed["origin"] == "go.sum database tree"
    assert checkpoint.size == parsed["tree_size"]
    assert checkpoint.root == base64.b64decode(parsed["root_hash_b64"], validate=True)
    assert checkpoint.root == leaf_hash(b"hello world")
    assert checkpoint.extensions == ()
    assert checkpoint.text() == entry["note_text"]


ORIGIN = "example.org/accordwatch-test-log"


def _signed_checkpoint() -> tuple[Checkpoint, str, NoteSigner]:
    signer = NoteSigner(ORIGIN, _seed("log"))
    checkpoint = Checkpoint(ORIGIN, 42, hashlib.sha256(b"some root").digest())
    return checkpoint, checkpoint.sign(signer), signer


def test_fresh_checkpoint_opens_with_its_verifier() -> None:
    checkpoint, note, signer = _signed_checkpoint()
    assert Checkpoint.open(note, signer.verifier) == checkpoint
    assert Checkpoint.open(note, Verifier.parse(signer.verifier.text())) == checkpoint
    assert note.startswith(checkpoint.text() + "\n\u2014 " + ORIGIN + " ")


def test_fresh_checkpoint_with_a_generated_key() -> None:
    signer = NoteSigner(ORIGIN, SigningKey.generate())
    checkpoint = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert Checkpoint.open(checkpoint.sign(signer), signer.verifier) == checkpoint


def test_checkpoint_fails_with_another_key() -> None:
    _, note, _ = _signed_checkpoint()
    other = NoteSigner(ORIGIN, _seed("another log key"))
    with pytest.raises(VerificationError):
        Checkpoint.open(note, other.verifier)


def test_checkpoint_fails_with_a_verifier_for_another_origin() -> None:
    _, note, _ = _signed_checkpoint()
    other = NoteSigner("example.org/another-log", _seed("log"))
    with pytest.raises(VerificationError):
        Checkpoint.open(note, other.verifier)


def test_checkpoint_fails_with_a_changed_size() -> None:
    _, note, signer = _signed_checkpoint()
    tampered = note.replace("\n42\n", "\n43\n", 1)
    assert tampered != note
    with pytest.raises(VerificationError):
        Checkpoint.open(tampered, signer.verifier)


def test_checkpoint_fails_with_a_changed_root() -> None:
    checkpoint, note, signer = _signed_checkpoint()
    old = base64.b64encode(checkpoint.root).decode()
    new = base64.b64encode(hashlib.sha256(b"another root").digest()).decode()
    tampered = note.replace(old, new, 1)
    assert tampered != note
    with pytest.raises(VerificationError):
        Checkpoint.open(tampered, signer.verifier)


def test_checkpoint_signed_by_an_unknown_key_only_is_rejected() -> None:
    checkpoint, _, signer = _signed_checkpoint()
    impostor = NoteSigner("example.org/impostor", _seed("impostor"))
    with pytest.raises(VerificationError, match="not signed by a known key"):
        Checkpoint.open(checkpoint.sign(impostor), signer.verifier)


@pytest.mark.parametrize(
    "text",
    [
        "example.org/log\n42\n",  # no root
        "example.org/log\n042\n" + base64.b64encode(bytes(32)).decode() + "\n",  # leading zero
        "example.org/log\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "example.org/log\n42\n" + base64.b64encode(bytes(31)).decode() + "\n",  # short root
        "\n42\n" + base64.b64encode(bytes(32)).decode() + "\n",  # empty origin
        "example.org/log\n42\n" + base64.b64encode(bytes(32)).decode(),  # no final newline
        "example.org/log\n42\n" + base64.b64encode(bytes(32)).decode() + "\n\n",  # empty extension
    ],
    ids=["no-root", "leading-zero", "negative", "short-root", "empty-origin", "no-lf", "empty-ext"],
)
def test_malformed_checkpoint_text_is_rejected(text: str) -> None:
    with pytest.raises(VerificationError):
        Checkpoint.parse_text(text)
