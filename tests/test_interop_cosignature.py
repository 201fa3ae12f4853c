"""Cosignatures checked against the C2SP texts and a second implementation of them.

`tests/spec_cosignature.py` implements signed notes, vkeys and both
cosignature kinds from the specification text alone. Lines accordwatch makes
must verify there and lines it makes must verify in accordwatch, for Ed25519
(type 0x04) and ML-DSA-44 (type 0x06); both must refuse the same bad lines;
and the examples printed in signed-note.md and tlog-cosignature.md must read
as the specifications describe them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import (
    Algorithm,
    Cosigner,
    CosignerKey,
    add_lines,
    cosignature_lines,
    cosigned_message,
    verify_cosignatures,
)
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import NoteSigner, Verifier, open_note, split_note
from tests import spec_cosignature as spec

SPECS = Path("/work/shared/specs/c2sp")
KINDS = [
    (Algorithm.ED25519, spec.TYPE_COSIGNATURE_V1),
    (Algorithm.ML_DSA_44, spec.TYPE_ML_DSA_44),
]
ORIGIN = "accords.example/log"
LOG = NoteSigner(ORIGIN, SigningKey(bytes(range(32))))

#: the examples of the specification texts, copied from them
EXAMPLE_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
EXAMPLE_LOG_LINE = (
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
EXAMPLE_WITNESS_LINE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlr"
    "DJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
EXAMPLE_COSIGNED = EXAMPLE_CHECKPOINT + "\n" + EXAMPLE_LOG_LINE + EXAMPLE_WITNESS_LINE
EXAMPLE_MESSAGE = (
    "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
EXAMPLE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
EXAMPLE_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXp"
    "pzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
EXAMPLE_RESPONSE = (
    "\u2014 witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTS"
    "vVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n"
    "\u2014 witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt6"
    "4vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n"
    "\u2014 witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrK"
    "bYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n"
)


def checkpoint(size: int = 11, extensions: tuple[str, ...] = ()) -> str:
    """A checkpoint text of the test log."""
    root = hashlib.sha256(f"root {size}".encode()).digest()
    return Checkpoint(ORIGIN, size, root, extensions).text()


def signed(text: str) -> str:
    return LOG.sign(text)


def pair(
    algorithm: Algorithm, name: str = "witness.example/w1"
) -> tuple[Cosigner, spec.SpecCosigner]:
    """The same key (one seed) in accordwatch and in the spec implementation."""
    seed = os.urandom(32)
    return Cosigner(name, algorithm, seed), spec.SpecCosigner(name, algorithm.key_type, seed)


# -- the examples of the specification texts ----------------------------------------------


def test_the_examples_are_still_in_the_specification_texts() -> None:
    cosignature = (SPECS / "tlog-cosignature.md").read_text(encoding="utf-8")
    for line in (*EXAMPLE_CHECKPOINT.splitlines(), EXAMPLE_LOG_LINE, EXAMPLE_WITNESS_LINE):
        assert line.strip() in cosignature
    for line in EXAMPLE_MESSAGE.splitlines():
        assert f"    {line}\n" in cosignature
    note = (SPECS / "signed-note.md").read_text(encoding="utf-8")
    assert EXAMPLE_VKEY in note and EXAMPLE_NOTE.split("\n\n")[1].strip() in note
    witness = (SPECS / "tlog-witness.md").read_text(encoding="utf-8")
    assert all(line in witness for line in EXAMPLE_RESPONSE.splitlines())


def test_signed_note_example_vkey_verifies_its_note_in_both() -> None:
    key = spec.parse_vkey(EXAMPLE_VKEY)
    assert key.signature_type == spec.TYPE_ED25519
    assert spec.key_id(key.name, 0x01, key.public_key).hex() == "530d903a"
    assert spec.verify_note(EXAMPLE_NOTE, key) == "This is an example message.\n"
    verifier = Verifier.parse(EXAMPLE_VKEY)
    assert verifier.text() == EXAMPLE_VKEY == key.vkey()
    assert open_note(EXAMPLE_NOTE, [verifier]) == "This is an example message.\n"


def test_the_example_key_as_a_cosigner_key_has_another_id() -> None:
    """The type byte is hashed into the key id, so 0x01, 0x04 and 0x06 ids differ."""
    example = spec.parse_vkey(EXAMPLE_VKEY)
    with pytest.raises(VerificationError, match="not a cosigner key"):
        CosignerKey.parse(EXAMPLE_VKEY)
    as_cosigner = spec.SpecKey(example.name, spec.TYPE_COSIGNATURE_V1, example.public_key)
    ours = CosignerKey.parse(as_cosigner.vkey())
    assert ours.key_id == as_cosigner.key_id != example.key_id
    assert ours.text() == as_cosigner.vkey()
    expected = hashlib.sha256(b"example.com/foo\n\x04" + example.public_key).digest()[:4]
    assert ours.key_id == expected
    # the same name and key bytes, relabelled type 0x04, with the 0x01 id: refused by both
    forged = as_cosigner.vkey().replace(as_cosigner.key_id.hex(), "530d903a")
    with pytest.raises(VerificationError, match="key id does not match"):
        CosignerKey.parse(forged)
    with pytest.raises(spec.SpecError):
        spec.parse_vkey(forged)


def test_the_example_cosigned_checkpoint_has_the_stated_structure() -> None:
    text, sigs = split_note(EXAMPLE_COSIGNED)
    spec_text, spec_sigs = spec.split_note(EXAMPLE_COSIGNED)
    assert text == spec_text == EXAMPLE_CHECKPOINT
    assert [(s.name, s.key_id, s.signature) for s in sigs] == [
        (s.name, s.key_id, s.signature) for s in spec_sigs
    ]
    log_sig, witness_sig = sigs
    assert len(log_sig.signature) == 64  # an Ed25519 note signature
    # key id, then timestamped_signature: u64 timestamp and an Ed25519 signature
    assert len(witness_sig.signature) == 8 + 64
    assert witness_sig.key_id.hex() == "8d66cf3f"
    (timestamp,) = struct.unpack(">Q", witness_sig.signature[:8])
    assert timestamp == 1679315147  # the time line of the spec's example message
    for message in (
        cosigned_message(Algorithm.ED25519, "witness.example.com/w1", text, timestamp),
        spec.ed25519_message(text, timestamp),
    ):
        assert message == EXAMPLE_MESSAGE.encode()


def test_the_example_witness_line_is_ignored_by_another_key_of_that_name() -> None:
    other = Cosigner.generate("witness.example.com/w1", Algorithm.ED25519)
    assert other.key.key_id.hex() != "8d66cf3f"
    assert verify_cosignatures(EXAMPLE_COSIGNED, [other.key]) == []
    assert spec.verify_cosignatures(EXAMPLE_COSIGNED, [spec.parse_vkey(other.key.text())]) == {}


def test_the_example_response_reads_as_signature_lines_on_the_checkpoint() -> None:
    note = EXAMPLE_CHECKPOINT + "\n" + EXAMPLE_LOG_LINE
    sigs = cosignature_lines(note, EXAMPLE_RESPONSE)
    _, spec_sigs = spec.split_note(EXAMPLE_CHECKPOINT + "\n" + EXAMPLE_RESPONSE)
    assert [(s.name, s.key_id, s.signature) for s in sigs] == [
        (s.name, s.key_id, s.signature) for s in spec_sigs
    ]
    assert [s.name for s in sigs] == ["witness.example/w1"] * 2 + ["witness.example/w2"]
    assert all(len(s.signature) == 8 + 64 for s in sigs)
    merged = add_lines(note, sigs)
    assert merged == note + EXAMPLE_RESPONSE
    assert add_lines(merged, sigs) == merged


# -- key ids and vkeys ------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_key_ids_and_vkeys_agree_both_ways(algorithm: Algorithm, key_type: int) -> None:
    for name in ("witness.example/w1", "oid/1.3.6.1.4.1.99999.1", "témoin.example/ü"):
        ours, theirs = pair(algorithm, name)
        assert ours.key.public_key == theirs.key.public_key
        assert len(ours.key.public_key) == spec.PUBLIC_KEY_BYTES[key_type]
        assert (
            ours.key.key_id
            == theirs.key.key_id
            == spec.key_id(name, key_type, theirs.key.public_key)
        )
        assert ours.key.text() == theirs.key.vkey()
        assert CosignerKey.parse(theirs.key.vkey()) == ours.key
        assert spec.parse_vkey(ours.key.text()) == theirs.key


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_malformed_cosigner_vkeys_are_refused_by_both(algorithm: Algorithm, key_type: int) -> None:
    ours, theirs = pair(algorithm)
    name, public = theirs.key.name, theirs.key.public_key

    def vkey(kind: int, material: bytes, key_name: str = name) -> str:
        kid = spec.key_id(key_name, kind, material).hex()
        return f"{key_name}+{kid}+{base64.b64encode(bytes([kind]) + material).decode()}"

    bad = [
        vkey(key_type, public[:-1]),  # one byte short
        vkey(key_type, public + b"\x00"),  # one byte long
        vkey(0x02, public),  # another signature type
        ours.key.text().replace(ours.key.key_id.hex(), ours.key.key_id.hex()[:6]),  # short id
        ours.key.text().replace(ours.key.key_id.hex(), "00000000"),  # wrong id
        ours.key.text().rstrip("=") + ("" if ours.key.text().endswith("=") else "="),
        "+" + ours.key.text().split("+", 1)[1],  # no name
        ours.key.text().split("+", 1)[1],  # no name field at all
        f"w 1+{ours.key.text().split('+', 1)[1]}",  # a space in the name
    ]
    for text in bad:
        with pytest.raises(VerificationError):
            CosignerKey.parse(text)
        with pytest.raises(spec.SpecError):
            spec.parse_vkey(text)
    # a well-formed note key of type 0x01 (a log's) is no cosigner key
    log_vkey = vkey(0x01, public[:32])
    assert spec.parse_vkey(log_vkey).signature_type == spec.TYPE_ED25519
    with pytest.raises(VerificationError, match="not a cosigner key"):
        CosignerKey.parse(log_vkey)


# -- the signed messages ----------------------------------------------------------------


@pytest.mark.parametrize("extensions", [(), ("ext one",), ("a", "b c")])
def test_signed_messages_are_byte_identical(extensions: tuple[str, ...]) -> None:
    text = checkpoint(20852163, extensions)
    name = "witness.example/w1"
    for timestamp in (1, 1679315147, spec.MAX_TIMESTAMP):
        assert cosigned_message(Algorithm.ED25519, name, text, timestamp) == spec.ed25519_message(
            text, timestamp
        )
        ml = cosigned_message(Algorithm.ML_DSA_44, name, text, timestamp)
        assert ml == spec.ml_dsa_44_message(name, timestamp, text)
        # the structure, field by field
        root = Checkpoint.parse_text(text).root
        assert ml == (
            b"subtree/v1\n\x00"
            + bytes([len(name)])
            + name.encode()
            + timestamp.to_bytes(8, "big")
            + bytes([len(ORIGIN)])
            + ORIGIN.encode()
            + (0).to_bytes(8, "big")
            + (20852163).to_bytes(8, "big")
            + root
        )


def test_ml_dsa_name_and_origin_lengths_are_counted_in_bytes() -> None:
    fits, too_long = "é" * 127 + "a", "é" * 128  # 255 and 256 bytes, 128 characters each
    for name in (fits, too_long):
        ours = Cosigner(name, Algorithm.ML_DSA_44, bytes(32))
        if name == fits:
            line = ours.line(checkpoint(), 1_700_000_000)
            assert verify_cosignatures(signed(checkpoint()) + line, [ours.key])
            assert spec.ml_dsa_44_message(name, 1, checkpoint())[12] == 255
        else:
            with pytest.raises(VerificationError, match="1 to 255 bytes"):
                ours.line(checkpoint(), 1_700_000_000)
            with pytest.raises(spec.SpecError):
                spec.ml_dsa_44_message(name, 1, checkpoint())
    long_origin = Checkpoint("o" * 256, 3, bytes(32)).text()
    with pytest.raises(VerificationError):
        cosigned_message(Algorithm.ML_DSA_44, "w", long_origin, 1)
    with pytest.raises(spec.SpecError):
        spec.ml_dsa_44_message("w", 1, long_origin)


# -- lines made by one verify in the other ------------------------------------------------


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_accordwatch_lines_verify_with_the_spec_implementation(
    algorithm: Algorithm, key_type: int
) -> None:
    for extensions in ((), ("extension line",)):
        text = checkpoint(42, extensions)
        ours, _ = pair(algorithm)
        line = ours.line(text, 1_700_000_123)
        assert line.startswith("\u2014 witness.example/w1 ")
        raw = base64.b64decode(line.split(" ")[2])
        assert len(raw) == 4 + 8 + spec.SIGNATURE_BYTES[key_type]
        note = signed(text) + line
        key = spec.parse_vkey(ours.key.text())
        assert spec.verify_cosignatures(note, [key]) == {"witness.example/w1": 1_700_000_123}
        assert spec.verify_note(note, spec.parse_vkey(LOG.verifier.text())) == text


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_spec_implementation_lines_verify_in_accordwatch(
    algorithm: Algorithm, key_type: int
) -> None:
    for extensions in ((), ("extension line",)):
        text = checkpoint(42, extensions)
        ours, theirs = pair(algorithm)
        note = signed(text) + theirs.line(text, 1_700_000_456)
        found = verify_cosignatures(note, [CosignerKey.parse(theirs.key.vkey())])
        assert [(c.key, c.timestamp) for c in found] == [(ours.key, 1_700_000_456)]
        assert Checkpoint.open(note, LOG.verifier).size == 42  # the log's line still reads


def test_ed25519_lines_are_byte_identical_in_both() -> None:
    """Ed25519 is deterministic, so the same seed gives the same line in libsodium and OpenSSL."""
    ours, theirs = pair(Algorithm.ED25519)
    for timestamp in (1, 1679315147, spec.MAX_TIMESTAMP):
        text = checkpoint(timestamp % 1000, ("x",))
        assert ours.line(text, timestamp) == theirs.line(text, timestamp)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(0, 2**63),
    timestamp=st.integers(1, 2**63 - 1),
    extensions=st.lists(st.text("abc xyz+/=", min_size=1, max_size=8), max_size=3),
    name=st.text(
        st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=20
    ).filter(lambda n: "+" not in n and not any(c.isspace() for c in n)),
)
def test_ed25519_cross_verification_property(
    size: int, timestamp: int, extensions: list[str], name: str
) -> None:
    text = checkpoint(size, tuple(extensions))
    ours = Cosigner(name, Algorithm.ED25519, hashlib.sha256(name.encode()).digest())
    theirs = spec.SpecCosigner(name, spec.TYPE_COSIGNATURE_V1, ours.seed)
    assert ours.key.text() == theirs.key.vkey()
    line = ours.line(text, timestamp)
    assert line == theirs.line(text, timestamp)
    note = signed(text) + line
    assert spec.verify_cosignatures(note, [theirs.key]) == {name: timestamp}
    assert [c.timestamp for c in verify_cosignatures(note, [ours.key])] == [timestamp]


# -- what each kind covers --------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_extension_lines_are_covered_by_ed25519_only(algorithm: Algorithm, key_type: int) -> None:
    ours, theirs = pair(algorithm)
    signed_text = checkpoint(7, ("extension: one",))
    line = ours.line(signed_text, 1_700_000_000)
    for other_text in (checkpoint(7, ("extension: two",)), checkpoint(7)):
        note = signed(other_text) + line
        if algorithm is Algorithm.ED25519:
            with pytest.raises(VerificationError, match="does not verify"):
                verify_cosignatures(note, [ours.key])
            with pytest.raises(spec.SpecError):
                spec.verify_cosignatures(note, [theirs.key])
        else:
            assert verify_cosignatures(note, [ours.key])[0].timestamp == 1_700_000_000
            assert spec.verify_cosignatures(note, [theirs.key]) == {ours.name: 1_700_000_000}
    # the first three lines are covered by both
    note = signed(checkpoint(8, ("extension: one",))) + line
    with pytest.raises(VerificationError):
        verify_cosignatures(note, [ours.key])


def test_ml_dsa_commits_to_the_cosigner_name_and_ed25519_does_not() -> None:
    """The same key renamed (with the id the new name gives) keeps only Ed25519 lines valid."""
    text = checkpoint(9)
    for algorithm, key_type in KINDS:
        ours, _ = pair(algorithm, "witness.example/a")
        renamed = spec.SpecKey("witness.example/b", key_type, ours.key.public_key)
        raw = base64.b64decode(ours.line(text, 5).split(" ")[2])
        line = spec.SignatureLine(renamed.name, renamed.key_id, raw[4:]).text()
        note = signed(text) + line
        key = CosignerKey.parse(renamed.vkey())
        if algorithm is Algorithm.ED25519:
            assert [c.timestamp for c in verify_cosignatures(note, [key])] == [5]
            assert spec.verify_cosignatures(note, [renamed]) == {renamed.name: 5}
        else:
            with pytest.raises(VerificationError):
                verify_cosignatures(note, [key])
            with pytest.raises(spec.SpecError):
                spec.verify_cosignatures(note, [renamed])


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
@pytest.mark.parametrize("timestamp", [0, 2**63, 2**64 - 1])
def test_timestamps_zero_or_above_2_63_minus_1_are_refused(
    algorithm: Algorithm, key_type: int, timestamp: int
) -> None:
    ours, theirs = pair(algorithm)
    text = checkpoint()
    with pytest.raises(VerificationError):
        ours.line(text, timestamp)
    with pytest.raises(spec.SpecError):
        theirs.line(text, timestamp)
    # a line signed with that timestamp (the signature itself valid) is refused by both
    note = signed(text) + theirs.line(text, timestamp, check=False)
    with pytest.raises(VerificationError, match="timestamp"):
        verify_cosignatures(note, [ours.key])
    with pytest.raises(spec.SpecError, match="timestamp"):
        spec.verify_cosignatures(note, [theirs.key])


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_a_known_name_with_another_key_id_is_ignored(algorithm: Algorithm, key_type: int) -> None:
    ours, theirs = pair(algorithm)
    stranger, _ = pair(algorithm)  # same name, another key
    text = checkpoint()
    note = signed(text) + stranger.line(text, 10)
    assert verify_cosignatures(note, [ours.key]) == []
    assert spec.verify_cosignatures(note, [theirs.key]) == {}
    # a line with our key id under another name is ignored too
    raw = base64.b64decode(ours.line(text, 10).split(" ")[2])
    note = signed(text) + spec.SignatureLine("witness.example/other", raw[:4], raw[4:]).text()
    assert verify_cosignatures(note, [ours.key]) == []
    assert spec.verify_cosignatures(note, [theirs.key]) == {}
    # and a good line next to the stranger's counts
    note = signed(text) + stranger.line(text, 10) + ours.line(text, 11)
    assert [c.timestamp for c in verify_cosignatures(note, [ours.key])] == [11]
    assert spec.verify_cosignatures(note, [theirs.key]) == {ours.name: 11}


def _tampered(line: str, change: int) -> str:
    """`line` with one byte of its signature (after key id and timestamp) flipped."""
    dash, name, data = line.split(" ")
    raw = bytearray(base64.b64decode(data))
    raw[4 + 8 + change] ^= 0x01
    return f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n"


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_a_known_key_with_a_bad_signature_rejects_the_note(
    algorithm: Algorithm, key_type: int
) -> None:
    ours, theirs = pair(algorithm)
    text = checkpoint()
    good = ours.line(text, 77)
    for bad in (_tampered(good, 0), _tampered(good, -5 - 4 - 8)):
        for note in (signed(text) + bad, signed(text) + good + bad, signed(text) + bad + good):
            with pytest.raises(VerificationError, match="does not verify"):
                verify_cosignatures(note, [ours.key])
            with pytest.raises(spec.SpecError):
                spec.verify_cosignatures(note, [theirs.key])
    # a good line for another checkpoint (another size) does not verify on this one
    note = signed(text) + ours.line(checkpoint(12), 77)
    with pytest.raises(VerificationError):
        verify_cosignatures(note, [ours.key])
    # another timestamp in front of a good signature does not verify either
    dash, name, data = good.split(" ")
    raw = bytearray(base64.b64decode(data))
    raw[4:12] = (78).to_bytes(8, "big")
    note = signed(text) + f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(VerificationError):
        verify_cosignatures(note, [ours.key])
    with pytest.raises(spec.SpecError):
        spec.verify_cosignatures(note, [theirs.key])


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
@pytest.mark.parametrize("change", [-1, +1, -8, -64, "other kind"])
def test_signatures_of_the_wrong_length_are_refused(
    algorithm: Algorithm, key_type: int, change: int | str
) -> None:
    ours, theirs = pair(algorithm)
    text = checkpoint()
    raw = base64.b64decode(ours.line(text, 3).split(" ")[2])
    if change == "other kind":
        other = Algorithm.ML_DSA_44 if algorithm is Algorithm.ED25519 else Algorithm.ED25519
        raw = raw[:12] + bytes(other.signature_size)
    elif isinstance(change, int) and change < 0:
        raw = raw[:change]
    else:
        raw = raw + b"\x00"
    note = signed(text) + spec.SignatureLine(ours.name, raw[:4], raw[4:]).text()
    with pytest.raises(VerificationError, match="bytes, not"):
        verify_cosignatures(note, [ours.key])
    with pytest.raises(spec.SpecError, match="length"):
        spec.verify_cosignatures(note, [theirs.key])


def test_each_key_counts_once_and_unknown_lines_are_left_alone() -> None:
    ed, ed_spec = pair(Algorithm.ED25519, "witness.example/ed")
    ml, ml_spec = pair(Algorithm.ML_DSA_44, "witness.example/ml")
    text = checkpoint()
    note = signed(text) + ed.line(text, 5) + ed.line(text, 6) + ml.line(text, 7)
    found = verify_cosignatures(note, [ed.key, ml.key])
    assert sorted((c.key.name, c.timestamp) for c in found) == [
        ("witness.example/ed", 5),
        ("witness.example/ml", 7),
    ]
    assert spec.verify_cosignatures(note, [ed_spec.key, ml_spec.key]) == {
        "witness.example/ed": 5,
        "witness.example/ml": 7,
    }
    # the log's own line is a type 0x01 line: no cosigner key matches it
    assert verify_cosignatures(signed(text), [ed.key, ml.key]) == []


@pytest.mark.parametrize(("algorithm", "key_type"), KINDS)
def test_key_files_are_standard_pkcs8_read_by_the_spec_side(
    algorithm: Algorithm, key_type: int, tmp_path: Path
) -> None:
    ours = Cosigner.generate("witness.example/file", algorithm)
    path = tmp_path / "witness.pem"
    ours.write(path)
    assert path.stat().st_mode & 0o777 == 0o600
    private = load_pem_private_key(path.read_bytes(), password=None)
    public = private.public_key().public_bytes_raw()  # type: ignore[union-attr]
    key = spec.SpecKey("witness.example/file", key_type, public)
    assert key.vkey() == ours.key.text()
    assert Cosigner.read(path, "witness.example/file").key == ours.key
    text = checkpoint()
    assert spec.verify_cosignatures(signed(text) + ours.line(text, 9), [key]) == {key.name: 9}


def test_a_key_id_is_eight_lowercase_hex_digits_as_signed_note_writes_it() -> None:
    ours = Cosigner.generate("witness.example/hex", Algorithm.ED25519)
    name, kid, material = ours.key.text().split("+", 2)
    log_name, log_kid, log_material = LOG.verifier.text().split("+", 2)
    spaced = " ".join(kid[i : i + 2] for i in range(0, 8, 2))
    for other in (kid.upper(), spaced, f" {kid}", f"0x{kid[2:]}"):
        if other == kid:
            continue
        with pytest.raises(VerificationError):
            CosignerKey.parse(f"{name}+{other}+{material}")
        with pytest.raises(spec.SpecError):
            spec.parse_vkey(f"{name}+{other}+{material}")
    for other in (log_kid.upper(), " ".join(log_kid[i : i + 2] for i in range(0, 8, 2))):
        if other == log_kid:
            continue
        with pytest.raises(VerificationError):
            Verifier.parse(f"{log_name}+{other}+{log_material}")
