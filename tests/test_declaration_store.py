"""Declarations in the log, on SQLite and PostgreSQL: confidential, signed by the declarant only."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from accordwatch.catalog import CATALOG
from accordwatch.declarations.history import Filed
from accordwatch.declarations.reading import document, parse_declaration
from accordwatch.declarations.review import review
from accordwatch.errors import AuthorityError, InputError, VerificationError
from accordwatch.examples import example_path as accord_path
from accordwatch.log.access import Reader, may_read, open_record
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.roles import Role
from accordwatch.sources.declarations import (
    find_declaration,
    item_mentions,
    logged_declarations,
    readable,
    reader_for,
    signed_accord,
)
from accordwatch.sources.snapshot import Snapshot
from accordwatch.workspace import Workspace
from tests.helpers import Log
from tests.test_declaration_check import example_doc


def _payload(name: str) -> dict[str, Any]:
    return {"declaration": document(parse_declaration(example_doc(name)))}


def _log(ws: Workspace) -> Log:
    log = Log.open(ws)
    for name, role in (
        ("dprk", "declarant"),
        ("iaea", "inspectorate"),
        ("usa", "party"),
        ("rok", "party"),
        ("monitor", "observer"),
        ("other", "declarant"),
    ):
        log.add_party(name, role)
    return log


@pytest.fixture
def log(workspace: Workspace) -> Log:
    return _log(workspace)


def test_who_may_read_a_declaration() -> None:
    submitter = "dprk"
    allowed = [Reader("dprk", Role.DECLARANT), Reader("iaea", Role.INSPECTORATE)]
    refused = [
        Reader("usa", Role.PARTY),
        Reader("monitor", Role.OBSERVER),
        Reader("other", Role.DECLARANT),
        Reader("registrar", Role.REGISTRAR),
    ]
    assert all(may_read(CATALOG, "declaration", r, submitter) for r in allowed)
    assert not any(may_read(CATALOG, "declaration", r, submitter) for r in refused)
    # Another confidential record type is the submitter's alone.
    assert not may_read(CATALOG, "statement", Reader("iaea", Role.INSPECTORATE), submitter)


def test_confidential_declaration_readable_only_by_those_allowed(log: Log) -> None:
    payload = _payload("dprk-nuclear")
    receipt = log.submit("dprk", "declaration", payload, confidential=True)
    stored = log.ledger.entry(receipt.index)
    envelope = Envelope.from_bytes(stored.envelope)
    # The public log holds a commitment, not the content.
    assert envelope.payload is None and envelope.commitment is not None
    assert b"yongbyon" not in stored.envelope
    salt, content = log.ledger.opening(receipt.index) or (b"", b"")
    opening = Opening(salt, parse_json(content, where="opening"))
    for party in ("usa", "monitor", "other"):
        reader = reader_for(log.ledger, party)
        with pytest.raises(AuthorityError, match="may not read it"):
            open_record(CATALOG, envelope, opening, reader, where="test")
    with pytest.raises(AuthorityError):
        open_record(CATALOG, envelope, opening, None, where="test")
    for party in ("dprk", "iaea"):
        content_read = open_record(
            CATALOG, envelope, opening, reader_for(log.ledger, party), where="t"
        )
        assert content_read == payload
        # The commitment in the public log verifies against the content read.
        digest = hashlib.sha256(salt + canonical_json(content_read)).digest()
        assert envelope.commitment == "sha256:" + base64.b64encode(digest).decode()
    forged = Opening(salt, {"declaration": {**payload["declaration"], "note": "altered"}})
    with pytest.raises(VerificationError, match="does not match the commitment"):
        open_record(CATALOG, envelope, forged, reader_for(log.ledger, "iaea"), where="test")
    # Through the store: listed for everyone, opened for the allowed.
    [hidden] = logged_declarations(Snapshot.latest(log.ledger), reader_for(log.ledger, "usa"))
    assert hidden.declaration is None and hidden.confidential
    assert "usa (party) may not read it" in hidden.unreadable
    [shown] = logged_declarations(Snapshot.latest(log.ledger), reader_for(log.ledger, "iaea"))
    assert shown.declaration is not None and shown.declaration.id == "dprk-nuclear-2020-12"


def test_a_party_may_only_declare_for_itself(log: Log) -> None:
    before = log.ledger.size()
    with pytest.raises(AuthorityError, match="'other' may not submit declaration for party 'dprk'"):
        log.submit("other", "declaration", _payload("dprk-nuclear"), confidential=True)
    with pytest.raises(AuthorityError, match=r"\(inspectorate\) may not submit declaration"):
        log.submit("iaea", "declaration", _payload("dprk-nuclear"))
    assert log.ledger.size() == before


def test_an_inconsistent_declaration_is_not_stored(log: Log) -> None:
    payload = _payload("dprk-missile")
    payload["declaration"]["missiles"][0]["location"] = "nowhere"
    before = log.ledger.size()
    with pytest.raises(InputError, match=r"missiles\[0\].location: KP-SCB-0001 is at nowhere"):
        log.submit("dprk", "declaration", payload, confidential=True)
    assert log.ledger.size() == before


def test_corrections_keep_both_and_review_reads_the_log(log: Log) -> None:
    accord = _accord()
    for party in ("dprk", "usa", "rok", "iaea"):
        log.submit(party, "accord.signature", accord)
    first = log.submit("dprk", "declaration", _payload("dprk-nuclear"), confidential=True)
    fixed = log.submit("dprk", "declaration", _payload("dprk-nuclear-corrected"), confidential=True)
    log.submit("dprk", "declaration", _payload("dprk-missile"), confidential=True)
    logged = logged_declarations(Snapshot.latest(log.ledger), reader_for(log.ledger, "iaea"))
    assert [i.index for i in logged] == [first.index, fixed.index, fixed.index + 1]
    assert find_declaration(logged, "dprk-nuclear-2020-12").index == first.index
    assert find_declaration(logged, str(fixed.index)).declaration is not None
    target = find_declaration(logged, "dprk-nuclear-2020-12").filed()
    result = review(
        target, readable(logged), accord=signed_accord(Snapshot.latest(log.ledger), "dprk-roadmap")
    )
    assert result.ok and result.superseded_by == fixed.index
    missile = find_declaration(logged, "dprk-missile-2021-03").filed()
    assert review(
        missile, readable(logged), accord=signed_accord(Snapshot.latest(log.ledger), "dprk-roadmap")
    ).ok
    mentions, hidden = item_mentions(
        Snapshot.latest(log.ledger), "KP-H15-0001", reader_for(log.ledger, "iaea")
    )
    assert hidden == 0
    assert [m.index for m in mentions] == [fixed.index + 1]
    assert "type Hwasong-15, status stored, location kanggye" in mentions[0].text
    mentions, hidden = item_mentions(
        Snapshot.latest(log.ledger), "KP-H15-0001", reader_for(log.ledger, "usa")
    )
    assert mentions == [] and hidden == 3


def _accord() -> dict[str, Any]:
    from accordwatch.roadmap.accord_check import check_file

    accord = check_file(accord_path("dprk-roadmap")).accord
    assert accord is not None
    return {
        "accord_id": accord.id,
        "digest": accord.digest(),
        "accord": accord.model_dump(mode="json"),
    }


def _launch(n: int, on: str, missile: str, site: str) -> dict[str, Any]:
    from accordwatch.compliance.events import content_digest

    content = {"row": n, "date": on, "missile": missile, "site": site}
    return {
        "event_id": f"test:{n}",
        "type": "missile_launch",
        "on": on,
        "occurrence": f"test:{on}:{site}",
        "actor": "dprk",
        "attributes": {"missile_name": missile, "site_name": site},
        "source": {
            "id": "test",
            "name": "launches observed for this test",
            "file": "launches.csv",
            "row": str(n),
            "line": n + 1,
            "content": content,
            "digest": content_digest(content),
        },
    }


def test_logged_launches_of_undeclared_types_and_sites_are_findings(log: Log) -> None:
    from accordwatch.sources.declarations import observed_launches

    for n, (on, missile, site) in enumerate(
        [
            ("2016-08-24", "Pukguksong-1", "Sinpo Shipyard"),
            ("2017-11-28", "Hwasong-15", "Pyongyang International Airport"),
            ("2019-07-25", "Hwasong-11A (KN-23)", "Hodo Peninsula"),
            ("2019-10-31", "Unknown", "Unknown"),
        ]
    ):
        log.submit("monitor", "event", _launch(n, on, missile, site))
    launches = observed_launches(Snapshot.latest(log.ledger))
    assert [x.missile for x in launches] == [
        "Pukguksong-1",
        "Hwasong-15",
        "Hwasong-11A (KN-23)",
        "Unknown",
    ]
    declaration = parse_declaration(example_doc("dprk-missile"))
    result = review(Filed(-1, "dprk", declaration), [], accord=None, launches=launches)
    events = [p.message for p in result.problems if p.check == "events"]
    assert len(events) == 2
    assert events[0].startswith("Pukguksong-1 was launched but is not a declared missile type")
    assert events[1].startswith("missiles were launched from Hodo Peninsula, which is not")
    assert result.launches is not None and result.launches.unidentified_missile == 1


def test_item_history_finds_the_item_in_any_record(log: Log) -> None:
    log.submit("dprk", "declaration", _payload("dprk-missile"), confidential=True)
    log.statement("iaea", "KP-H15-0001")
    mentions, hidden = item_mentions(
        Snapshot.latest(log.ledger), "kp-h15-0001", reader_for(log.ledger, "iaea")
    )
    assert [(m.record_type, m.party) for m in mentions] == [
        ("declaration", "dprk"),
        ("statement", "iaea"),
    ]
    assert mentions[1].text == "subject = KP-H15-0001"
    assert hidden == 0
