"""Item 3: the offline audit of a confidential entry held without its opening.

An export holds confidential entries as commitments only, so `log audit
--file` cannot read their payloads. The attacker (the operator, who holds the
log's key, and with it an observer's real key) appends a forged confidential
entry to an export of the log and signs a checkpoint over it: a confidential
`key.revoke` by the observer for another log's origin, and variants that each
break one rule the audit can check without the payload. Every one must fail
the audit, naming the entry, where before only its key and signature were
checked and the audit said "ok".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accordwatch.log.canonical import canonical_json
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import CompactRange, leaf_hash
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Run, one_line_error
from tests.security._audit_cli import run_cli


@dataclass
class Exported:
    home: Path
    export: Path
    capsys: pytest.CaptureFixture[str]

    def aw(self, *args: str | Path) -> Run:
        return run_cli(self.capsys, "--home", self.home, *args)

    def key_of(self, party: str) -> SigningKey:
        (path,) = (self.home / "keys" / party).glob("*.key")
        return SigningKey.read(path)


@pytest.fixture
def exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Exported:
    home = tmp_path / "ws"
    assert run_cli(capsys, "init", "--home", home).code == 0
    done = Exported(home, tmp_path / "log.jsonl", capsys)
    for party, role in (("dprk", "declarant"), ("watcher", "observer")):
        assert done.aw("party", "add", party, "--role", role).code == 0
        assert done.aw("key", "new", "--party", party).code == 0
    draft = tmp_path / "secret.yaml"
    draft.write_text(
        "record_type: statement\nconfidential: true\npayload:\n  subject: site inventory\n",
        "utf-8",
    )
    assert done.aw("submit", draft, "--as", "dprk").code == 0
    assert done.aw("log", "export", done.export).code == 0
    ok = done.aw("log", "audit", "--file", done.export)
    assert ok.code == 0, ok.err
    assert "audit ok: 6 entries" in ok.flat
    assert (
        json.loads(done.aw("log", "audit", "--file", done.export, "--json").out)[
            "confidential_unopened"
        ]
        == 1
    )
    return done


def _forge(exported: Exported, envelope: dict[str, Any]) -> Path:
    """The export with `envelope` appended as the next entry, under a checkpoint the log signed."""
    lines = exported.export.read_text("utf-8").splitlines()
    header = json.loads(lines[0])
    count = header["checkpoints"]
    entries = [json.loads(line) for line in lines[1 + count :]]
    index = len(entries)
    entries.append({"index": index, "envelope": envelope})
    compact = CompactRange()
    for entry in entries:
        compact.append(leaf_hash(canonical_json(entry["envelope"])))
    signer = Workspace.open(exported.home).log_signer()
    note = Checkpoint(signer.name, compact.size, compact.root()).sign(signer)
    header.update(size=compact.size, checkpoints=count + 1)
    out = [json.dumps(header), *lines[1 : 1 + count]]
    out.append(json.dumps({"checkpoint_size": compact.size, "checkpoint": note}))
    out += [json.dumps(entry) for entry in entries]
    forged = exported.export.with_name("forged.jsonl")
    forged.write_text("\n".join(out) + "\n", "utf-8")
    return forged


def _confidential(
    exported: Exported, *, record_type: str, payload: dict[str, Any], log: str | None = None
) -> dict[str, Any]:
    """A confidential envelope signed with the observer's real key."""
    origin = Workspace.open(exported.home).settings.origin
    assert origin
    return seal(
        log=log or origin,
        record_type=record_type,
        party="watcher",
        key=exported.key_of("watcher"),
        time=utc_now(),
        payload=payload,
        confidential=True,
    ).envelope.to_json()


def _revoke_payload(exported: Exported) -> dict[str, Any]:
    return {"party": "dprk", "key_id": exported.key_of("dprk").key_id, "reason": "forged"}


Attack = Callable[[Exported], dict[str, Any]]
ATTACKS: dict[str, tuple[Attack, tuple[str, ...]]] = {
    # as the review found it: a confidential key.revoke, by the observer, for another log
    "key-revoke-for-another-log": (
        lambda e: _confidential(
            e, record_type="key.revoke", payload=_revoke_payload(e), log="another.example/log"
        ),
        ("key.revoke records cannot be confidential",),
    ),
    "key-revoke": (
        lambda e: _confidential(e, record_type="key.revoke", payload=_revoke_payload(e)),
        ("key.revoke records cannot be confidential",),
    ),
    "another-log": (
        lambda e: _confidential(
            e, record_type="statement", payload={"subject": "x"}, log="another.example/log"
        ),
        ("envelope is for log 'another.example/log'",),
    ),
    "unknown-record-type": (
        lambda e: _confidential(e, record_type="treaty.shred", payload={"subject": "x"}),
        ("unknown record type 'treaty.shred'",),
    ),
    "role-may-not-submit": (
        lambda e: _confidential(e, record_type="declaration", payload={"subject": "x"}),
        ("'watcher' (observer) may not submit declaration",),
    ),
    "party-register": (
        lambda e: _confidential(
            e, record_type="party.register", payload={"name": "m", "role": "inspectorate"}
        ),
        ("party.register records cannot be confidential",),
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_forged_unopened_confidential_entry_fails_the_offline_audit(
    exported: Exported, attack: str
) -> None:
    make, needles = ATTACKS[attack]
    forged = _forge(exported, make(exported))
    one_line_error(exported.aw("log", "audit", "--file", forged), "entry 6", *needles)
    one_line_error(exported.aw("log", "audit", "--file", forged, "--json"), "entry 6")


def test_a_genuine_unopened_confidential_entry_still_audits(exported: Exported) -> None:
    """The control: the same forging, of an entry the observer may make, audits clean."""
    forged = _forge(
        exported, _confidential(exported, record_type="statement", payload={"subject": "seen"})
    )
    run = exported.aw("log", "audit", "--file", forged)
    assert run.code == 0, run.err
    assert "audit ok: 7 entries, 7 signed checkpoints" in run.flat
    assert "2 confidential entries checked without their payload" in run.flat
