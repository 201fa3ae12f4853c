"""`accordwatch report`: the printable report, traceable to log entries and its checkpoint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.reports.report_data import ReportData
from accordwatch.reports.status import html, markdown
from accordwatch.workspace import Workspace

EMPTY_COMPLIANCE = {
    "counted_per": "event",
    "window_days": 90,
    "totals": {
        "violations": 0,
        "uncertain": 0,
        "answered": 0,
        "unanswered": 0,
        "without_response_within_window": 0,
    },
    "by_year": {"rows": []},
    "events": [],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's log, with the shipped events the observer imported."""
    home = tmp_path_factory.mktemp("report") / "ws"
    main(["demo", "--home", str(home)])
    return home


def _report(home: Path, out: Path, fmt: str) -> str:
    main(["--home", str(home), "report", "--format", fmt, "--out", str(out)])
    (path,) = out.glob(f"report-*.{fmt}")
    return path.read_text("utf-8")


def test_markdown_report_is_traceable_to_the_log(demo: Path, tmp_path: Path) -> None:
    text = _report(demo, tmp_path, "md")
    ledger = Workspace.open(demo).ledger()
    note = ledger.latest_checkpoint()
    assert note.rstrip("\n") in text
    assert ledger.signer.verifier.text() in text
    size = Checkpoint.open(note, ledger.signer.verifier).size
    assert f"tree size {size}" in text
    cited = {int(n) for n in re.findall(r"#(\d+)", text)}
    assert cited and max(cited) < size
    types = {ledger.entry(i).record_type for i in cited}
    assert {"step.report", "step.verification", "event"} <= types
    assert "premature concession" in text and "missed deadline" in text
    assert re.search(r"\| 2017 \| [1-9]", text), "the 2017 launches are violations"
    for png in re.findall(r"!\[[^]]*\]\(([^)]+)\)", text):
        assert (tmp_path / png).is_file()


def test_html_report_inlines_its_charts(demo: Path, tmp_path: Path) -> None:
    text = _report(demo, tmp_path, "html")
    assert text.count("<svg") == 2 and "<?xml" not in text
    assert "The checkpoint this report was computed from" in text
    assert not re.search(r"(src|href)=\"https?://", text)


@pytest.mark.parametrize(("fmt", "message"), [("doc", "html, md, pdf")])
def test_unavailable_formats_are_refused(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(demo), "report", "--format", fmt, "--out", str(tmp_path)])
    assert exc.value.code == 3
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_report_of_a_log_without_accord_or_violations() -> None:
    data = ReportData(
        as_of="2020-01-01",
        origin="test.local/log",
        log_key="test.local/log+00000000+AAAA",
        checkpoint="test.local/log\n1\nroot=\n\n— test.local/log sig\n",
        size=1,
        roadmap={"in_force": None},
        compliance=EMPTY_COMPLIANCE,
    )
    text = markdown(data)
    assert "No accord is in force as of 2020-01-01." in text
    assert "0 violations counted per event" in text and "### Violations" not in text
    page = html(data)
    assert "No accord is in force" in page and "<svg" not in page
