"""Confidential openings sealed to their readers' encryption keys.

A workspace made before sealing holds a declaration's opening in plaintext;
`openings seal` encrypts it to its readers and leaves no trace of it in any
file of the workspace (database, write-ahead log, export). The inspectorate
reads it with its own key, a counterpart cannot, and an inspectorate added
later reads it only once a reader shares it. A declaration submitted once
every reader has a key is sealed on the submitter's side and never stored in
plaintext.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.catalog import CATALOG
from accordwatch.cli import main
from accordwatch.errors import VerificationError
from accordwatch.examples import example_path as accord_path
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.roles import Role
from accordwatch.log.sealed_opening import SealedOpening
from accordwatch.log.sealing import (
    Recipient,
    current_recipient,
    open_sealed,
    seal_opening,
    sealed_problem,
)
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import make_token
from accordwatch.store.sealed import plaintext_count, sealed_for
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace, init_workspace

MARKER = "SEALMARKER-5c1e9a"


def run(ws: Workspace, *args: str) -> None:
    main(["--home", str(ws.home), *args])


def fails(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(["--home", str(ws.home), *args])
    assert caught.value.code != 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return out.out + out.err


def _workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Workspace:
    ws = init_workspace(tmp_path / "ws", origin="test.local/log")
    for party, role in (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate")):
        run(ws, "party", "add", party, "--role", role)
        run(ws, "key", "new", "--party", party)
    for party in ("usa", "iaea", "dprk"):
        run(ws, "accord", "sign", str(accord_path("dprk-roadmap")), "--as", party)
    capsys.readouterr()
    return ws


def _declaration(tmp_path: Path) -> Path:
    path = tmp_path / "dprk-nuclear.yaml"
    main(["declaration", "example", "dprk-nuclear", "--out", str(path)])
    text = path.read_text()
    assert "  Illustrative example, not a real declaration" in text
    path.write_text(text.replace("  Illustrative example,", f"  {MARKER} Illustrative example,"))
    return path


def _encryption_keys(ws: Workspace, *parties: str) -> None:
    for party in parties:
        run(ws, "key", "new", "--party", party, "--purpose", "encryption")


def _files_holding(folder: Path, marker: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and marker in p.read_bytes()]


def _show(ws: Workspace, capsys: pytest.CaptureFixture[str], party: str) -> str:
    run(ws, "declaration", "show", "dprk-nuclear-2020-12", "--as", party, "--format", "json")
    return capsys.readouterr().out


def test_openings_seal_leaves_no_plaintext_and_readers_read_with_their_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    run(ws, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk")
    entry = ws.ledger().size() - 1
    capsys.readouterr()
    # Before any encryption key: stored in plaintext as before, and the audit says so.
    assert _files_holding(ws.home, MARKER.encode())
    run(ws, "log", "audit")
    assert "1 confidential opening(s) still in plaintext" in capsys.readouterr().out
    assert MARKER in _show(ws, capsys, "iaea")

    _encryption_keys(ws, "dprk", "usa", "iaea")
    capsys.readouterr()
    # Every reader has a key now: a plaintext opening left is the audit's failure.
    text = fails(ws, capsys, "log", "audit")
    assert "held in plaintext though every reader has an encryption key" in text

    run(ws, "openings", "seal")
    assert "sealed 1 opening(s) to their readers (2 ciphertexts)" in capsys.readouterr().out
    ledger = ws.ledger()
    assert plaintext_count(ledger) == 0
    assert sorted(s.party for s in sealed_for(ledger, entry)) == ["dprk", "iaea"]
    export = ws.home / "export.jsonl"
    run(ws, "log", "export", str(export))
    run(ws, "log", "audit")
    out = capsys.readouterr().out
    assert "1 confidential entries sealed to their readers" in out
    assert '"sealed":[' in export.read_text()
    run(ws, "log", "audit", "--file", str(export))
    capsys.readouterr()
    # No file of the workspace holds the marker: database, WAL, keys, export.
    assert _files_holding(ws.home, MARKER.encode()) == []

    # The inspectorate and the declarant read it with their own keys; a counterpart cannot.
    assert MARKER in _show(ws, capsys, "iaea")
    assert MARKER in _show(ws, capsys, "dprk")
    text = fails(ws, capsys, "declaration", "show", str(entry), "--as", "usa")
    assert "may not read it" in text and MARKER not in text
    # An inspectorate added later has a key but no ciphertext, until a reader shares it.
    run(ws, "party", "add", "iaea2", "--role", "inspectorate")
    run(ws, "key", "new", "--party", "iaea2")
    _encryption_keys(ws, "iaea2")
    capsys.readouterr()
    text = fails(ws, capsys, "declaration", "show", str(entry), "--as", "iaea2")
    assert "sealed to its readers and not to a key iaea2 holds" in text
    text = fails(ws, capsys, "share", str(entry), "--with", "iaea2", "--as", "usa")
    assert "usa cannot read this entry, so it cannot share it" in text
    # A share is anyone's entry: the log refuses one that names another commitment, and
    # one whose ciphertext does not open stops no real share from being read.
    ledger = ws.ledger()
    commitment = Envelope.from_bytes(ledger.entry(entry).envelope).commitment
    key = ledger.registry().current_key("iaea2", KeyPurpose.ENCRYPTION)
    assert commitment is not None and key is not None
    bogus = {"entry": entry, "party": "iaea2", "key_id": key.key_id, "ciphertext": "AAAA"}
    draft = tmp_path / "share.json"
    for named, refusal in ((entry - 1, "is public: it has no opening"), (entry, None)):
        payload = {**bogus, "entry": named, "commitment": commitment}
        draft.write_text(json.dumps({"record_type": "opening.share", "payload": payload}))
        if refusal is None:
            run(ws, "submit", str(draft), "--as", "usa")
        else:
            assert refusal in fails(ws, capsys, "submit", str(draft), "--as", "usa")
    capsys.readouterr()
    run(ws, "share", str(entry), "--with", "iaea2", "--as", "iaea")
    assert "sealed the opening of entry" in capsys.readouterr().out
    assert MARKER in _show(ws, capsys, "iaea2")
    text = fails(ws, capsys, "share", str(entry), "--with", "iaea", "--as", "dprk")
    assert "its submitter sealed the opening to iaea's key" in text
    run(ws, "log", "audit")
    run(ws, "rebuild")
    capsys.readouterr()
    assert _files_holding(ws.home, MARKER.encode()) == []


def test_a_declaration_is_sealed_on_the_submitters_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    _encryption_keys(ws, "dprk", "usa", "iaea")
    run(ws, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk")
    entry = ws.ledger().size() - 1
    capsys.readouterr()
    ledger = ws.ledger()
    assert plaintext_count(ledger) == 0
    assert len(sealed_for(ledger, entry)) == 2
    # the plaintext never reached the log: neither the database nor its WAL holds it
    assert _files_holding(ws.home, MARKER.encode()) == []
    run(ws, "openings", "seal")
    assert "nothing to seal" in capsys.readouterr().out
    assert MARKER in _show(ws, capsys, "iaea")
    assert json.loads(_show(ws, capsys, "dprk"))["id"] == "dprk-nuclear-2020-12"
    run(ws, "log", "audit", "--format", "json")
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["confidential_sealed"] == 1
    assert result["plaintext_openings"] == 0
    # A submitter may add readers, not leave one out, nor seal to a key not the reader's.
    registry = ws.ledger().registry()
    dprk, iaea = (current_recipient(registry, p) for p in ("dprk", "iaea"))
    assert dprk is not None and iaea is not None
    own = [SealedOpening("dprk", dprk.key_id, b"x")]
    problem = sealed_problem(CATALOG, "declaration", "dprk", own, registry)
    assert problem == "the opening is not sealed to iaea, a reader of declaration"
    wrong = [*own, SealedOpening("iaea", dprk.key_id, b"x")]
    problem = sealed_problem(CATALOG, "declaration", "dprk", wrong, registry)
    assert problem == f"key {dprk.key_id} is not the current encryption key of party 'iaea'"
    both = [*own, SealedOpening("iaea", iaea.key_id, b"x")]
    assert sealed_problem(CATALOG, "declaration", "dprk", both, registry) is None
    draft = tmp_path / "note.yaml"
    draft.write_text("record_type: statement\nconfidential: true\npayload: {subject: s}\n")
    signed = tmp_path / "signed.json"
    run(ws, "envelope", "sign", str(draft), "--as", "usa", "--out", str(signed))
    doc = json.loads(signed.read_text())
    assert [s["party"] for s in doc["sealed"]] == ["usa"] and "opening" not in doc
    doc["sealed"][0]["party"] = "dprk"
    signed.write_text(json.dumps(doc))
    text = fails(ws, capsys, "submit", str(signed))
    assert "is not the current encryption key of party 'dprk'" in text


def test_a_sealed_opening_opens_only_with_its_key_for_its_entry() -> None:
    opening = Opening(b"s" * 32, {"text": MARKER})
    commitment = opening.commitment()
    reader, other = EncryptionKey.generate(), EncryptionKey.generate()
    recipient = Recipient("iaea", reader.key_id, reader.public_key)
    (sealed,) = seal_opening(opening, "test.local/log", commitment, [recipient])
    assert MARKER.encode() not in sealed.ciphertext
    assert open_sealed(sealed, reader, "test.local/log", commitment, where="t") == opening
    with pytest.raises(VerificationError, match="does not decrypt"):
        open_sealed(sealed, other, "test.local/log", commitment, where="t")
    with pytest.raises(VerificationError, match="does not decrypt"):
        open_sealed(sealed, reader, "other.example/log", commitment, where="t")
    elsewhere = Opening(b"t" * 32, {"text": "x"}).commitment()
    with pytest.raises(VerificationError, match="does not decrypt"):
        open_sealed(sealed, reader, "test.local/log", elsewhere, where="t")
    # a ciphertext of another opening, sealed for this commitment, is refused on opening
    (forged,) = seal_opening(
        Opening(b"u" * 32, {"text": "forged"}), "test.local/log", commitment, [recipient]
    )
    with pytest.raises(VerificationError, match="does not match the commitment"):
        open_sealed(forged, reader, "test.local/log", commitment, where="t")


def test_seal_refuses_while_a_reader_has_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    run(ws, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk")
    _encryption_keys(ws, "dprk")
    capsys.readouterr()
    text = fails(ws, capsys, "openings", "seal")
    assert "no encryption key registered for iaea" in text
    assert plaintext_count(ws.ledger()) == 1


def test_anyone_downloads_the_ciphertexts_and_a_token_reads_with_its_partys_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    _encryption_keys(ws, "dprk", "usa", "iaea")
    run(ws, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk")
    entry = ws.ledger().size() - 1
    client = TestClient(create_app(ws))
    sealed = client.get(f"/api/log/entries/{entry}/sealed")
    assert sealed.status_code == 200 and MARKER not in sealed.text
    body = sealed.json()
    assert body["commitment"].startswith("sha256:")
    assert sorted(s["party"] for s in body["sealed"]) == ["dprk", "iaea"]
    assert client.get("/api/log/entries/0/sealed").status_code == 404
    now = utc_now()
    store = TokenStore(ws.ledger().engine, ws.ledger().url)
    for seed, (party, role) in enumerate((("iaea", Role.INSPECTORATE), ("usa", Role.PARTY))):
        token = make_token(bytes([seed + 1]) * 32)
        store.add(token, party, role, now - timedelta(days=1), now + timedelta(days=1))
        got = client.get(f"/api/log/entries/{entry}", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200
        assert got.json()["readable"] is (party == "iaea")
        assert (MARKER in got.text) is (party == "iaea")


def test_openings_seal_on_both_databases(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for party, role in (("dprk", "declarant"), ("iaea", "inspectorate"), ("usa", "party")):
        run(workspace, "party", "add", party, "--role", role)
        run(workspace, "key", "new", "--party", party)
    draft = tmp_path / "note.json"
    note = {"subject": "private", "text": MARKER}
    doc = {"record_type": "statement", "confidential": True, "payload": note}
    draft.write_text(json.dumps(doc))
    run(workspace, "submit", str(draft), "--as", "dprk")
    _encryption_keys(workspace, "dprk", "iaea", "usa")
    run(workspace, "openings", "seal")
    assert "sealed 1 opening(s) to their readers (1 ciphertexts)" in capsys.readouterr().out
    ledger = workspace.ledger()
    entry = ledger.size() - 1 - 3  # before the three encryption keys
    assert plaintext_count(ledger) == 0 and len(sealed_for(ledger, entry)) == 1
    run(workspace, "share", str(entry), "--with", "usa", "--as", "dprk")
    run(workspace, "log", "get", str(entry), "--as", "usa", "--format", "json")
    assert MARKER in capsys.readouterr().out
    text = fails(workspace, capsys, "log", "get", str(entry), "--as", "iaea")
    assert "may not read it" in text and MARKER not in text
    # The readers a draft names are sealed to on the submitter's side.
    draft.write_text(json.dumps({**doc, "readers": ["iaea"]}))
    run(workspace, "submit", str(draft), "--as", "dprk")
    named = workspace.ledger().size() - 1
    capsys.readouterr()
    assert sorted(s.party for s in sealed_for(workspace.ledger(), named)) == ["dprk", "iaea"]
    run(workspace, "log", "get", str(named), "--as", "iaea", "--format", "json")
    assert json.loads(capsys.readouterr().out)["payload"]["text"] == MARKER
    assert plaintext_count(workspace.ledger()) == 0
    run(workspace, "log", "audit")
    assert "2 confidential entries sealed to their readers" in capsys.readouterr().out


def test_a_workspace_made_before_sealing_is_upgraded_and_sealed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from accordwatch.store import migrate

    ws = _workspace(tmp_path, capsys)
    run(ws, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk")
    # the schema as it was before sealing: no table for ciphertexts, the opening in plaintext
    migrate.downgrade(ws.engine(), "0004_cosignatures")
    assert migrate.current_revision(ws.engine()) == "0004_cosignatures"
    assert _files_holding(ws.home, MARKER.encode())
    capsys.readouterr()
    text = fails(ws, capsys, "openings", "seal")
    assert "db upgrade" in text and len(text.strip().splitlines()) == 1, text
    run(ws, "db", "upgrade")
    _encryption_keys(ws, "dprk", "usa", "iaea")
    capsys.readouterr()
    run(ws, "openings", "seal")
    assert "sealed 1 opening(s)" in capsys.readouterr().out
    run(ws, "log", "audit")
    capsys.readouterr()
    assert _files_holding(ws.home, MARKER.encode()) == []
    assert MARKER in _show(ws, capsys, "iaea")
