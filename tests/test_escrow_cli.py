"""Escrowed declarations end to end: the worked example escrowed, revealed, verified offline."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from accordwatch.cli import main
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.workspace import Workspace, init_workspace


@pytest.fixture
def ws(tmp_path: Path, database_url: str | None) -> Workspace:
    return init_workspace(
        tmp_path / "ws",
        database_url=database_url,
        origin="test.local/log",
        simulated_clock=datetime(2021, 1, 10, 9, tzinfo=UTC),
    )


def run(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(["--home", str(ws.home), *args])
    return capsys.readouterr().out


def fails(ws: Workspace, capsys: pytest.CaptureFixture[str], code: int, *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(["--home", str(ws.home), *args])
    out = capsys.readouterr()
    assert caught.value.code == code, out.out + out.err
    assert "Traceback" not in out.err
    assert len(out.err.strip().splitlines()) == 1
    return out.err


def _setup(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], counts: str = "exact"
) -> tuple[Path, Path]:
    for party, role in (
        ("dprk", "declarant"),
        ("usa", "party"),
        ("iaea", "inspectorate"),
    ):
        run(ws, capsys, "party", "add", party, "--role", role)
        run(ws, capsys, "key", "new", "--party", party)
    accord, declaration = tmp_path / "accord.yaml", tmp_path / "declaration.yaml"
    run(ws, capsys, "accord", "example", "dprk-escrow", "-o", str(accord))
    run(ws, capsys, "declaration", "example", "dprk-escrow", "-o", str(declaration))
    accord.write_text(
        accord.read_text().replace("escrow_counts: exact", f"escrow_counts: {counts}")
    )
    assert "0 errors, 0 warnings" in run(ws, capsys, "accord", "check", str(accord))
    for party in ("dprk", "usa", "iaea"):
        run(ws, capsys, "accord", "sign", str(accord), "--as", party)
    return accord, declaration


def test_escrow_reveal_verify_and_amend(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, declaration = _setup(ws, tmp_path, capsys)
    escrow_file = tmp_path / "escrow.yaml"
    # On the day the declaration step is due, the whole declaration is committed.
    run(ws, capsys, "clock", "set", "2021-03-31T10:00:00Z")
    fails(
        ws,
        capsys,
        ExitCode.NOT_ALLOWED,
        "declaration",
        "escrow",
        str(declaration),
        "--partition-by",
        "region",
        "--as",
        "usa",
    )
    text = fails(
        ws,
        capsys,
        ExitCode.BAD_INPUT,
        "declaration",
        "escrow",
        str(declaration),
        "--partition-by",
        "colour",
        "--as",
        "dprk",
    )
    assert "no entry of the declaration has a value for 'colour'" in text
    out = run(
        ws,
        capsys,
        "declaration",
        "escrow",
        str(declaration),
        "--partition-by",
        "region",
        "-o",
        str(escrow_file),
        "--as",
        "dprk",
    )
    assert "4 parts: region-central (2), region-north-east (2), region-north-west (5)" in out
    written = yaml.safe_load(escrow_file.read_text())
    escrow_entry = written["entry"]
    assert "yongbyon" not in json.dumps(written)  # roots and counts only
    private = ws.home / "escrows" / "dprk" / "dprk-sites-2021-03.jsonl"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "yongbyon-5mwe" in private.read_text()

    text = fails(
        ws,
        capsys,
        ExitCode.CONFLICT,
        "declaration",
        "escrow",
        str(declaration),
        "--partition-by",
        "status",
        "--as",
        "dprk",
    )
    assert "escrow id 'dprk-sites-2021-03' is already in the log" in text
    broken = tmp_path / "broken.yaml"
    broken.write_text("entry: [1\n")
    fails(
        ws,
        capsys,
        ExitCode.BAD_INPUT,
        "declaration",
        "reveal",
        str(broken),
        "--part",
        "x",
        "--as",
        "dprk",
    )

    # Three reveals over the road map; the third is confidential to the inspectorate.
    run(ws, capsys, "clock", "set", "2021-05-20T10:00:00Z")
    out = run(
        ws,
        capsys,
        "declaration",
        "reveal",
        str(escrow_file),
        "--part",
        "region-north-west",
        "--as",
        "dprk",
    )
    assert "public reveal of part region-north-west" in out
    assert "for step reveal-north-west" in out
    first = escrow_entry + 1
    fails(
        ws,
        capsys,
        ExitCode.CONFLICT,
        "declaration",
        "reveal",
        "dprk-sites-2021-03",
        "--part",
        "region-north-west",
        "--as",
        "dprk",
    )
    fails(
        ws,
        capsys,
        ExitCode.BAD_INPUT,
        "declaration",
        "reveal",
        "dprk-sites-2021-03",
        "--part",
        "region-west",
        "--as",
        "dprk",
    )
    run(ws, capsys, "clock", "set", "2021-08-01T10:00:00Z")
    run(
        ws,
        capsys,
        "declaration",
        "reveal",
        "dprk-sites-2021-03",
        "--part",
        "region-north-east",
        "--as",
        "dprk",
    )
    run(ws, capsys, "clock", "set", "2021-11-01T10:00:00Z")
    out = run(
        ws,
        capsys,
        "declaration",
        "reveal",
        str(escrow_entry),
        "--part",
        "region-central",
        "--confidential",
        "--as",
        "dprk",
    )
    assert "confidential (to the inspectorate)" in out
    third = first + 2

    out = run(ws, capsys, "declaration", "verify-reveal", str(first))
    assert "5 item(s), all 5 committed" in out
    fails(ws, capsys, ExitCode.NOT_ALLOWED, "declaration", "verify-reveal", str(third))
    assert "verifies" in run(ws, capsys, "declaration", "verify-reveal", str(third), "--as", "iaea")
    fails(ws, capsys, ExitCode.NOT_FOUND, "declaration", "verify-reveal", str(escrow_entry))

    # The road map counts the escrow and each verified reveal as its step's report.
    status = run(ws, capsys, "status", "--format", "json")
    steps = {s["id"]: s for s in json.loads(status)["steps"]}
    for step in ("declare-sites", "reveal-north-west", "reveal-north-east"):
        assert steps[step]["reported_on"] is not None, step

    # Offline: the export and the entry, nothing else.
    export = tmp_path / "log.jsonl"
    run(ws, capsys, "log", "export", str(export))
    out = run(ws, capsys, "declaration", "verify-reveal", str(first), "--log", str(export))
    assert "reveal at log entry" in out and "verifies" in out
    result = json.loads(
        run(
            ws,
            capsys,
            "declaration",
            "verify-reveal",
            str(first),
            "--log",
            str(export),
            "--format",
            "json",
        )
    )
    assert result["ok"] and result["part"] == "region-north-west" and result["items"] == 5
    fails(
        ws,
        capsys,
        ExitCode.NOT_ALLOWED,
        "declaration",
        "verify-reveal",
        str(third),
        "--log",
        str(export),
    )
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(export.read_text().replace("yongbyon-5mwe", "yongbyon-5mwf", 1))
    fails(
        ws,
        capsys,
        ExitCode.NOT_VERIFIED,
        "declaration",
        "verify-reveal",
        str(first),
        "--log",
        str(tampered),
    )
    audit = json.loads(run(ws, capsys, "log", "audit", "--json"))
    assert audit["reveals"] == {"verified": 3, "not_readable": 0, "failed": []}
    audit = json.loads(run(ws, capsys, "log", "audit", "--file", str(export), "--json"))
    assert audit["reveals"] == {"verified": 2, "not_readable": 1, "failed": []}

    # An amendment lists every change; an item added to a revealed part is late.
    doc = yaml.safe_load(declaration.read_text())
    doc["id"] = "dprk-sites-2021-03-b"
    doc["supersedes"] = "dprk-sites-2021-03"
    doc["sites"].append({**doc["sites"][0], "id": "yongbyon-annex", "name": "Annex, Yongbyon"})
    doc["sites"] = [s for s in doc["sites"] if s["id"] != "kilju-store"]
    amended = tmp_path / "amended.yaml"
    amended.write_text(yaml.safe_dump(doc))
    args = ("declaration", "escrow", str(amended), "--partition-by", "region", "--as", "dprk")
    fails(ws, capsys, ExitCode.BAD_INPUT, *args, "--supersedes", "dprk-sites-2021-03")  # no reason
    text = fails(
        ws,
        capsys,
        ExitCode.BAD_INPUT,
        "declaration",
        "escrow",
        str(amended),
        "--partition-by",
        "status",
        "--as",
        "dprk",
        "--supersedes",
        "dprk-sites-2021-03",
        "--reason",
        "r",
    )
    assert "keeps the partition of 'dprk-sites-2021-03' (region)" in text
    out = run(
        ws, capsys, *args, "--supersedes", "dprk-sites-2021-03", "--reason", "review of lists"
    )
    assert "2 item change(s)" in out
    assert "late addition" in out and "yongbyon-annex" in out
    history = run(ws, capsys, "item", "history", "yongbyon-annex")
    assert "added in part region-north-west" in history
    history = run(ws, capsys, "item", "history", "yongbyon-5mwe")
    assert "revealed in part region-north-west" in history
    fails(
        ws,
        capsys,
        ExitCode.CONFLICT,
        "declaration",
        "reveal",
        "dprk-sites-2021-03",
        "--part",
        "region-south",
        "--as",
        "dprk",
    )
    listing = run(ws, capsys, "declaration", "escrows")
    assert "late addition" in listing


def test_a_reveal_of_another_escrow_fails_verify_and_audit(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    import random

    from accordwatch.declarations.escrow import build_escrow, declaration_items
    from accordwatch.declarations.escrow_records import EscrowRecord, reveal_payload
    from accordwatch.examples import declaration_example_path
    from tests.helpers import Log

    log = Log.open(ws)
    log.add_party("dprk", "declarant")
    doc = yaml.safe_load(declaration_example_path("dprk-escrow").read_text())
    doc["as_of"] = str(doc["as_of"])
    items = list(declaration_items(doc, "region"))
    logged = build_escrow(items, random.Random(1).randbytes)
    other = build_escrow(items, random.Random(2).randbytes)
    record = {
        "escrow_id": "e1",
        "party": "dprk",
        "declaration_id": doc["id"],
        "program": "nuclear",
        "as_of": doc["as_of"],
        "partition_by": "region",
        "root": logged.root.hex(),
        "parts": [
            {"name": c.name, "root": c.root.hex(), "count": c.count} for c in logged.commitments
        ],
    }
    escrow_index = log.submit("dprk", "escrow", record).index
    # The other escrow's opening is sound in itself, but not a part of the logged escrow.
    forged = reveal_payload(
        other.reveal("region-south"),
        escrow_index=escrow_index,
        escrow=EscrowRecord.model_validate(record),
        step=None,
    )
    forged["root"] = other.root.hex()
    bad = log.submit("dprk", "escrow.reveal", forged).index
    good = log.submit(
        "dprk",
        "escrow.reveal",
        reveal_payload(
            logged.reveal("region-south"),
            escrow_index=escrow_index,
            escrow=EscrowRecord.model_validate(record),
            step=None,
        ),
    ).index
    text = fails(ws, capsys, ExitCode.NOT_VERIFIED, "declaration", "verify-reveal", str(bad))
    assert "the reveal names root" in text
    assert "verifies" in run(ws, capsys, "declaration", "verify-reveal", str(good))
    text = fails(ws, capsys, ExitCode.NOT_VERIFIED, "log", "audit")
    assert f"1 escrow reveal(s) do not verify; the first: log entry {bad}" in text
    listing = run(ws, capsys, "declaration", "escrows")
    assert f"reveal at log entry {bad} does not verify" in listing


def test_counts_the_accord_keeps_secret_are_padded(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, declaration = _setup(ws, tmp_path, capsys, counts="secret")
    out = run(
        ws,
        capsys,
        "declaration",
        "escrow",
        str(declaration),
        "--partition-by",
        "region",
        "--as",
        "dprk",
    )
    # the largest region has 5 sites: every part shows 8
    assert (
        "region-central (8), region-north-east (8), region-north-west (8), region-south (8)" in out
    )
    out = run(
        ws,
        capsys,
        "declaration",
        "reveal",
        "dprk-sites-2021-03",
        "--part",
        "region-south",
        "--as",
        "dprk",
    )
    assert "2 item(s) and 6 padding" in out
    entry = out.split("log entry ")[1].split(":")[0]
    result = json.loads(
        run(ws, capsys, "declaration", "verify-reveal", entry.strip("[]/bold "), "--format", "json")
    )
    assert (result["items"], result["padding"], result["count"]) == (2, 6, 8)
