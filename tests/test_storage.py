"""The ledger on both databases: migrations, appends, receipts, keys, projections."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accordwatch.catalog import CATALOG
from accordwatch.errors import AuthorityError, ConflictError, InputError, NotFoundError
from accordwatch.log.audit import audit
from accordwatch.log.canonical import canonical_json
from accordwatch.log.envelope import Envelope, commit
from accordwatch.log.export import read_export, write_export
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import verify_consistency
from accordwatch.log.note import Verifier
from accordwatch.store import migrate
from accordwatch.store.auditing import audit_database
from accordwatch.store.rebuild import rebuild
from accordwatch.store.revision import HEAD_REVISION, stored_revision
from accordwatch.store.schema import metadata, openings
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log


def test_migrations_match_the_declared_tables(workspace: Workspace) -> None:
    engine = workspace.engine()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert migrate.current_revision(engine) == migrate.head_revision() == HEAD_REVISION
    assert stored_revision(engine) == HEAD_REVISION


def test_downgrade_and_upgrade_again(workspace: Workspace) -> None:
    engine = workspace.engine()
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        assert "entries" not in sa.inspect(conn).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision() == HEAD_REVISION
    assert stored_revision(engine) == HEAD_REVISION


def test_append_prove_and_receipts_verify(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    receipts = [log.statement("dprk", f"statement {i}") for i in range(20)]
    batch = log.ledger.append(
        [log.seal("dprk", "statement", {"subject": f"b{i}"}) for i in range(30)]
    )
    assert [e.index for e in batch.entries] == list(range(23, 53))
    verifier = log.ledger.signer.verifier
    for receipt in receipts:
        receipt.verify(verifier, log.ledger.entry(receipt.index).envelope)
        again = log.ledger.receipt(receipt.index, at="latest")
        assert again.tree_size == 53
        again.verify(verifier)
    for first in (1, 7, 22, 40):
        size, proof = log.ledger.prove_consistency(first)
        verify_consistency(first, size, log.ledger.root(first), log.ledger.root(size), proof)
    assert audit_database(log.ledger).size == 53


def test_same_envelope_twice_returns_the_first_receipt(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    submission = log.seal("usa", "statement", {"subject": "once"})
    first = log.ledger.submit(submission)
    log.statement("usa", "another")
    size = log.ledger.size()
    second = log.ledger.submit(submission)
    assert second == first
    assert log.ledger.size() == size


def test_batch_is_all_or_nothing(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    size = log.ledger.size()
    good = log.seal("usa", "statement", {"subject": "fine"})
    bad = log.seal("usa", "statement", {"subject": ""})  # subject may not be empty
    with pytest.raises(InputError, match="#2"):
        log.ledger.append([good, bad])
    assert log.ledger.size() == size


def test_revoked_key_is_refused_but_earlier_entries_stay_valid(workspace: Workspace) -> None:
    log = Log.open(workspace)
    old = log.add_party("dprk", "declarant")
    before = log.statement("dprk", "signed with the old key")
    new = SigningKey.generate()
    log.submit(
        "registrar",
        "key.register",
        {
            "party": "dprk",
            "key_id": new.key_id,
            "public_key": base64.b64encode(new.public_key).decode(),
            "replaces": old.key_id,
        },
    )
    with pytest.raises(AuthorityError, match="revoked"):
        log.statement("dprk", "too late", key=old)
    log.statement("dprk", "with the new key", key=new)
    # the owner may revoke its own key
    log.submit("dprk", "key.revoke", {"party": "dprk", "key_id": new.key_id}, key=new)
    with pytest.raises(AuthorityError, match="revoked"):
        log.statement("dprk", "after revocation", key=new)
    before.verify(log.ledger.signer.verifier)
    assert audit_database(log.ledger).size == log.ledger.size()


def test_authority_and_registration_conflicts(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("cns", "observer")
    with pytest.raises(AuthorityError, match=r"may not submit party\.register"):
        log.submit("cns", "party.register", {"name": "x", "role": "party"})
    with pytest.raises(ConflictError, match="already registered"):
        log.submit("registrar", "party.register", {"name": "cns", "role": "party"})
    with pytest.raises(NotFoundError, match="unknown party 'ghost'"):
        log.ledger.submit(log.seal("ghost", "statement", {"subject": "s"}, key=log.keys["cns"]))
    future = utc_now() + timedelta(hours=1)
    with pytest.raises(InputError, match="after the log clock"):
        log.statement("cns", "from the future", time=future)


def test_confidential_payload_is_committed_not_published(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("iaea", "inspectorate")
    receipt = log.statement("iaea", "secret finding", confidential=True)
    envelope = json.loads(log.ledger.entry(receipt.index).envelope)
    assert "payload" not in envelope and envelope["commitment"].startswith("sha256:")
    opening = log.ledger.opening(receipt.index)
    assert opening is not None
    salt, payload = opening
    assert commit(salt, json.loads(payload)) == envelope["commitment"]
    assert b"secret finding" not in log.ledger.entry(receipt.index).envelope
    assert audit_database(log.ledger).confidential_unopened == 0
    with workspace.engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(openings)).scalar() == 1


def test_rebuild_gives_identical_projections(workspace: Workspace) -> None:
    log = Log.open(workspace)
    for name, role in [("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate")]:
        log.add_party(name, role)
    result = rebuild(log.ledger)
    assert result.identical and result.entries == log.ledger.size()
    assert log.ledger.registry().parties.keys() == {"registrar", "dprk", "usa", "iaea"}


def test_exported_log_audits_offline_and_finds_a_changed_entry(
    workspace: Workspace, tmp_path: Path
) -> None:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    for i in range(5):
        log.statement("dprk", f"entry {i}")
    path = tmp_path / "export.jsonl"
    ledger = log.ledger
    with path.open("w") as fh:
        write_export(
            fh,
            origin=ledger.origin,
            log_key=ledger.signer.verifier.text(),
            size=ledger.size(),
            checkpoints=list(ledger.checkpoints()),
            envelopes=((e.index, e.envelope) for e in ledger.entries()),
        )
    header, entries = read_export(path)
    report = audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
    assert report.size == ledger.size()
    lines = path.read_text().splitlines()
    lines[-2] = lines[-2].replace("entry 3", "entry 9")
    path.write_text("\n".join(lines) + "\n")
    header, entries = read_export(path)
    with pytest.raises(Exception, match="entry 6"):
        audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
    assert canonical_json(json.loads(lines[-1])["envelope"]) == ledger.entry(7).envelope


def test_registrations_cannot_be_confidential(workspace: Workspace) -> None:
    log = Log.open(workspace)
    with pytest.raises(InputError, match="cannot be confidential"):
        log.submit("registrar", "party.register", {"name": "x", "role": "party"}, confidential=True)


def test_signed_bytes_cut_from_the_canonical_envelope_equal_the_serialised_body(
    workspace: Workspace,
) -> None:
    log = Log.open(workspace)
    payloads: list[dict[str, object]] = [
        {"subject": "plain"},
        {"subject": "nested", "text": '"signature":"x" ,{}', "refers_to": [1, 2]},
        {"subject": "ünïcode \u2014 \U0001f600"},
    ]
    for payload in payloads:
        for confidential in (False, True):
            sealed = log.seal("registrar", "statement", payload, confidential=confidential)
            parsed = Envelope.from_bytes(sealed.envelope.canonical)
            assert parsed.signed == canonical_json(parsed.body()) == sealed.envelope.signed


def test_a_registry_change_by_another_writer_is_seen(workspace: Workspace) -> None:
    """A ledger's cached registry is read again once another writer changes it."""
    log = Log.open(workspace)
    key = log.add_party("dprk", "declarant")
    log.statement("dprk", "cached the registry")  # this ledger now holds it
    other = Log(workspace, workspace.ledger(), dict(log.keys))
    other.statement("dprk", "appended elsewhere")  # not a registry change: cache stays
    other.submit("dprk", "key.revoke", {"party": "dprk", "key_id": key.key_id}, key=key)
    with pytest.raises(AuthorityError, match="revoked"):
        log.statement("dprk", "after the other writer revoked the key", key=key)


def test_submit_many_gives_each_submission_its_own_outcome(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    now = utc_now()
    good = [log.seal("usa", "statement", {"subject": f"s{i}"}, time=now) for i in range(3)]
    refused = log.seal("usa", "declaration", {"subject": "not a declaration"}, time=now)
    outcomes = log.ledger.submit_many([good[0], refused, good[1], good[2], good[0]])
    assert isinstance(outcomes[1], InputError)  # refused alone; the others stand
    receipts = [o for o in outcomes if not isinstance(o, Exception)]
    first, second, third, again = (r.index for r in receipts)
    assert len({first, second, third}) == 3 and again == first  # the repeat: first receipt
    for r in receipts:
        r.verify(log.ledger.signer.verifier)
    # together, three new entries share one checkpoint and each has its own receipt
    together = [log.seal("usa", "statement", {"subject": f"t{i}"}, time=now) for i in range(3)]
    batch = log.ledger.submit_many(together)
    assert all(not isinstance(o, Exception) for o in batch)
    sizes = {o.tree_size for o in batch if not isinstance(o, Exception)}
    assert sizes == {log.ledger.size()}
