"""Record text an observer writes to attack whoever reads it: Markdown, HTML, Rich markup,
terminal escape sequences.

An observer may log any event text it likes; the report, the command line and
the dashboard must show it as text and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

from accordwatch.cli import main

HTML = "<img src=x onerror=alert(1)>"
LINK = "[x](http://evil)"
HEADING = "# forged heading"
RICH_LINK = "[link=http://evil]click[/link]"
RICH_STYLE = "[reverse]"
TITLE = "\x1b]0;title\x07"  # sets the terminal window's title
COLOUR = "\x1b[31m"
C1 = "\x9b31m"  # CSI as one C1 control character

#: an occurrence that is Markdown and HTML, with a heading on a line of its own
MARKDOWN_TEXT = f"{HTML} {LINK}\n{HEADING}"
#: text that a terminal or Rich would act on
TERMINAL_TEXT = f"{RICH_LINK} {RICH_STYLE}hidden {TITLE}{COLOUR}red{C1}"


def events_file(folder: Path, text: str) -> Path:
    """A json events file: one DPRK missile launch of 2019 whose texts are all `text`."""
    path = folder / "events.json"
    event = {
        "id": "launch-1",
        "type": "missile_launch",
        "date": "2019-05-04",
        "occurrence": text,
        "attributes": {
            "missile_class": "SRBM",
            "missile_name": text,
            "site": text,
            "site_name": text,
            "description": text,
        },
    }
    doc = {
        "source": {"id": "watch", "name": text, "url": "http://evil"},
        "actor": "dprk",
        "events": [event],
    }
    path.write_text(json.dumps(doc), "utf-8")
    return path


def workspace_with_event(folder: Path, text: str) -> Path:
    """A workspace whose observer `cns` logged one launch carrying `text`; its folder."""
    home = folder / "ws"
    opt = ["--home", str(home)]
    main([*opt, "init"])
    for name, role in (("cns", "observer"), ("dprk", "declarant"), ("unsc", "party")):
        main([*opt, "party", "add", name, "--role", role])
        main([*opt, "key", "new", "--party", name])
    main(
        [
            *opt,
            "events",
            "import",
            str(events_file(folder, text)),
            "--format",
            "json",
            "--as",
            "cns",
        ]
    )
    return home
