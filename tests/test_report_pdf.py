"""`accordwatch report --format pdf`: the printable report as PDF, checked by reading its text back.

The text is read with a small reader of the PDF that fpdf2 writes (an xref table, Type0 fonts
with a ToUnicode map, literal strings shown with Tj): enough to see what each page says without
a PDF library.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.reports.pdf import pdf
from accordwatch.reports.report_data import Chart, ReportData
from accordwatch.workspace import Workspace
from tests.test_web_report import EMPTY_COMPLIANCE

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _objects(doc: bytes) -> dict[int, bytes]:
    """Each object's text (dictionary, and stream decompressed), by object number."""
    start = int(re.findall(rb"startxref\s+(\d+)", doc)[-1])
    entries = re.findall(rb"(\d{10}) \d{5} ([nf])", doc[start:].split(b"trailer")[0])
    objects = {}
    for number, (offset, kind) in enumerate(entries):
        if kind != b"n":
            continue
        at = int(offset)
        head_end = doc.index(b">>", at)
        head = doc[at : head_end + 2]
        if doc[head_end + 2 :].lstrip().startswith(b"stream"):
            if b"/FontFile2" in head or b"/Subtype /Image" in head or b"CIDToGID" in head:
                objects[number] = head  # binary, never read as text
                continue
            body_at = doc.index(b"stream", head_end) + len(b"stream")
            body_at += 2 if doc[body_at : body_at + 2] == b"\r\n" else 1
            length = int(re.findall(rb"/Length (\d+)", head)[0])
            body = doc[body_at : body_at + length]
            if b"/FlateDecode" in head:
                body = zlib.decompress(body)
            objects[number] = head + b"\nstream\n" + body
        else:
            objects[number] = doc[at : doc.index(b"endobj", at)]
    return objects


def _ref(obj: bytes, key: bytes) -> int:
    return int(re.findall(rb"/" + key + rb" (\d+) 0 R", obj)[0])


def _unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        code = m[1]
        return bytes([int(code, 8)]) if code[:1].isdigit() else _ESCAPES.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, raw, flags=re.DOTALL)


def page_texts(doc: bytes) -> list[str]:
    """The text shown on each page, one text object (a line of a cell) a line, in order."""
    objects = _objects(doc)
    pages = [o for o in objects.values() if re.search(rb"/Type /Page\b(?!s)", o)]
    texts = []
    for page in pages:
        resources = objects[_ref(page, b"Resources")]
        maps = {}
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", resources):
            cmap = objects[_ref(objects[int(number)], b"ToUnicode")]
            pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", cmap)
            maps[name] = {
                int(c, 16): bytes.fromhex(u.decode()).decode("utf-16-be") for c, u in pairs
            }
        content = objects[_ref(page, b"Contents")].split(b"\nstream\n", 1)[1]
        font: dict[int, str] = {}
        lines, shown = [], ""
        pattern = rb"\bET\b|/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj"
        for m in re.finditer(pattern, content, re.DOTALL):
            if m[1]:
                font = maps[m[1]]
            elif m[2] is not None:
                raw = _unescape(m[2])
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
                shown += "".join(font[c] for c in codes)
            elif shown:  # the end of a text object: one line of the page
                lines.append(shown)
                shown = ""
        texts.append("\n".join(lines))
    return texts


def _data(charts: list[Chart]) -> ReportData:
    return ReportData(
        as_of="2020-01-01",
        origin="test.local/log",
        log_key="test.local/log+00000000+AAAA",
        checkpoint="test.local/log\n1\nroot=\n\n— test.local/log sig\n",
        size=1,
        roadmap={"in_force": None},
        compliance=EMPTY_COMPLIANCE,
        charts=charts,
    )


def test_pdf_prints_the_signed_checkpoint_as_signed(tmp_path: Path) -> None:
    Image.new("RGB", (600, 200), "white").save(tmp_path / "chart.png")
    data = _data([Chart("A chart", "chart.png", "<svg/>")])
    created = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    doc = pdf(data, tmp_path, created)
    assert doc.startswith(b"%PDF-1.") and doc.rstrip().endswith(b"%%EOF")
    assert doc == pdf(data, tmp_path, created), "the same inputs give the same bytes"
    assert b"/CreationDate (D:20200102030405Z)" in doc
    assert doc.count(b"/Subtype /Image") == 1
    pages = page_texts(doc)
    # the summary stands on a page of its own; the checkpoint starts a page
    assert "Summary" in pages[0].split("\n") and "Road map" not in pages[0]
    assert "The checkpoint this report was computed from" in pages[-1].split("\n")
    lines = "\n".join(pages).split("\n")
    assert "Compliance and status report as of 2020-01-01" in lines
    assert "No accord is in force as of 2020-01-01." in lines
    assert "A chart" in lines
    # every line of the note, the em dash of its signature line included, and the key
    for line in data.checkpoint.rstrip("\n").split("\n"):
        if line:
            assert line in lines
    assert "— test.local/log sig" in lines
    assert data.log_key in lines
    assert "Report as of 2020-01-01 · log test.local/log · checkpoint at tree size 1" in lines
    assert f"page {len(pages)} of {len(pages)}" in lines


def test_pdf_without_its_chart_file_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        pdf(_data([Chart("A chart", "missing.png", "")]), tmp_path, datetime.now(UTC))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's log, with the shipped events the observer imported."""
    home = tmp_path_factory.mktemp("pdf") / "ws"
    main(["demo", "--home", str(home)])
    return home


def test_demo_report_as_pdf_cites_what_the_markdown_cites(demo: Path, tmp_path: Path) -> None:
    for fmt in ("pdf", "md"):
        main(["--home", str(demo), "report", "--format", fmt, "--out", str(tmp_path)])
    (path,) = tmp_path.glob("report-*.pdf")
    (markdown,) = tmp_path.glob("report-*.md")
    doc = path.read_bytes()
    assert doc.startswith(b"%PDF-")
    pages = page_texts(doc)
    count = int(re.findall(rb"/Count (\d+)", doc)[0])
    assert len(pages) == count > 1

    ledger = Workspace.open(demo).ledger()
    note = ledger.latest_checkpoint()
    size = Checkpoint.open(note, ledger.signer.verifier).size
    footer = f"log {ledger.origin} · checkpoint at tree size {size}"
    for number, text in enumerate(pages, start=1):
        assert footer in text and f"page {number} of {count}" in text
    last = pages[-1].split("\n")
    for line in note.rstrip("\n").split("\n"):
        if line:
            assert line in last
    assert ledger.signer.verifier.text() in last

    text = "\n".join(pages)
    assert "Road map timeline and balance" in text and "Violations by year" in text
    assert doc.count(b"/Subtype /Image") == 2
    # the entries the PDF cites are the ones the Markdown form cites
    cited = set(re.findall(r"#(\d+)", text))
    assert cited and cited == set(re.findall(r"#(\d+)", markdown.read_text("utf-8")))


def test_the_three_formats_hold_the_same_sections(demo: Path, tmp_path: Path) -> None:
    for fmt in ("pdf", "md", "html"):
        main(["--home", str(demo), "report", "--format", fmt, "--out", str(tmp_path)])
    (path,) = tmp_path.glob("report-*.pdf")
    markdown = next(tmp_path.glob("report-*.md")).read_text("utf-8")
    page = next(tmp_path.glob("report-*.html")).read_text("utf-8")
    headings = [h for _, h in re.findall(r"^(#{2,3}) (.+)$", markdown, flags=re.MULTILINE)]
    assert headings[0] == "Summary"
    for section in ("Road map", "Compliance", "Declarations", "Safeguards"):
        assert section in headings
    html_headings = re.findall(r"<h[23]>([^<]+)</h[23]>", page)
    assert [h.replace("&#39;", "'") for h in html_headings] == headings
    pages = page_texts(path.read_bytes())
    text = "\n".join(pages)
    for heading in headings:
        assert heading in text
    # the summary page: the accord, each side's overdue steps, the violations, the checkpoint
    summary = pages[0]
    assert "Accord in force: Road map for the complete denuclearization" in summary
    assert "Overdue, United States of America:" in summary
    assert "Violations of binding obligations:" in summary and "Checkpoint: tree size" in summary
    # the timeline has a page of its own
    (timeline,) = [p for p in pages if "Road map timeline and balance" in p]
    assert len(timeline.strip().split("\n")) <= 3  # its title and the footer
    # a launch that breaches every resolution since 1718 names the count, not ten ids
    assert "violation of 10 resolutions (1718 to 2397)" in markdown
    assert "1718, 1874, 2087, 2094, 2270" not in markdown


def test_the_report_reads_safeguards_as_the_party_named(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--home", str(demo), "report", "--format", "md", "--out", str(tmp_path / "public")])
    public = next((tmp_path / "public").glob("report-*.md")).read_text("utf-8")
    assert "accountancy reports confidential to this reader" in public
    assert "Safeguards alarm" not in public
    # on the IAEA's node, which opens what is sealed to the IAEA
    out = tmp_path / "iaea"
    iaea = str(Nodes(demo).folder("iaea"))
    main(["--home", iaea, "report", "--format", "md", "--out", str(out), "--as", "iaea"])
    inspectorate = next(out.glob("report-*.md")).read_text("utf-8")
    assert "Read as iaea" in inspectorate
    assert "Safeguards alarm, MBA yb-pu-store (pu): muf from balance" in inspectorate
    assert "| yb-pu-store | pu |" in inspectorate
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["--home", str(demo), "report", "--out", str(tmp_path / "x"), "--as", "nobody"])
    assert exit_info.value.code != 0
    assert "unknown party 'nobody'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
