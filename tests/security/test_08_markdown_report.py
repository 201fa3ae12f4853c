"""Item 8: record text cannot inject Markdown or HTML into `report --format md`.

An observer logs an event whose occurrence and attributes hold an
`<img onerror>` tag, a link and a heading on a line of its own, then the
report is written as Markdown and rendered as a Markdown viewer would
(CommonMark with tables): no tag, no link, no heading of the attacker's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from accordwatch.cli import main
from tests.security.hostile_records import HEADING, HTML, MARKDOWN_TEXT, workspace_with_event


def test_event_text_comes_out_of_the_markdown_report_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = workspace_with_event(tmp_path, MARKDOWN_TEXT)
    out = tmp_path / "report"
    main(["--home", str(home), "report", "--format", "md", "--out", str(out)])
    text = next(out.glob("report-*.md")).read_text("utf-8")
    assert "forged heading" in text  # the event is in the report
    assert "\n" + HEADING not in text  # not on a line of its own
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    # the only images are the report's own charts; no link at all
    images = re.findall(r"<img [^>]*>", rendered)
    assert images and all(
        re.fullmatch(r'<img src="compliance-[^"]+\.png" alt="[^"]+" />', i) for i in images
    ), images
    assert "<a " not in rendered
    assert [h for h in rendered.splitlines() if h.startswith("<h") and "forged" in h] == []
    # the reader sees the text as it was written, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "[x](http://evil)" in rendered
    assert HTML not in rendered
