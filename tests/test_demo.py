"""The README's first command: the demo runs end to end and leaves a workspace that audits;
its events file holds the 2019 launches exactly as the CNS database records them.

The demo runs the accord as it would be run: the log in its folder, a node per
party in folders of their own; the confidential declaration's marker is read
on DPRK's and the IAEA's nodes and is in no file of the log's operator nor of
the United States' node."""

from __future__ import annotations

import ast
import csv
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

import accordwatch
import accordwatch.cli.demo
from accordwatch.cli import main
from accordwatch.cli.demo.declarations import MARKER
from accordwatch.data import DEMO_EVENTS, data_text
from accordwatch.service.token_store import TokenStore
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.conftest import SHARED
from tests.test_compliance_report import EVENTS_PER_YEAR

SRC = Path(accordwatch.__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_runs_and_its_log_audits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "demo"
    nodes = tmp_path / "demo-nodes"
    iaea, dprk, usa = (nodes / party for party in ("iaea", "dprk", "usa"))
    main(["demo", "--home", str(home)])
    out = " ".join(capsys.readouterr().out.split())  # as read, whatever the line width
    for expected in (
        "refused",  # the revoked key
        "premature concession",
        "concessions ran ahead",
        "answered",  # the Council's responses of 2017
        "high-enriched uranium element mass: 245000 g -> 305000 g",
        # the 2019 launches: as many violating events as the full CNS data give for 2019
        "in 2019: 14 events (27 missiles) in 15 source rows; 0 superseded row versions "
        f"violations of binding obligations: {EVENTS_PER_YEAR[2019]} events",
        # the road map's moratoria bind from 2020: of the demo's events only the
        # unclassified launch of 2022 falls in, and may break them
        "in 2022: 1 event (4 missiles) in 1 source row; 0 superseded row versions "
        "violations of binding obligations: 0 events uncertain (the source does not say "
        "enough), counted apart: 1 event",
        "1718 ... dprk-roadmap (11)",
        "muf: first alarm at balance 8",  # the planted diversion, August 2021
        "declared item CAN-016 was not found",
        # the road map's consequences: one answered in time, one left unanswered,
        # and a concession given while one of them held it back
        "consequence enforce-sanctions/2021-01-30",
        "respond resume-exercises by 2021-03-17: answered (resumed-exercise on 2021-03-10",
        "respond enforce-sanctions by 2021-03-01: unanswered (none recorded)",
        "concession while suspended usa reported concession usa-liaison-office",
        "2 triggered, 0 standing; 1 without response within their window",
        # the escrowed declaration: three reveals, the third drawn, one undeclared site
        "logged public reveal of part region-north-west of escrow dprk-sites-2021-03",
        "logged public reveal of part region-north-east of escrow dprk-sites-2021-03",
        "logged confidential (to the inspectorate) reveal of part region-",
        "step reveal-drawn drew part region-",
        "undeclared item open-source imagery analysts observed Yongdoktong high-explosive "
        "test site",
        "escrow: undeclared item:",
    ):
        assert expected in out
    # ... and the report shows them with their entries
    (report,) = (home / "report").glob("report-*.html")
    page = report.read_text("utf-8")
    assert "<h3>Consequences</h3>" in page
    text = re.sub(r"<[^>]+>", "", page)  # as read: ids and dates sit in no-break spans
    assert "resume-exercises/2021-02-15" in text and "2021-04-20 (#43)" in text
    assert "enforce-sanctions by 2021-03-01: unanswered" in text
    assert (home / "roadmap-dprk-roadmap-2021-12-31.png").stat().st_size > 10_000
    assert (iaea / "safeguards" / "yb-pu-store-pu-balance.png").stat().st_size > 10_000

    # The closing lines say whose each folder is, and point to the inspectorate's
    # token of the IAEA's node, readable by its owner only.
    for folder, owner in ((home, "the log, run by the registrar"), (iaea, "the IAEA's node")):
        assert f"{folder} {owner}" in out
    token_file = iaea / "inspectorate.token"
    assert f"sign in at /signin with the token in {token_file}" in out
    assert f"accordwatch --home {iaea} serve --port" in out
    assert token_file.stat().st_mode & 0o777 == 0o600
    ledger = Workspace.open(iaea).ledger()
    grant = TokenStore(ledger.engine, ledger.url).find(token_file.read_text("ascii").strip())
    assert (grant.party, grant.role, grant.state(utc_now())) == ("iaea", "inspectorate", "active")

    # The declaration was read on DPRK's and the IAEA's nodes, refused on the United
    # States' and at the log; and its marker is in no file the log's operator holds,
    # nor the United States' node: database, write-ahead log, exports, report, all.
    read = [line for line in out.split("$ accordwatch") if "declaration show" in line]
    assert len(read) == 4 and all(MARKER in line for line in read[:2]), read
    assert not any(MARKER in line for line in read[2:]) and all("error" in r for r in read[2:])
    assert (home / "accordwatch.db").exists() and (home / "log-export.jsonl").exists()
    assert any((home / "tlog" / "sealed").rglob("*"))  # the published ciphertexts
    for folder in (home, usa):
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert len(files) > 5
        holding = [p for p in files if MARKER.encode() in p.read_bytes()]
        assert holding == [], f"the marker is in {holding}"
    for folder in (dprk, iaea):
        main(["--home", str(folder), "declaration", "show", "dprk-nuclear-2020-12"])
        assert MARKER in capsys.readouterr().out
    # No party's private key was ever in the log's folder: its keys are the log's and
    # the registrar's; each party's are in its own folder.
    assert sorted(p.parent.name for p in (home / "keys").rglob("*.key")) == ["keys", "registrar"]
    for party in ("dprk", "usa", "rok", "iaea", "cns"):
        assert len(list((nodes / party / "keys" / party).glob("*.key"))) >= 2

    # The balance alarms in the diversion's first period (8) and nowhere before it.
    main(["--home", str(iaea), "accountancy", "balance", "yb-pu-store", "--format", "json"])
    balance = json.loads(capsys.readouterr().out)
    assert len(balance["muf"]) == 12 and balance["findings"] == []
    assert {name: alarm["first"] for name, alarm in balance["alarms"].items()} == {
        "muf": 8,
        "cumuf": 8,
        "sitmuf": 8,
        "page": 9,
    }
    assert sum(balance["muf"][7:10]) == pytest.approx(8.1, abs=0.1)  # about one SQ

    # The inspection finds exactly one discrepancy, whichever cans the draw selected.
    plan = json.loads((iaea / "inspection-selection.json").read_text("utf-8"))
    main(
        ["--home", str(iaea), "inspection", "compare", str(plan["plan_entry"]), "--format", "json"]
    )
    compared = json.loads(capsys.readouterr().out)
    assert [(f["kind"], f["item_id"]) for f in compared["findings"]] == [("missing", "CAN-016")]
    assert not any(d["significant"] for d in compared["d_statistics"])
    # The draw came from the IAEA's secret nonce and a witnessed checkpoint; the
    # report revealed the nonce, and anyone who reads the plan (DPRK) checks the draw.
    assert plan["nonce_sha256"]
    main(["--home", str(dprk), "inspection", "verify-draw", str(plan["plan_entry"]), "--json"])
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is True, verified["problems"]
    assert verified["witnessed"].startswith("witnessed by")

    # The parties' witnesses cosigned, refused a forked checkpoint, and the evidence holds.
    assert "witnessed by 4 of 4 (dprk, iaea, rok, usa)" in out
    assert "the witness answers 422: a second root for size" in out
    assert "signed two checkpoints of size" in out
    # A receipt, the policy and the log's key: a machine with only these checks it.
    receipts = sorted(home.glob("witnessed-receipt-*.json"))
    assert receipts
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    for path in (receipts[0], home / "policy.txt", home / "log.vkey"):
        (alone / path.name).write_bytes(path.read_bytes())
    env = {"PATH": "/usr/bin:/bin", "HOME": str(alone), "PYTHONPATH": str(SRC)}
    checked = subprocess.run(
        [
            *(sys.executable, "-m", "accordwatch", "receipt", "verify", receipts[0].name),
            *("--log-key", (alone / "log.vkey").read_text("utf-8").strip()),
            *("--policy", "policy.txt"),
        ],
        cwd=alone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert "witnessed by 4 of 4" in checked.stdout
    # no witness process outlives the demo, nor the log's server
    for pattern in (f"{nodes}/", f"--home {home} serve"):
        leftover = subprocess.run(
            ["pgrep", "-f", "--", pattern], capture_output=True, text=True, check=False
        )
        assert leftover.stdout == ""

    main(["--home", str(home), "log", "audit"])
    assert "audit ok" in capsys.readouterr().out

    # The draw of the escrow's third region: anyone recomputes it from that log alone,
    # and the reveal of the drawn step opened the drawn part.
    escrow_home = tmp_path / "demo-escrow"
    drawn = "step reveal-drawn drew part region-"
    assert drawn in out and "draw verified: part region-" in out
    main(["--home", str(escrow_home), "declaration", "draw", "show", "--format", "json"])
    (draw,) = json.loads(capsys.readouterr().out)
    assert draw["state"] == "drawn" and draw["candidates"] == ["region-central", "region-south"]
    assert (
        f"reveal of part {draw['part']} of escrow dprk-sites-2021-03 for step reveal-drawn" in out
    )
    escrow_report = next((escrow_home / "report").glob("report-*.html")).read_text("utf-8")
    escrow_text = re.sub(r"<[^>]+>", "", escrow_report)
    assert "Escrowed declarations" in escrow_text and "undeclared item" in escrow_text
    assert "confidential reveals, readable by the inspectorate: #" in escrow_text
    main(["--home", str(escrow_home), "log", "audit"])
    assert "audit ok" in capsys.readouterr().out
    main(["demo", "--home", str(home)])  # a second run replaces its own folders
    assert (nodes / "iaea" / "inspectorate.token").exists()


def test_the_demo_events_of_2019_are_the_cns_rows() -> None:
    """Each demo event of 2019 sums the CNS rows of one day, site, missile and outcome."""
    with (SHARED / "data" / "missile_launches.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["date"].startswith("2019")]
    expected = Counter(
        (r["date"], r["facility_id"], r["missile_name"], r["missile_type"], r["outcome"])
        for r in rows
    )
    events = json.loads(data_text(DEMO_EVENTS))["events"]
    found: Counter[tuple[str, str, str, str, str]] = Counter()
    for e in (e for e in events if e["date"].startswith("2019")):
        a = e["attributes"]
        if e["type"] == "unclassified_launch":
            key = (e["date"], "unknown", "Unknown", "Unknown", a["outcome"])
            assert e["occurrence"] == f"{e['date']}:unknown"
        else:
            assert e["type"] == "missile_launch"
            key = (e["date"], a["site"], a["missile_name"], a["missile_class"], a["outcome"])
            names = {r["facility_name"] for r in rows if r["facility_id"] == a["site"]}
            assert names == {a["site_name"]}
        assert key not in found
        found[key] = e.get("count", 1)
    assert found == expected


DEMO = Path(accordwatch.cli.demo.__file__).parent


def _imported(nodes: Iterable[ast.AST]) -> list[str]:
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_registering_the_demo_loads_none_of_its_steps() -> None:
    """`accordwatch --help` must not pay for the store, the charts and the reports."""
    tree = ast.parse((DEMO / "__init__.py").read_text("utf-8"))
    light = {"__future__", "typer", "accordwatch.cli.context"}
    heavy = [
        name
        for name in _imported(tree.body)
        if name not in light and name.split(".")[0] not in sys.stdlib_module_names
    ]
    assert heavy == []


def test_the_demo_does_not_import_the_command_line_that_registers_it() -> None:
    """The command line's package registers the demo; the demo runs commands through its root."""
    for path in sorted(DEMO.glob("*.py")):
        names = _imported(ast.walk(ast.parse(path.read_text("utf-8"))))
        assert "accordwatch.cli" not in names, path.name
