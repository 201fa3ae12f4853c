"""Item 4: `log audit --file` and the key it checks the export with.

An export carries its log's key in its header, and the audit used to check
the checkpoints with that key: an export re-signed with a new key and cut to
60 entries audited "ok". Now the audit says which key it trusted and that it
came from the file, the genesis entry (signed by the registrar) must name the
key the checkpoints are checked with, and `--log-key` (the key `accordwatch
log key` prints, obtained out of band) makes any other key fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accordwatch.log.canonical import canonical_json
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import Envelope, seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import CompactRange, leaf_hash
from accordwatch.log.note import NoteSigner
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import Log, Run, one_line_error
from tests.security._audit_cli import run_cli

CUT = 60


@dataclass
class Exported:
    ws: Workspace
    export: Path
    #: the log's own key, as `accordwatch log key` prints it
    log_key: str
    capsys: pytest.CaptureFixture[str]

    def audit(self, export: Path, *more: str) -> Run:
        return run_cli(self.capsys, "log", "audit", "--file", export, *more)


@pytest.fixture
def exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Exported:
    ws = init_workspace(tmp_path / "ws")
    log = Log.open(ws)
    log.add_party("dprk", "declarant")
    log.add_party("iaea", "inspectorate")
    for i in range(70):
        log.statement("dprk" if i % 2 else "iaea", f"statement {i}")
    log.ledger.engine.dispose()
    export = tmp_path / "log.jsonl"
    assert run_cli(capsys, "--home", ws.home, "log", "export", export).code == 0
    log_key = run_cli(capsys, "--home", ws.home, "log", "key").out.strip()
    return Exported(ws, export, log_key, capsys)


def _read(export: Path) -> tuple[dict[str, Any], list[tuple[int, str]], list[dict[str, Any]]]:
    lines = export.read_text("utf-8").splitlines()
    header = json.loads(lines[0])
    count = header["checkpoints"]
    checkpoints = [json.loads(line) for line in lines[1 : 1 + count]]
    entries = [json.loads(line) for line in lines[1 + count :]]
    return header, [(c["checkpoint_size"], c["checkpoint"]) for c in checkpoints], entries


def _resign(
    exported: Exported, signer: NoteSigner, entries: list[dict[str, Any]], sizes: list[int]
) -> Path:
    """The entries under checkpoints of `sizes` signed by `signer`, the header naming its key."""
    header, _, _ = _read(exported.export)
    wanted, notes = set(sizes), []
    compact = CompactRange()
    for entry in entries:
        compact.append(leaf_hash(canonical_json(entry["envelope"])))
        if compact.size in wanted:
            note = Checkpoint(signer.name, compact.size, compact.root()).sign(signer)
            notes.append({"checkpoint_size": compact.size, "checkpoint": note})
    header.update(log_key=signer.verifier.text(), size=len(entries), checkpoints=len(notes))
    out = [json.dumps(header), *map(json.dumps, notes), *map(json.dumps, entries)]
    forged = exported.export.with_name("resigned.jsonl")
    forged.write_text("\n".join(out) + "\n", "utf-8")
    return forged


def _cut_and_resign(exported: Exported, *, genesis_too: bool) -> tuple[Path, NoteSigner]:
    """As the review did: cut to 60 entries and sign the checkpoints with a new key.

    With `genesis_too`, the genesis entry is signed again by the registrar
    (whose key the operator holds) so that it names the new key.
    """
    _, checkpoints, entries = _read(exported.export)
    origin = exported.ws.settings.origin
    assert origin
    new = NoteSigner(origin, SigningKey.generate())
    entries = entries[:CUT]
    if genesis_too:
        genesis = Envelope.from_json(entries[0]["envelope"])
        assert genesis.payload is not None
        registrar = exported.ws.settings.registrar
        (key_file,) = (exported.ws.keys_dir / registrar).glob("*.key")
        entries[0]["envelope"] = seal(
            log=origin,
            record_type="log.genesis",
            party=registrar,
            key=SigningKey.read(key_file),
            time=genesis.time,
            payload={**genesis.payload, "log_key": new.verifier.text()},
        ).envelope.to_json()
    sizes = [size for size, _ in checkpoints if size <= CUT] + [CUT]
    return _resign(exported, new, entries, sizes), new


def test_the_genuine_export_names_the_key_it_trusted(exported: Exported) -> None:
    run = exported.audit(exported.export)
    assert run.code == 0, run.err
    assert "audit ok: 75 entries, 75 signed checkpoints" in run.flat
    assert f"log key trusted from the file: {exported.log_key}" in run.flat
    report = json.loads(exported.audit(exported.export, "--json").out)
    assert report["log_key"] == exported.log_key
    assert report["log_key_from"] == "file"
    checked = exported.audit(exported.export, "--log-key", exported.log_key)
    assert checked.code == 0, checked.err
    assert f"log key (--log-key): {exported.log_key}" in checked.flat


def test_resigned_and_cut_export_fails(exported: Exported) -> None:
    """New checkpoint key, 60 entries: the genesis still names the log's own key."""
    forged, new = _cut_and_resign(exported, genesis_too=False)
    one_line_error(exported.audit(forged), "entry 0", "genesis", new.verifier.text())
    one_line_error(
        exported.audit(forged, "--log-key", exported.log_key),
        new.verifier.text(),
        exported.log_key,
    )


def test_resigned_cut_export_with_a_new_genesis_is_caught_by_the_log_key(
    exported: Exported,
) -> None:
    """A whole new log (the registrar's genesis signed again): only the key told apart can tell."""
    forged, new = _cut_and_resign(exported, genesis_too=True)
    trusting = exported.audit(forged)
    assert trusting.code == 0, trusting.err
    assert f"audit ok: {CUT} entries" in trusting.flat
    # it says which key it trusted, and that only the file vouches for it
    assert f"log key trusted from the file: {new.verifier.text()}" in trusting.flat
    assert exported.log_key not in trusting.flat
    one_line_error(
        exported.audit(forged, "--log-key", exported.log_key),
        "--log-key",
        new.verifier.text(),
        exported.log_key,
    )


def test_header_naming_another_key_fails_with_the_log_key(exported: Exported) -> None:
    """Only the header's key changed: the checkpoints are the log's, but the file lies."""
    header, checkpoints, entries = _read(exported.export)
    other = NoteSigner("another.example", SigningKey.generate()).verifier.text()
    header["log_key"] = other
    lied = exported.export.with_name("lied.jsonl")
    lines = [json.dumps(header)]
    lines += [json.dumps({"checkpoint_size": s, "checkpoint": n}) for s, n in checkpoints]
    lines += [json.dumps(e) for e in entries]
    lied.write_text("\n".join(lines) + "\n", "utf-8")
    one_line_error(exported.audit(lied, "--log-key", exported.log_key), other)


def test_another_logs_key_fails(exported: Exported, tmp_path: Path) -> None:
    stranger = init_workspace(tmp_path / "other")
    other_key = stranger.log_signer().verifier.text()
    one_line_error(exported.audit(exported.export, "--log-key", other_key), other_key)
    # and the database audit, told to expect another key, fails the same way
    one_line_error(
        run_cli(
            exported.capsys, "--home", exported.ws.home, "log", "audit", "--log-key", other_key
        ),
        other_key,
    )


def test_entries_no_checkpoint_covers_are_pointed_out(exported: Exported) -> None:
    """Checkpoints dropped from the end: the last entries are vouched for by no signed root."""
    header, checkpoints, entries = _read(exported.export)
    kept = [(s, n) for s, n in checkpoints if s <= 70]
    header["checkpoints"] = len(kept)
    trimmed = exported.export.with_name("trimmed.jsonl")
    lines = [json.dumps(header)]
    lines += [json.dumps({"checkpoint_size": s, "checkpoint": n}) for s, n in kept]
    lines += [json.dumps(e) for e in entries]
    trimmed.write_text("\n".join(lines) + "\n", "utf-8")
    run = exported.audit(trimmed, "--log-key", exported.log_key)
    assert run.code == 0, run.err
    assert "entries 70..74 come after the last signed checkpoint" in run.flat
    assert json.loads(exported.audit(trimmed, "--json").out)["signed_size"] == 70
