"""The pure witness protocol: the add-checkpoint decision, cosignatures and fork evidence."""

from __future__ import annotations

import pytest

from accordwatch.errors import InputError, VerificationError
from accordwatch.log.cosignature import Algorithm, Cosigner, CosignerKey, verify_cosignatures
from accordwatch.log.fork import ForkEvidence
from accordwatch.log.note import split_note, valid_key_name
from accordwatch.log.witness_protocol import RefusedCheckpointError, Seen, decide
from tests.witness_logs import TestLog


def test_a_bad_line_of_one_trusted_key_refuses_the_note_though_another_verifies() -> None:
    log = TestLog()
    second = TestLog(origin=log.origin)
    note = log.note(10)
    # the second key's line, over other text: it names a trusted key and does not verify
    bad_line = second.note(11).split("\n\n", 1)[1]
    forged = note + bad_line
    trusted = {log.origin: [log.signer.verifier, second.signer.verifier]}
    request = log.request(0, 10)
    assert decide(request, trusted, None).size == 10
    with pytest.raises(RefusedCheckpointError) as refused:
        decide(type(request)(0, (), forged), trusted, None)
    assert refused.value.status == 403
    # signed by the second trusted key alone, it is cosigned
    assert decide(second.request(0, 10), trusted, None).size == 10


def test_a_signed_note_that_is_no_checkpoint_is_a_bad_request() -> None:
    log = TestLog()
    note = log.signer.sign(f"{log.origin}\nnot a size\nroot\n")
    with pytest.raises(RefusedCheckpointError) as refused:
        decide(type(log.request(0, 1))(0, (), note), {log.origin: [log.signer.verifier]}, None)
    assert refused.value.status == 400


def test_a_second_root_for_the_size_last_cosigned_is_a_fork() -> None:
    log = TestLog()
    trusted = {log.origin: [log.signer.verifier]}
    seen = Seen(16, log.tree.root(16), log.note(16))
    with pytest.raises(RefusedCheckpointError) as refused:
        decide(log.request(16, 16, root=log.tree.root(15)), trusted, seen)
    assert refused.value.status == 422 and refused.value.signed
    assert refused.value.evidence is not None
    assert "size 16" in refused.value.evidence.verify()


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_cosignatures_verify_and_name_their_key(algorithm: Algorithm) -> None:
    log = TestLog()
    cosigner = Cosigner.generate("witness.example/w1", algorithm)
    text, _ = split_note(log.note(7))
    line = cosigner.line(text, 1_700_000_000)
    key = CosignerKey.parse(cosigner.key.text())
    [cosig] = verify_cosignatures(log.note(7) + line, [key])
    assert (cosig.timestamp, cosig.key.algorithm) == (1_700_000_000, algorithm)
    with pytest.raises(VerificationError):
        cosigner.line(text, 0)
    other = Cosigner.generate("witness.example/w1", algorithm).key
    assert verify_cosignatures(log.note(7) + line, [other]) == []


def test_fork_evidence_needs_a_list_of_two_notes() -> None:
    log = TestLog()
    base = {"format": "accordwatch/fork-evidence@v1", "log_key": log.vkey}
    for checkpoints in ("ab", [1, 2], [log.note(3)]):
        with pytest.raises(InputError, match="two signed notes"):
            ForkEvidence.from_json({**base, "checkpoints": checkpoints})


def test_key_names_refuse_every_white_space_and_plus() -> None:
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    assert len(spaces) > 20
    assert not any(valid_key_name(f"a{c}b") for c in [*spaces, "+"])
    assert not valid_key_name("")
    assert valid_key_name("witness.example/w1") and valid_key_name("go.sum\u00e9")
