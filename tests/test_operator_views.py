"""What the log's operator sees of confidential entries: commitments, and whose keys seal them.

On a workspace holding one declaration in plaintext (logged before any
encryption key) and one sealed to its readers, then shared with a reader
added later: `log get`, `log show`, `party list`, `openings status`, the
API's entries and the explorer all say which is which, to whom each is
sealed with which key, and which parties hold no encryption key; and none of
them ever shows either declaration's content.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.log.confidential import Held, SealedRow, entry_view, sealed_to
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace
from tests.test_sealed_openings import _encryption_keys, _workspace, run

PLAIN_MARKER = "PLAINMARKER-0d4e71"
SEALED_MARKER = "SEALEDMARKER-9b2f05"


def _out(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    run(ws, *args)
    out = capsys.readouterr()
    assert PLAIN_MARKER not in out.out + out.err and SEALED_MARKER not in out.out + out.err
    return out.out


def _flat(text: str) -> str:
    """The text on one line: the console wraps long lines at its width."""
    return " ".join(text.split())


def _declaration(tmp_path: Path, marker: str, month: str) -> Path:
    path = tmp_path / f"declaration-{month}.yaml"
    main(["declaration", "example", "dprk-nuclear", "--out", str(path)])
    text = path.read_text().replace("  Illustrative example,", f"  {marker} Illustrative example,")
    path.write_text(text.replace("dprk-nuclear-2020-12", f"dprk-nuclear-2020-{month}"))
    return path


@pytest.fixture
def operator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Workspace, int, int]:
    """A workspace with a plaintext declaration and a sealed one; their indices."""
    ws = _workspace(tmp_path, capsys)
    run(
        ws, "declaration", "submit", str(_declaration(tmp_path, PLAIN_MARKER, "11")), "--as", "dprk"
    )
    plain = ws.ledger().size() - 1
    _encryption_keys(ws, "dprk", "iaea")
    run(
        ws,
        "declaration",
        "submit",
        str(_declaration(tmp_path, SEALED_MARKER, "12")),
        "--as",
        "dprk",
    )
    sealed = ws.ledger().size() - 1
    capsys.readouterr()
    return ws, plain, sealed


def _key(ws: Workspace, party: str) -> str:
    from accordwatch.log.confidential import encryption_key_id

    found = encryption_key_id(ws.ledger().registry(), party)
    assert found is not None
    return found


def test_the_operator_sees_commitments_and_the_readers_keys(
    operator: tuple[Workspace, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, plain, sealed = operator
    dprk, iaea = _key(ws, "dprk"), _key(ws, "iaea")
    # a reader added later is sealed to by a share: the operator sees at which entry
    run(ws, "party", "add", "iaea2", "--role", "inspectorate")
    run(ws, "key", "new", "--party", "iaea2")
    _encryption_keys(ws, "iaea2")
    run(ws, "share", str(sealed), "--with", "iaea2", "--as", "iaea")
    share = ws.ledger().size() - 1
    iaea2 = _key(ws, "iaea2")
    capsys.readouterr()

    text = _flat(_out(ws, capsys, "log", "get", str(sealed), "--format", "text"))
    assert re.search(
        rf"confidential: commitment sha256:\S+; sealed to dprk \(key {dprk}\), iaea \(key "
        rf"{iaea}\); shared with iaea2 \(key {iaea2}\) at entry {share}; the log holds "
        "ciphertexts only and cannot open it",
        text,
    ), text
    got = json.loads(_out(ws, capsys, "log", "get", str(sealed)))
    assert got["confidential"] is True and got["opening_held"] == "sealed"
    assert got["commitment"] == got["envelope"]["commitment"]
    assert got["sealed_to"] == [
        {"party": "dprk", "key_id": dprk, "shared_at": None},
        {"party": "iaea", "key_id": iaea, "shared_at": None},
        {"party": "iaea2", "key_id": iaea2, "shared_at": share},
    ]
    text = _flat(_out(ws, capsys, "log", "get", str(plain), "--format", "text"))
    # in plaintext, its readers are those its record type names today: iaea2 too
    assert "still in PLAINTEXT at the log (readers: dprk, iaea, iaea2)" in text
    assert "accordwatch openings seal would seal it to them" in text
    got = json.loads(_out(ws, capsys, "log", "get", str(plain)))
    assert got["opening_held"] == "plaintext" and got["sealed_to"] == []
    assert got["readers"] == ["dprk", "iaea", "iaea2"] and got["readers_without_key"] == []
    public = json.loads(_out(ws, capsys, "log", "get", "1"))
    assert public["confidential"] is False and "sealed_to" not in public

    listed = json.loads(_out(ws, capsys, "log", "show", "--limit", "100", "--json"))
    held = {e["index"]: e["opening_held"] for e in listed}
    assert held[plain] == "plaintext" and held[sealed] == "sealed" and held[1] is None
    text = _out(ws, capsys, "log", "show", "--limit", "100")
    rows = {line.split()[0]: line for line in text.splitlines() if line[:1].isdigit()}
    assert rows[str(plain)].rstrip().endswith("plaintext")
    assert rows[str(sealed)].rstrip().endswith("sealed")

    parties = json.loads(_out(ws, capsys, "party", "list", "--json"))
    keys = {p["name"]: p["encryption_key"] for p in parties}
    assert keys == {"registrar": None, "dprk": dprk, "usa": None, "iaea": iaea, "iaea2": iaea2}
    assert {p["name"]: p["sealed_entries"] for p in parties}["iaea2"] == 1
    text = _flat(_out(ws, capsys, "party", "list"))
    assert "without an encryption key: registrar, usa." in text
    assert "usa's own confidential records" in text

    status = json.loads(_out(ws, capsys, "openings", "status", "--json"))
    assert (status["sealed"], status["plaintext"], status["none"]) == (1, 1, 0)
    assert status["by_record_type"] == [
        {"record_type": "declaration", "sealed": 1, "plaintext": 1, "none": 0}
    ]
    by_party = {p["party"]: p for p in status["parties"]}
    assert by_party["iaea"]["encryption_key"] == iaea and by_party["iaea"]["sealed_entries"] == 1
    assert by_party["usa"]["encryption_key"] is None and by_party["usa"]["sealed_entries"] == 0
    assert "declaration" in by_party["iaea2"]["reads_by_role"]
    assert status["readers_without_key"] == ["registrar", "usa"]
    text = _flat(_out(ws, capsys, "openings", "status"))
    assert "2 confidential entries: 1 sealed to their readers, 1 in plaintext at the log" in text

    text = _flat(_out(ws, capsys, "status"))
    assert "confidential entries: 1 sealed to their readers, 1 in plaintext at the log" in text

    # Sealing the plaintext one: every view follows.
    run(ws, "openings", "seal")
    capsys.readouterr()
    status = json.loads(_out(ws, capsys, "openings", "status", "--json"))
    assert (status["sealed"], status["plaintext"]) == (2, 0)
    got = json.loads(_out(ws, capsys, "log", "get", str(plain)))
    assert got["opening_held"] == "sealed"
    assert [s["party"] for s in got["sealed_to"]] == ["dprk", "iaea", "iaea2"]


def test_the_api_and_the_explorer_say_the_same(
    operator: tuple[Workspace, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, plain, sealed = operator
    iaea = _key(ws, "iaea")
    client = TestClient(create_app(ws))
    answers = []
    got = client.get(f"/api/log/entries/{sealed}")
    answers.append(got.text)
    body = got.json()
    assert body["opening_held"] == "sealed" and body["readable"] is False
    assert {"party": "iaea", "key_id": iaea, "shared_at": None} in body["sealed_to"]
    got = client.get(f"/api/log/entries/{plain}")
    answers.append(got.text)
    assert got.json()["opening_held"] == "plaintext" and got.json()["sealed_to"] == []
    page = client.get("/api/log/entries", params={"start": 1, "limit": 100})
    answers.append(page.text)
    held = {e["index"]: (e["opening_held"], e["sealed_to"]) for e in page.json()["items"]}
    assert held[1] == (None, None)
    assert held[plain][0] == "plaintext" and held[sealed][0] == "sealed"
    data = client.get("/explorer.json", params={"index": sealed})
    answers.append(data.text)
    entry = data.json()["entry"]
    assert entry["confidentiality"].endswith("the log holds ciphertexts only and cannot open it")
    page_html = client.get("/explorer", params={"index": sealed})
    answers.append(page_html.text)
    assert f"iaea (key {iaea})" in page_html.text
    assert "sealed to its readers' keys: the log cannot open it" in page_html.text
    assert "confidential (plaintext)" in page_html.text
    plain_html = client.get("/explorer", params={"index": plain})
    answers.append(plain_html.text)
    assert "the opening in plaintext</strong>: not sealed to its readers yet" in plain_html.text
    answers.append(client.get("/explorer.csv").text)
    listing = client.get("/declarations")
    answers.append(listing.text)
    assert "confidential, in plaintext at the log" in listing.text
    assert f"sealed to dprk (key {_key(ws, 'dprk')}), iaea (key {iaea})" in listing.text
    rows = client.get("/declarations.json").json()["declarations"]
    overview = client.get("/")
    answers.append(overview.text)
    assert "confidential entries: 1 sealed to their readers, 1 in plaintext at the log" in (
        overview.text
    )
    assert {r["index"]: r["opening_held"] for r in rows} == {plain: "plaintext", sealed: "sealed"}
    for text in answers:
        assert PLAIN_MARKER not in text and SEALED_MARKER not in text


def test_a_plaintext_entry_whose_reader_has_no_key_says_who_must_register_one() -> None:
    from accordwatch.catalog import CATALOG
    from accordwatch.log.registry import Registry

    view = entry_view(
        CATALOG,
        Registry(),
        index=4,
        record_type="statement",
        submitter="usa",
        commitment="sha256:AAAA",
        rows=[],
        plaintext=True,
    )
    assert view.held is Held.PLAINTEXT and view.without_key == ("usa",)
    assert "it cannot be sealed until usa register(s) an encryption key" in view.describe()
    # a ciphertext list without plaintext: sealed, the submitter's own before the shares
    rows = [SealedRow("b", "k2", 9), SealedRow("a", "k1", -1)]
    assert [s.party for s in sealed_to(rows)] == ["a", "b"]
    view = entry_view(
        CATALOG,
        Registry(),
        index=4,
        record_type="statement",
        submitter="a",
        commitment="sha256:AAAA",
        rows=rows,
        plaintext=False,
    )
    assert view.describe() == (
        "confidential: commitment sha256:AAAA; sealed to a (key k1); shared with b (key k2) at "
        "entry 9; the log holds ciphertexts only and cannot open it"
    )
