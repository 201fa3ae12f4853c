"""Nodes read the confidential entries their party may read, and no others.

A log workspace with a declaration sealed to its readers is served by a real
`serve` on a loopback port and published to a folder. The inspectorate's
node, holding its own private encryption key, syncs the ciphertexts with the
entries and reads the declaration; a counterpart's node holds its commitment
only, and no file of it holds the payload; an inspectorate added later reads
it on its node after a share; a tampered ciphertext to the node's party is
reported and the sync completes.
"""

from __future__ import annotations

import base64
import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.errors import InputError
from accordwatch.examples import example_path
from accordwatch.log.canonical import canonical_json
from accordwatch.log.sealed_opening import SealedOpening
from accordwatch.log.tiles import (
    DRAW_BASIS,
    TilePathError,
    parse_sealed_path,
    read_sealed_file,
    sealed_file,
    sealed_path,
)
from accordwatch.service.api.app import create_app
from accordwatch.sources.reading import encryption_key_ids
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import Run, free_port, one_line_error
from tests.test_accountancy import facility_reports, write
from tests.test_sealed_openings import MARKER, _declaration, _files_holding
from tests.test_witnessed_log import Process, ok, run_cli

pytestmark = pytest.mark.slow

DECLARATION = "dprk-nuclear-2020-12"


def _log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Workspace, int]:
    ws = init_workspace(tmp_path / "log", origin="example.org/accord-log")
    home = ["--home", str(ws.home)]
    for party, role in (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate")):
        main([*home, "party", "add", party, "--role", role])
        main([*home, "key", "new", "--party", party])
    for party in ("usa", "iaea", "dprk"):
        main([*home, "accord", "sign", str(_roadmap()), "--as", party])
    for party in ("dprk", "usa", "iaea"):
        main([*home, "key", "new", "--party", party, "--purpose", "encryption"])
    main([*home, "declaration", "submit", str(_declaration(tmp_path)), "--as", "dprk"])
    entry = ws.ledger().size() - 1
    # sealed accountancy reports, an inspection plan and its report: the inspectorate's own
    reports = write(tmp_path / "reports.yaml", facility_reports(periods=2))
    main([*home, "accountancy", "import", str(reports), "--as", "dprk"])
    selection = tmp_path / "selection.json"
    main([*home, "inspection", "plan", "mba-a", "--as", "iaea", "--date", "2025-05-01",
          "--out", str(selection)])  # fmt: skip
    chosen = json.loads(selection.read_text())
    results = {
        "plan_entry": chosen["plan_entry"],
        "report_id": "insp-1",
        "date": "2025-05-01",
        "observations": [{"item_id": i, "status": "found"} for i in chosen["selected"]["cans"]],
    }
    main([*home, "inspection", "record", str(write(tmp_path / "insp.yaml", results)),
          "--as", "iaea"])  # fmt: skip
    capsys.readouterr()
    return ws, entry


def _roadmap() -> Path:
    return example_path("dprk-roadmap")


def _node(
    capsys: pytest.CaptureFixture[str], log: Workspace, folder: Path, address: str, party: str
) -> list[str]:
    vkey = log.ledger().signer.verifier.text()
    ok(run_cli(capsys, "node", "init", "--home", folder, "--log", address, "--log-key", vkey,
               "--party", party))  # fmt: skip
    return ["--home", str(folder)]


def _keep_key(log: Workspace, node: Path, party: str) -> None:
    """Copy the party's private encryption keys to its node, as the party keeps its own."""
    (node / "keys" / party).mkdir(parents=True, exist_ok=True)
    for key_id in encryption_key_ids(log.ledger().registry(), party):
        name = f"{key_id}.key"
        shutil.copy(log.keys_dir / party / name, node / "keys" / party / name)


def _show(capsys: pytest.CaptureFixture[str], home: list[str]) -> Run:
    return run_cli(capsys, *home, "declaration", "show", DECLARATION, "--format", "json")


def _plan_entry(log: Workspace) -> int:
    ledger = log.ledger()
    (found,) = (i for i in range(ledger.size()) if ledger.entry(i).record_type == "inspection.plan")
    return found


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers.get("Cache-Control", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), ""


def test_nodes_read_what_their_party_may_read_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, entry = _log(tmp_path, capsys)
    ledger = log.ledger()
    leaf = ledger.entry(entry).leaf_hash.hex()
    published = tmp_path / "published"
    out = ok(run_cli(capsys, "--home", log.home, "log", "publish", published)).flat
    assert "ciphertexts of 8 confidential entries under sealed/" in out, out
    held_file = published / "sealed" / leaf
    held = json.loads(held_file.read_bytes())
    assert held["entry"] == entry
    assert sorted(s["party"] for s in held["sealed"]) == ["dprk", "iaea"]
    assert MARKER.encode() not in held_file.read_bytes()
    # publishing again keeps it; a file that holds other bytes is refused, nothing changed
    ok(run_cli(capsys, "--home", log.home, "log", "publish", published))
    held_file.write_bytes(held_file.read_bytes() + b" ")
    refused = run_cli(capsys, "--home", log.home, "log", "publish", published)
    assert refused.code != 0 and "holds other bytes" in refused.err, refused.err
    held_file.write_bytes(held_file.read_bytes()[:-1])

    port = free_port()
    server = Process(["--home", str(log.home), "serve", "--port", str(port)], port, "serving")
    server.start()
    try:
        status, body, cache = _get(f"{server.url}/tlog/sealed/{leaf}")
        assert status == 200 and body == held_file.read_bytes()
        assert "immutable" in cache
        public = ledger.entry(entry - 1).leaf_hash.hex()
        assert _get(f"{server.url}/tlog/sealed/{public}")[0] == 404
        assert _get(f"{server.url}/tlog/sealed/{'0' * 64}")[0] == 404
        assert _get(f"{server.url}/tlog/sealed/{leaf.upper()}")[0] == 404

        iaea = _node(capsys, log, tmp_path / "iaea", server.url, "iaea")
        usa = _node(capsys, log, tmp_path / "usa", server.url, "usa")
        later = _node(capsys, log, tmp_path / "iaea2", server.url, "iaea2")
        _keep_key(log, tmp_path / "iaea", "iaea")
        _keep_key(log, tmp_path / "usa", "usa")

        synced = ok(run_cli(capsys, *iaea, "node", "sync"))
        assert "8 confidential entries opened with iaea's keys" in synced.flat, synced.out
        assert "warning" not in synced.err
        synced = ok(run_cli(capsys, *usa, "node", "sync"))
        assert "0 confidential entries opened with usa's keys; 8 held as commitments only" in (
            synced.flat
        ), synced.out

        # the inspectorate's node reads it with its own key; the counterpart's cannot
        assert MARKER in ok(_show(capsys, iaea)).out
        denied = _show(capsys, usa)
        assert denied.code != 0 and "Traceback" not in denied.err
        assert len(denied.err.strip().splitlines()) == 1, denied.err
        assert "you may not read" in denied.err and MARKER not in denied.out + denied.err
        by_index = run_cli(capsys, *usa, "declaration", "show", str(entry))
        assert by_index.code != 0 and "usa (party) may not read it" in by_index.err
        assert len(by_index.err.strip().splitlines()) == 1, by_index.err
        ok(run_cli(capsys, *iaea, "declaration", "check", DECLARATION))
        assert MARKER in ok(run_cli(capsys, *iaea, "log", "get", str(entry))).out
        assert MARKER not in run_cli(capsys, *usa, "log", "get", str(entry)).out
        # `--as` still chooses; without it the node reads as its party, as the report does
        for party, home in (("iaea", iaea), ("usa", usa)):
            folder = tmp_path / f"report-{party}"
            ok(run_cli(capsys, *home, "report", "--format", "md", "--out", folder))
            (written,) = folder.glob("report-*.md")
            assert f"Read as {party}: confidential records are included" in written.read_text()
        ok(run_cli(capsys, *iaea, "status", "--format", "json"))
        ok(run_cli(capsys, *iaea, "declaration", "list"))
        # safeguards: the inspectorate's node reads the reports and its inspection
        plan = str(_plan_entry(log))
        shown = json.loads(
            ok(run_cli(capsys, *iaea, "accountancy", "show", "--format", "json")).out
        )
        assert len(shown) == 5 and {r["party"] for r in shown} == {"dprk"}
        for home in (usa, ["--home", str(log.home)]):  # a counterpart, and the log's operator
            assert (
                json.loads(
                    ok(run_cli(capsys, *home, "accountancy", "show", "--format", "json")).out
                )
                == []
            )
        ok(run_cli(capsys, *iaea, "accountancy", "balance", "mba-a", "--format", "json"))
        # the inspection against the declaration, from the draw checkpoint the log published
        compared = ok(run_cli(capsys, *iaea, "inspection", "compare", plan, "--format", "json"))
        assert json.loads(compared.out)["report_id"] == "insp-1"
        verified = ok(run_cli(capsys, *iaea, "inspection", "verify-draw", plan, "--format", "json"))
        assert json.loads(verified.out)["verified"] is True
        refused = run_cli(capsys, *usa, "inspection", "compare", plan)
        assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1, refused.err
        # the plan and its report, which only the inspectorate reads
        plans = ok(run_cli(capsys, *iaea, "log", "get", plan, "--format", "json")).out
        assert json.loads(plans)["payload"]["mba"] == "mba-a"
        assert "payload_refused" in json.loads(
            ok(run_cli(capsys, *usa, "log", "get", plan, "--format", "json")).out
        )
        for home in (iaea, usa):
            ok(run_cli(capsys, *home, "compliance", "report", "--by", "event"))
        # the node's own server: a token for its staff reads with the node's key
        issued = ok(run_cli(capsys, *iaea, "token", "issue", "--expires", "1d"))
        assert "for iaea (inspectorate)" in issued.err
        bearer = {"Authorization": f"Bearer {issued.out.strip()}"}
        with TestClient(create_app(Workspace.open(tmp_path / "iaea"))) as client:
            assert client.get("/").status_code == 200
            got = client.get(f"/api/log/entries/{entry}", headers=bearer)
            assert got.status_code == 200 and got.json()["readable"] is True
            assert MARKER in got.text
            assert MARKER not in client.get(f"/api/log/entries/{entry}").text
            assert client.get(f"/tlog/sealed/{leaf}").content == held_file.read_bytes()
        assert _files_holding(tmp_path / "usa", MARKER.encode()) == []
        assert _files_holding(tmp_path / "iaea", MARKER.encode()) == []  # decrypted on demand

        # an inspectorate added later: its node has nothing to open until a reader shares
        home = ["--home", str(log.home)]
        ok(run_cli(capsys, *home, "party", "add", "iaea2", "--role", "inspectorate"))
        ok(run_cli(capsys, *home, "key", "new", "--party", "iaea2", "--purpose", "encryption"))
        none_yet = ok(run_cli(capsys, *later, "node", "sync"))
        assert "no private encryption key of iaea2" in none_yet.flat, none_yet.out
        _keep_key(log, tmp_path / "iaea2", "iaea2")
        assert _show(capsys, later).code != 0
        ok(run_cli(capsys, *home, "share", str(entry), "--with", "iaea2", "--as", "iaea"))
        shared = ok(run_cli(capsys, *later, "node", "sync"))
        assert "1 confidential entries opened with iaea2's keys" in shared.flat, shared.out
        assert MARKER in ok(_show(capsys, later)).out
    finally:
        server.stop()

    # a ciphertext to the node's own party that does not open: one warning, the sync stands
    ok(run_cli(capsys, "--home", log.home, "log", "publish", published))
    tampered = json.loads(held_file.read_bytes())
    for each in tampered["sealed"]:
        if each["party"] == "iaea":
            data = bytearray(base64.b64decode(each["ciphertext"]))
            data[-1] ^= 1
            each["ciphertext"] = base64.b64encode(bytes(data)).decode()
    held_file.write_bytes(canonical_json(tampered))
    folder_node = _node(capsys, log, tmp_path / "iaea-folder", str(published), "iaea")
    _keep_key(log, tmp_path / "iaea-folder", "iaea")
    warned = ok(run_cli(capsys, *folder_node, "node", "sync"))
    warnings = [line for line in warned.err.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1, warned.err
    assert f"entry {entry}: the opening sealed to iaea's key" in warnings[0]
    assert "1 sealed to iaea that do not open" in warned.flat, warned.out
    assert ok(run_cli(capsys, *folder_node, "node", "sync")).code == 0

    # a ciphertext file that names another entry than the one its digest addresses is refused
    moved = json.loads(held_file.read_bytes())
    moved["entry"] = entry + 1
    held_file.write_bytes(canonical_json(moved))
    other = _node(capsys, log, tmp_path / "iaea-moved", str(published), "iaea")
    one_line_error(run_cli(capsys, *other, "node", "sync"), f"not entry {entry} whose leaf hash")


def test_sealed_file_paths_and_format() -> None:
    leaf = bytes(range(32))
    assert sealed_path(leaf) == f"sealed/{leaf.hex()}"
    assert parse_sealed_path(sealed_path(leaf)) == leaf
    assert parse_sealed_path(sealed_path(leaf, DRAW_BASIS), DRAW_BASIS) == leaf
    for bad in (f"sealed/{leaf.hex().upper()}", f"sealed/{leaf.hex()[:-1]}", "tile/0/000",
                f"draw-basis/{leaf.hex()}"):  # fmt: skip
        with pytest.raises(TilePathError):
            parse_sealed_path(bad)
    held = [SealedOpening("usa", "k2", b"\x02"), SealedOpening("iaea", "k1", b"\x01")]
    data = sealed_file(7, held)
    assert data == canonical_json({"entry": 7, "sealed": [held[1].to_json(), held[0].to_json()]})
    assert read_sealed_file(data, where="f") == (7, (held[1], held[0]))
    for wrong in (b"[]", b'{"entry": -1, "sealed": []}', b'{"entry": 1}', b'{"entry": true}'):
        with pytest.raises(InputError):
            read_sealed_file(wrong, where="f")
