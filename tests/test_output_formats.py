"""Getting data out of the command line: `--format text|json|csv|xlsx` on every listing,
tables that fit 80 columns without cutting an id, a date or a figure, and one
encoding per kind of value (hashes in base64, times in RFC 3339 UTC with `Z`)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from rich.cells import cell_len

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.cli.output import PIPE_WIDTH, column_widths, output_width, print_sheet
from accordwatch.reports.exports import (
    Column,
    Kind,
    Sheet,
    cell_value,
    encode_hash,
    encode_time,
    to_csv,
    to_xlsx,
)

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("formats") / "demo"
    main(["demo", "--home", str(log)])
    return Nodes(log).folder("iaea")  # the IAEA's node: it reads the confidential records


@pytest.fixture(scope="module")
def entries(demo: Path) -> dict[str, str]:
    """The log indices the commands name, found in the demo's log rather than assumed."""
    from accordwatch.workspace import Workspace

    ledger = Workspace.open(demo).ledger()
    types = [(e.index, e.record_type) for e in ledger.entries(0, ledger.size())]
    declarations = [str(i) for i, t in types if t == "declaration"]
    plan = next(str(i) for i, t in types if t == "inspection.plan")
    return {"PLAN": plan, "FIRST": declarations[0], "SECOND": declarations[1]}


def _args(args: tuple[str, ...], entries: dict[str, str]) -> tuple[str, ...]:
    return tuple(entries.get(a, a) for a in args)


def _run(
    home: Path, capsys: pytest.CaptureFixture[str], *args: str, columns: int | None = 80
) -> str:
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        if columns is None:
            mp.delenv("COLUMNS", raising=False)
        else:
            mp.setenv("COLUMNS", str(columns))
        main(["--home", str(home), *args])
    return capsys.readouterr().out


# Every command the issue lists for a spreadsheet, and the arguments that make it list something.
SHEET_COMMANDS: dict[str, tuple[str, ...]] = {
    "status": ("status", "--as-of", "2021-03-01"),
    "findings": ("declaration", "check", "SECOND", "--as", "iaea"),
    "violations": ("compliance", "evaluate"),
    "responses": ("response", "list"),
    "compliance report": ("compliance", "report", "--by", "event"),
    "declarations": ("declaration", "list", "--as", "iaea"),
    "declaration diff": ("declaration", "diff", "FIRST", "SECOND", "--as", "iaea"),
    "item history": ("item", "history", "CAN-016", "--as", "iaea"),
    "balances": ("accountancy", "balance", "yb-pu-store"),
    "inspection comparison": ("inspection", "compare", "PLAN"),
    "log show": ("log", "show", "--limit", "30"),
}
# Commands that list or report, without a spreadsheet
TEXT_COMMANDS: dict[str, tuple[str, ...]] = {
    "events": ("events", "list"),
    "obligations": ("compliance", "obligations"),
    "parties": ("party", "list"),
    "keys": ("key", "list"),
    "tokens": ("token", "list"),
    "accountancy reports": ("accountancy", "show"),
    "inspection draw": ("inspection", "draw", "PLAN"),
    "methods": ("safeguards", "methods"),
    "audit": ("log", "audit"),
    "accords": ("accord", "list"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", [*SHEET_COMMANDS, *TEXT_COMMANDS])
def test_each_format_parses(
    demo: Path,
    entries: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
) -> None:
    args = _args(SHEET_COMMANDS.get(name) or TEXT_COMMANDS[name], entries)
    assert json.loads(_run(demo, capsys, *args, "--format", "json")) is not None
    rows = list(csv.reader(io.StringIO(_run(demo, capsys, *args, "--format", "csv"))))
    assert rows and rows[0] and all(len(row) == len(rows[0]) for row in rows)
    if name == "findings":
        assert rows[0] == ["declaration", "check", "kind", "severity", "where", "message"]
    else:
        assert len(rows) > 1, f"{name}: the CSV holds no row"
    # and to a file, as written to standard output
    out = tmp_path / "out.csv"
    _run(demo, capsys, *args, "--format", "csv", "-o", str(out))
    assert list(csv.reader(io.StringIO(out.read_text("utf-8"), newline=""))) == rows
    xlsx = tmp_path / "out.xlsx"
    if name in SHEET_COMMANDS:
        _run(demo, capsys, *args, "--format", "xlsx", "-o", str(xlsx))
        book = openpyxl.load_workbook(xlsx)
        first = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
        assert first == rows[0]  # the CSV is the workbook's first sheet
    else:
        with pytest.raises(SystemExit):
            _run(demo, capsys, *args, "--format", "xlsx", "-o", str(xlsx))
        assert not xlsx.exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["status", "responses", "log show", "declarations"])
def test_json_is_a_hidden_alias_of_format_json(
    demo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    args = SHEET_COMMANDS[name]
    assert _run(demo, capsys, *args, "--json") == _run(demo, capsys, *args, "--format", "json")
    helped = _run(demo, capsys, *args[: 2 if args[0] != "status" else 1], "--help", columns=200)
    assert "--format" in helped and "--json" not in helped


def test_xlsx_needs_a_file_and_a_bad_format_is_named(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (("log", "show", "--format", "xlsx"), "--format xlsx writes a file: give it with -o FILE"),
        (("log", "show", "--format", "yaml"), "--format must be one of text, json, csv, xlsx"),
        (("party", "list", "--format", "xlsx"), "--format must be one of text, json, csv,"),
    ):
        with pytest.raises(SystemExit) as exited:
            _run(demo, capsys, *args)
        assert exited.value.code != 0
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def _lines_fit(text: str, width: int) -> None:
    assert [line for line in text.splitlines() if cell_len(line.rstrip()) > width] == []


@pytest.mark.slow
def test_status_at_80_columns_keeps_step_ids_and_dates(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = SHEET_COMMANDS["status"]
    data = json.loads(_run(demo, capsys, *args, "--format", "json"))
    text = _run(demo, capsys, *args)
    _lines_fit(text, 80)
    words = set(text.split())
    for step in data["steps"]:
        assert step["id"] in words
        if step["deadline"]:
            assert step["deadline"] in words
    assert "…" not in text


@pytest.mark.slow
def test_violation_ids_survive_80_columns_and_a_pipe(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = SHEET_COMMANDS["violations"]
    data = json.loads(_run(demo, capsys, *args, "--format", "json"))
    ids = [v["id"] for v in data["violations"]]
    assert ids
    for columns in (80, 160, None):
        text = _run(demo, capsys, *args, columns=columns)
        _lines_fit(text, columns or PIPE_WIDTH)
        words = set(text.split())
        assert all(i in words for i in ids), columns
        assert all(v["date"] in words for v in data["violations"])


@pytest.mark.slow
def test_declarations_and_log_at_80_columns(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = SHEET_COMMANDS["declarations"]
    listed = json.loads(_run(demo, capsys, *args, "--format", "json"))["declarations"]
    text = _run(demo, capsys, *args)
    _lines_fit(text, 80)
    for d in listed:
        assert {d["id"], d["logged_at"], d["as_of"]} <= set(text.split())

    args = SHEET_COMMANDS["log show"]
    entries = json.loads(_run(demo, capsys, *args, "--format", "json"))
    text = _run(demo, capsys, *args)
    _lines_fit(text, 80)
    words = set(text.split())
    for e in entries:
        assert {str(e["index"]), e["recorded_at"], e["party"]} <= words
        # the hash may wrap in its cell, never lose a character
        assert e["leaf_hash"] in "".join(text.split())
        # one encoding: the hash in base64 (as the API and receipts), the time RFC 3339 with Z
        assert len(base64.b64decode(e["leaf_hash"], validate=True)) == 32
        assert RFC3339_Z.match(e["recorded_at"]) and RFC3339_Z.match(e["signed_at"])


@pytest.mark.slow
def test_log_show_encodes_as_the_api_does(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = demo.parents[1] / demo.parent.name.removesuffix("-nodes")  # where the receipt was kept
    receipt = json.loads(next(log.glob("receipt-*.json")).read_text("utf-8"))
    index = str(receipt["index"])
    entry = json.loads(_run(demo, capsys, "log", "get", index, "--format", "json"))
    shown = json.loads(_run(demo, capsys, "log", "show", "--from", index, "--limit", "1", "--json"))
    assert shown[0]["leaf_hash"] == entry["leaf_hash"] == receipt["leaf_hash"]
    assert shown[0]["recorded_at"] == entry["recorded_at"] == entry["logged_at"]


# -- the renderer and the writers, on their own ---------------------------------------


def _sheet(rows: int = 3) -> Sheet:
    sheet = Sheet(
        "t",
        (
            Column("id", kind=Kind.ID),
            Column("on", kind=Kind.DATE),
            Column("n", kind=Kind.FIGURE),
            Column("note"),
        ),
    )
    for i in range(rows):
        sheet.add(
            id=f"cns-demo:2019-05-0{i}:sohae/unsc-1718-missile-launch",
            on=date(2019, 5, i + 1),
            n=12345 + i,
            note="a long note " * 4,
        )
    return sheet


def test_text_columns_wrap_and_ids_keep_their_width() -> None:
    sheet = _sheet()
    cells = [[str(cell_value(r[c.key])) for c in sheet.columns] for r in sheet.rows]
    widths = column_widths(sheet.columns, cells, 100)
    assert widths is not None
    assert widths[:3] == [len(cells[0][0]), 10, 5] and widths[3] < len(cells[0][3])
    assert sum(widths) + 2 * 3 <= 100
    # too narrow for the ids: no table
    assert column_widths(sheet.columns, cells, 60) is None


@pytest.fixture
def columns_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch


def test_a_narrow_terminal_gets_one_block_per_row(
    columns_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    columns_env.setenv("COLUMNS", "60")
    assert output_width() == 60
    print_sheet(_sheet())
    out = capsys.readouterr().out
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 3
    first = blocks[0].splitlines()
    assert first[0] == "id cns-demo:2019-05-00:sohae/unsc-1718-missile-launch"
    assert first[1].split() == ["on:", "2019-05-01", "n:", "12345"]
    assert first[2].split()[0] == "note:"
    assert all(cell_len(line.rstrip()) <= 60 for line in out.splitlines())
    columns_env.setenv("COLUMNS", "100")
    print_sheet(_sheet())
    table = capsys.readouterr().out
    assert table.splitlines()[1].startswith("─") and len(table.strip().splitlines()) > 3
    assert "2019-05-01" in table.split() and "12345" in table.split()


def test_a_pipe_without_columns_is_wide(columns_env: pytest.MonkeyPatch) -> None:
    columns_env.delenv("COLUMNS", raising=False)
    assert output_width() == PIPE_WIDTH


def test_one_encoding_per_kind_of_value() -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    assert encode_time(moment) == "2020-01-02T03:04:05.678Z"
    assert encode_hash(b"\x00" * 32) == "A" * 43 + "="
    assert cell_value(moment) == encode_time(moment)
    assert cell_value(b"\xff") == "/w=="
    assert cell_value(date(2020, 1, 2)) == "2020-01-02"
    assert cell_value(Decimal("1.50")) == "1.50"
    assert cell_value(True) == "true"
    assert cell_value(float("nan")) is None
    assert cell_value([1, "a", None]) == "1; a; "


def test_spreadsheets_read_record_text_as_text(tmp_path: Path) -> None:
    sheet = Sheet("a/b:c", (Column("text"), Column("n", kind=Kind.FIGURE)))
    sheet.add(text='=HYPERLINK("http://x")', n=1.5)
    sheet.add(text="-2 \x07bell", n=None)
    assert list(csv.reader(io.StringIO(to_csv(sheet)))) == [
        ["text", "n"],
        ['\'=HYPERLINK("http://x")', "1.5"],
        ["'-2 \x07bell", ""],
    ]
    path = tmp_path / "t.xlsx"
    path.write_bytes(to_xlsx([sheet, sheet]))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["a_b_c", "a_b_c (2)"]
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert rows == [["text", "n"], ['=HYPERLINK("http://x")', 1.5], ["-2 bell", None]]
    assert book.worksheets[0]["A2"].data_type == "s"
