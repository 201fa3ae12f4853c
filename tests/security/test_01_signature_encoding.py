"""Item 1: replaying a public envelope by re-encoding its base64 fields.

Base64 with different (non-zero) pad bits, without its padding, with extra
padding, with whitespace or in the URL-safe alphabet decodes to the same
bytes. An attacker without any key took public envelopes from the log,
re-encoded their signature and posted them again: each got a new index, and
an earlier inspectorate result replayed that way turned a disputed step
back to verified. Every such encoding is refused, whatever field it is in.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.errors import InputError, VerificationError
from accordwatch.examples import example_path
from accordwatch.log.canonical import canonical_json
from accordwatch.log.envelope import Envelope, Submission
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import Verifier, split_note
from accordwatch.log.receipt import Receipt
from accordwatch.roadmap.accord_check import check_file
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import Log

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Ed25519's group order: S and S + L are the same scalar to a lax verifier
_ORDER = 2**252 + 27742317777372353535851937790883648493


def other_encodings(text: str) -> list[str]:
    """Every other spelling of the same bytes a lax base64 decoder accepts."""
    stem = text.rstrip("=")
    pad = len(text) - len(stem)
    last = _ALPHABET.index(stem[-1])
    spare_bits = {0: 0, 1: 2, 2: 4}[pad]  # bits of the last character no byte uses
    variants = [
        stem[:-1] + _ALPHABET[last ^ flip] + "=" * pad for flip in range(1, 1 << spare_bits)
    ]
    variants += [stem] if pad else []
    variants += [text + "==", text[:8] + "\n" + text[8:], text + " "]
    if "+" in text or "/" in text:
        variants.append(text.replace("+", "-").replace("/", "_"))
    return variants


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", origin="test.local/replay")


def _public_entry(client: TestClient, index: int) -> dict[str, Any]:
    """An entry as anyone reads it from the API: the envelope object it holds."""
    entry = client.get(f"/api/log/entries/{index}").json()
    envelope: dict[str, Any] = json.loads(base64.b64decode(entry["canonical"]))
    return envelope


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(
        "/api/submissions",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )


def test_a_public_envelope_replayed_with_its_signature_re_encoded_is_refused(
    ws: Workspace,
) -> None:
    log = Log.open(ws)
    log.add_party("usa", "party")
    first = log.statement("usa", "the only statement")
    client = TestClient(create_app(ws))
    envelope = _public_entry(client, first.index)
    size = log.ledger.size()

    variants = other_encodings(envelope["signature"])
    assert len(variants) >= 15 + 4  # 15 pad-bit variants and the others
    for variant in variants:
        response = _post(client, {**envelope, "signature": variant})
        assert response.status_code == 422, (variant, response.text)
        detail = response.json()["detail"]
        assert "signature" in detail and "base64" in detail, detail
        assert "\n" not in detail
    assert log.ledger.size() == size

    # the envelope exactly as published is a retry: the first receipt, nothing appended
    again = _post(client, envelope)
    assert again.status_code == 200, again.text
    assert Receipt.from_json(again.json()).index == first.index
    assert log.ledger.size() == size


def test_a_malleated_signature_scalar_is_refused(ws: Workspace) -> None:
    """S + L is the same signature to a verifier that does not reduce S first."""
    log = Log.open(ws)
    log.add_party("usa", "party")
    first = log.statement("usa", "a statement")
    client = TestClient(create_app(ws))
    envelope = _public_entry(client, first.index)
    raw = base64.b64decode(envelope["signature"])
    s = int.from_bytes(raw[32:], "little") + _ORDER
    assert s < 2**256
    forged = base64.b64encode(raw[:32] + s.to_bytes(32, "little")).decode()
    size = log.ledger.size()
    response = _post(client, {**envelope, "signature": forged})
    assert response.status_code == 401, response.text
    assert log.ledger.size() == size


def test_the_other_base64_fields_are_read_canonically_only(ws: Workspace) -> None:
    log = Log.open(ws)
    usa = log.add_party("usa", "party")
    client = TestClient(create_app(ws))
    size = log.ledger.size()

    # an opening's salt: the same commitment, another spelling of the salt
    secret = log.seal("usa", "statement", {"subject": "in confidence"}, confidential=True)
    body = secret.to_json()
    for variant in other_encodings(body["opening"]["salt"]):
        response = _post(client, {**body, "opening": {**body["opening"], "salt": variant}})
        assert response.status_code == 422, (variant, response.text)
        assert "salt" in response.json()["detail"]
    # a commitment in another spelling: signed as it is, refused all the same
    commitment = secret.envelope.commitment
    assert commitment is not None
    for variant in other_encodings(commitment.removeprefix("sha256:")):
        obj = {**secret.envelope.body(), "commitment": "sha256:" + variant}
        resigned = _resign(obj, usa)
        response = _post(client, {"envelope": resigned, "opening": body["opening"]})
        assert response.status_code == 422, (variant, response.text)
        assert "commitment" in response.json()["detail"]
    assert log.ledger.size() == size

    # a public key in a key registration, signed by the registrar itself
    new_key = SigningKey.generate()
    public = base64.b64encode(new_key.public_key).decode()
    for variant in other_encodings(public)[:3]:
        registration = log.seal(
            ws.settings.registrar,
            "key.register",
            {"party": "usa", "key_id": new_key.key_id, "public_key": variant},
        )
        response = _post(client, registration.to_json())
        assert response.status_code == 422, (variant, response.text)
        assert "public key" in response.json()["detail"]
    assert log.ledger.size() == size

    # the signature line of a checkpoint and the hashes of a receipt
    receipt = log.statement("usa", "public").to_json()
    text, sigs = split_note(receipt["checkpoint"])
    line = receipt["checkpoint"][len(text) + 1 :]
    encoded = line.rstrip("\n").rsplit(" ", 1)[1]
    for variant in other_encodings(encoded):
        if "\n" in variant or " " in variant:
            continue  # the line format itself already refuses those
        with pytest.raises(VerificationError, match="base64"):
            split_note(text + "\n" + line.replace(encoded, variant))
    for variant in other_encodings(receipt["leaf_hash"]):
        with pytest.raises(InputError, match="base64"):
            Receipt.from_json({**receipt, "leaf_hash": variant})
    vkey = log.ledger.signer.verifier.text()
    for variant in other_encodings(vkey.rsplit("+", 1)[1]):
        if "\n" in variant or " " in variant:
            continue  # parse() strips the ends
        with pytest.raises(VerificationError, match="base64"):
            Verifier.parse(vkey.rsplit("+", 1)[0] + "+" + variant)
    assert sigs


def _resign(obj: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    signature = key.sign(canonical_json(obj))
    return {**obj, "signature": base64.b64encode(signature).decode()}


def test_a_replayed_inspectorate_result_cannot_turn_a_disputed_step_verified(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(ws.home)]
    accord = example_path("generic-tutorial")
    parsed = check_file(accord).accord
    assert parsed is not None
    roles = {"inspected": "declarant", "counterpart": "party", "inspectorate": "inspectorate"}
    for party in parsed.parties:
        main([*home, "party", "add", party.id, "--role", roles[party.role.value]])
        main([*home, "key", "new", "--party", party.id])
    for party in parsed.parties:
        main([*home, "accord", "sign", str(accord), "--as", party.id])
    step = parsed.steps[0]
    by = step.verification.by
    main([*home, "step", "report", step.id, "--on", "2025-01-10", "--as", step.party])
    main(
        [*home, "step", "verify", step.id, "--as", by, "--result", "verified", "--on", "2025-01-12"]
    )
    verified_at = ws.ledger().size() - 1
    dispute = ["--result", "not-verified", "--finding", "the plant still runs"]
    main([*home, "step", "verify", step.id, "--as", by, *dispute, "--on", "2025-01-12"])

    def status() -> str:
        capsys.readouterr()
        main([*home, "status", "--format", "json"])
        steps = json.loads(capsys.readouterr().out)["steps"]
        return str({s["id"]: s["status"] for s in steps}[step.id])

    disputed = status()
    assert disputed != "verified"
    client = TestClient(create_app(ws))
    envelope = _public_entry(client, verified_at)
    assert envelope["record_type"] == "step.verification"
    size = ws.ledger().size()
    codes = [
        _post(client, {**envelope, "signature": variant}).status_code
        for variant in other_encodings(envelope["signature"])
    ]
    assert status() == disputed
    assert set(codes) == {422}
    assert ws.ledger().size() == size
    main([*home, "log", "audit"])


def test_an_entry_stored_with_a_re_encoded_signature_fails_the_audit(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log that took such a replay before it was refused does not audit clean."""
    log = Log.open(ws)
    log.add_party("usa", "party")
    original = log.seal("usa", "statement", {"subject": "replayed"})
    log.ledger.submit(original)
    obj = original.envelope.to_json()
    obj["signature"] = other_encodings(obj["signature"])[0]
    env = original.envelope
    replay = Envelope(
        log=env.log,
        record_type=env.record_type,
        schema_version=env.schema_version,
        party=env.party,
        key_id=env.key_id,
        time=env.time,
        time_text=env.time_text,
        payload=env.payload,
        commitment=None,
        signature=env.signature,
        canonical=canonical_json(obj),
        signed=env.signed,
    )
    index = log.ledger.submit(Submission(replay)).index
    assert index == log.ledger.size() - 1
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--home", str(ws.home), "log", "audit"])
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert f"entry {index}" in err and "base64" in err, err
