"""The declaration commands end to end, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from accordwatch.cli import main
from accordwatch.examples import example_path as accord_path
from accordwatch.workspace import Workspace


def run(ws: Workspace, *args: str) -> None:
    main(["--home", str(ws.home), *args])


def fails(capsys: pytest.CaptureFixture[str], code: int, *args: str) -> str:
    """Run a command that must fail with `code`; its output and one-line error."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    assert caught.value.code == code
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return out.out + out.err


def examples(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("dprk-nuclear", "dprk-nuclear-corrected", "dprk-missile"):
        out[name] = tmp_path / f"{name}.yaml"
        main(["declaration", "example", name, "--out", str(out[name])])
    return out


def test_examples_pass_check_against_the_road_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = examples(tmp_path)
    home = ["--home", str(tmp_path / "no-workspace")]
    for path in files.values():
        main(
            [*home, "declaration", "check", str(path), "--accord", str(accord_path("dprk-roadmap"))]
        )
        assert "passes every check" in capsys.readouterr().out
    main(["declaration", "diff", str(files["dprk-nuclear"]), str(files["dprk-nuclear-corrected"])])
    out = capsys.readouterr().out
    assert "+ sites kangson added" in out
    assert "high-enriched uranium element mass: 245000 g -> 305000 g (+60000 g)" in out
    text = fails(capsys, 1, *home, "declaration", "check", str(files["dprk-missile"]))
    assert "completeness: accord: accord dprk-roadmap is not signed in this log" in text


def _setup(ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for party, role in (
        ("dprk", "declarant"),
        ("usa", "party"),
        ("rok", "party"),
        ("iaea", "inspectorate"),
        ("monitor", "observer"),
    ):
        run(ws, "party", "add", party, "--role", role)
        run(ws, "key", "new", "--party", party)
    for party in ("usa", "rok", "iaea", "dprk"):
        run(ws, "accord", "sign", str(accord_path("dprk-roadmap")), "--as", party)
    capsys.readouterr()


def test_submit_read_check_diff_and_track(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(workspace, tmp_path, capsys)
    files = examples(tmp_path)
    home = ["--home", str(workspace.home)]
    # The missile declaration goes the spreadsheet route.
    sheet = tmp_path / "missile.xlsx"
    run(
        workspace,
        "declaration",
        "template",
        "--program",
        "missile",
        "-o",
        str(sheet),
        "--from",
        str(files["dprk-missile"]),
    )
    run(workspace, "declaration", "submit", str(files["dprk-nuclear"]), "--as", "dprk")
    run(workspace, "declaration", "submit", str(sheet), "--as", "dprk")
    run(workspace, "declaration", "submit", str(files["dprk-nuclear-corrected"]), "--as", "dprk")
    out = capsys.readouterr().out
    assert "logged confidential nuclear declaration dprk-nuclear-2020-12 of dprk" in out
    assert "correcting dprk-nuclear-2020-12 at log entry" in out
    # Nobody else reads the content; the list shows that they exist.
    run(workspace, "declaration", "list")
    assert "3 confidential declaration(s) not readable as nobody" in capsys.readouterr().out
    for party in ("usa", "monitor"):
        text = fails(capsys, 4, *home, "declaration", "show", "dprk-nuclear-2020-12", "--as", party)
        assert "no declaration 'dprk-nuclear-2020-12' in the log (3 declaration(s)" in text
        text = fails(capsys, 10, *home, "declaration", "show", "16", "--as", party)
        assert f"{party} (" in text and "may not read it" in text
    text = fails(capsys, 10, *home, "declaration", "show", "16")
    assert "is confidential: give --as PARTY" in text
    for party in ("dprk", "iaea"):
        run(
            workspace,
            "declaration",
            "show",
            "dprk-nuclear-2020-12",
            "--as",
            party,
            "--format",
            "json",
        )
        assert json.loads(capsys.readouterr().out)["id"] == "dprk-nuclear-2020-12"
    # Checks, by id, as the inspectorate.
    for ref in ("dprk-nuclear-2020-12", "dprk-nuclear-2020-12-rev1", "dprk-missile-2021-03"):
        run(workspace, "declaration", "check", ref, "--as", "iaea")
        assert "passes every check" in capsys.readouterr().out
    run(
        workspace,
        "declaration",
        "check",
        "dprk-nuclear-2020-12",
        "--as",
        "iaea",
        "--format",
        "json",
    )
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["superseded_by"] == report["entry"] + 2
    run(
        workspace,
        "declaration",
        "diff",
        "dprk-nuclear-2020-12",
        "dprk-nuclear-2020-12-rev1",
        "--as",
        "iaea",
        "--json",
    )
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert {"section": "sites", "key": "kangson", "kind": "added", "fields": {}} in changes
    run(workspace, "item", "history", "KP-H15-0001", "--as", "iaea", "--format", "json")
    history = json.loads(capsys.readouterr().out)
    assert [m["record_type"] for m in history["mentions"]] == ["declaration"]
    run(workspace, "item", "history", "KP-H15-0001")
    assert "3 confidential entries not readable as nobody were not searched" in (
        capsys.readouterr().out
    )


def test_bad_submissions_store_nothing(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(workspace, tmp_path, capsys)
    files = examples(tmp_path)
    home = ["--home", str(workspace.home)]
    size = workspace.ledger().size()
    text = fails(
        capsys, 10, *home, "declaration", "submit", str(files["dprk-missile"]), "--as", "usa"
    )
    assert "party 'usa' may only declare for itself, not for 'dprk'" in text
    sheet = tmp_path / "bad.xlsx"
    run(
        workspace,
        "declaration",
        "template",
        "--program",
        "missile",
        "-o",
        str(sheet),
        "--from",
        str(files["dprk-missile"]),
    )
    wb = load_workbook(sheet)
    wb["missiles"]["D7"] = "nowhere"
    wb["launchers"]["A3"] = "KP-L-SCB-01"
    wb.save(sheet)
    capsys.readouterr()
    text = fails(capsys, 3, *home, "declaration", "submit", str(sheet), "--as", "dprk")
    assert "sheet 'missiles' row 7 column D (location): KP-SCB-0006 is at nowhere" in text
    assert "sheet 'launchers' row 3 column A (uid): unique identifier KP-L-SCB-01 appears" in text
    assert "2 problem(s) in the declaration" in text
    text = fails(capsys, 3, *home, "declaration", "import", str(sheet))
    assert "sheet 'missiles' row 7 column D" in text
    text = fails(
        capsys,
        4,
        *home,
        "declaration",
        "submit",
        str(files["dprk-nuclear-corrected"]),
        "--as",
        "dprk",
    )
    assert "supersedes 'dprk-nuclear-2020-12': no such declaration of dprk" in text
    text = fails(
        capsys, 5, *home, "declaration", "template", "--program", "missile", "-o", str(sheet)
    )
    assert "file exists" in text
    assert workspace.ledger().size() == size
    run(workspace, "declaration", "submit", str(files["dprk-missile"]), "--as", "dprk")
    text = fails(
        capsys, 5, *home, "declaration", "submit", str(files["dprk-missile"]), "--as", "dprk"
    )
    assert "declaration id 'dprk-missile-2021-03' is already in the log" in text


def test_schema_template_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["declaration", "schema", "--program", "nuclear"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "accordwatch nuclear program declaration"
    template = tmp_path / "n.xlsx"
    main(["declaration", "template", "--program", "nuclear", "-o", str(template)])
    text = fails(capsys, 3, "declaration", "import", str(template))
    assert "sheet 'declaration' row 2 column B (id): missing" in text
    files = examples(tmp_path)
    out = tmp_path / "copy.json"
    main(["declaration", "import", str(files["dprk-nuclear"]), "-o", str(out)])
    assert json.loads(out.read_text())["id"] == "dprk-nuclear-2020-12"
    text = fails(capsys, 3, "declaration", "template", "--program", "chemical")
    assert "--program must be nuclear or missile" in text
