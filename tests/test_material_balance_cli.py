"""`accordwatch safeguards evaluate | simulate | methods` on files, and the method table."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from accordwatch.cli import main
from accordwatch.errors import InputError, NotFoundError
from accordwatch.safeguards.measurement import load_package_table
from tests.test_material_balance import KINDS, NAMES, mapit, mapit_totals


def mapit_file(tmp_path: Path, realisation: int) -> Path:
    data, _ = mapit()
    totals = mapit_totals()
    doc = {
        "period_count": 60,
        "k": 3,
        "K": 0.5,
        "h": 5,
        "material": "pu",
        "locations": [
            {
                "name": name,
                "kind": KINDS.get(name, "output"),
                "random_rsd": float(data["error_matrix"][row][0]),
                "systematic_rsd": float(data["error_matrix"][row][1]),
                "values": [float(v) for v in totals[name][realisation]],
            }
            for row, name in enumerate(NAMES)
        ],
    }
    path = tmp_path / f"mapit-{realisation}.json"
    path.write_text(json.dumps(doc))
    return path


def test_evaluate_writes_the_statistics_and_the_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = mapit_file(tmp_path, 2)
    main(["safeguards", "evaluate", str(path), "--format", "json", "--chart", str(tmp_path)])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    _, reference = mapit()
    assert out["muf"] == pytest.approx(reference["MUF_slots"][2][1:], abs=1e-12)
    for key in ("muf", "sigma_muf", "cumuf", "sitmuf", "page"):
        assert len(out[key]) == 60
    assert out["alarms"]["page"]["first"] == 40
    assert out["alarms"]["muf"] == {"first": 40, "balances": [40]}
    # One significant quantity of Pu is 8 kg: the detectable diversion, in both units.
    detection = out["detection"]
    assert detection["diversion_sq"][0] == pytest.approx(detection["diversion"][0] / 8)
    assert detection["alpha"] == pytest.approx(0.0013499, rel=1e-4)
    assert detection["diversion"][0] == pytest.approx(out["sigma_muf"][0] * (3 + 1.6448536))
    for stem in ("mapit-2-balance", "mapit-2-detection"):
        for suffix in (".png", ".svg"):
            picture = tmp_path / f"{stem}{suffix}"
            assert picture.stat().st_size > 10_000
        assert (tmp_path / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pictures:" in captured.err


def test_evaluate_table_names_the_first_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["safeguards", "evaluate", str(mapit_file(tmp_path, 2))])
    out = capsys.readouterr().out
    assert "page: first alarm at balance 40" in out
    assert "cumuf: no alarm" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"period_count": 0}, "period_count must be a positive integer"),
        ({"k": -1}, "k must be at least 0"),
        ({"locations": []}, "locations must be a non-empty list"),
        ({"material": "gold"}, "unknown material 'gold'"),
        ({"colour": 1}, "unknown member(s) colour"),
    ],
)
def test_evaluate_refuses_bad_files_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], message: str
) -> None:
    doc = json.loads(mapit_file(tmp_path, 0).read_text()) | change
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as exc:
        main(["safeguards", "evaluate", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "bad.json" in err[0]


def test_evaluate_names_the_location_at_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(mapit_file(tmp_path, 0).read_text())
    doc["locations"][2]["values"] = doc["locations"][2]["values"][:-1]
    doc["locations"][4]["random_rsd"] = "1%"
    for n, expected in (
        (2, "locations[2] (inv0): values must be a list of 61 numbers"),
        (4, "locations[4] (out0): random_rsd must be a finite number"),
    ):
        path = tmp_path / "bad.json"
        trimmed = {**doc, "locations": doc["locations"][: n + 1]}
        if n == 4:
            trimmed["locations"][2] = json.loads(mapit_file(tmp_path, 0).read_text())["locations"][
                2
            ]
        path.write_text(json.dumps(trimmed))
        with pytest.raises(SystemExit):
            main(["safeguards", "evaluate", str(path)])
        assert expected in capsys.readouterr().err
    zero = json.loads(mapit_file(tmp_path, 0).read_text())
    for loc in zero["locations"]:
        loc["random_rsd"] = 0
    path = tmp_path / "zero.json"
    path.write_text(json.dumps(zero))
    # MUF and sigma are still reported for every balance; SITMUF and Page say why not.
    main(["safeguards", "evaluate", str(path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert None not in out["muf"] and None not in out["sigma_muf"]
    assert set(out["sitmuf"]) == {None}
    assert "not positive definite" in out["undefined"][0]["reason"]


def facility(tmp_path: Path, scenario: dict[str, Any]) -> Path:
    doc = {
        "period_count": 30,
        "realisations": 2000,
        "seed": 4,
        "locations": [
            {"name": "feed", "kind": "input", "method": "titration-plutonium", "value": 20},
            {"name": "cans", "kind": "inventory", "method": "neutron-coincidence-pu", "value": 60},
            {
                "name": "product",
                "kind": "output",
                "random_rsd": 0.002,
                "systematic_rsd": 0.001,
                "value": 20,
            },
        ],
        "scenario": scenario,
    }
    path = tmp_path / "facility.yaml"
    path.write_text(json.dumps(doc))
    return path


def test_simulate_estimates_detection_and_false_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = facility(tmp_path, {"kind": "protracted", "start": 10, "per_balance": 1.0})
    main(["safeguards", "simulate", str(path), "--format", "json", "--chart", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    page = out["tests"]["page"]
    assert out["realisations"] == 2000 and out["seed"] == 4
    assert page["detection_probability"] > 0.9 > page["false_alarm_rate"]
    assert page["detected_by_balance"][8] <= page["false_alarm_rate"]
    assert (tmp_path / "facility-simulation.png").stat().st_size > 10_000
    main(["safeguards", "simulate", str(path), "--format", "json", "--seed", "4"])
    assert json.loads(capsys.readouterr().out) == out


def test_simulate_refuses_an_unbalanced_facility_and_bad_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = facility(tmp_path, {"kind": "abrupt", "balance": 31, "amount": 1})
    with pytest.raises(SystemExit):
        main(["safeguards", "simulate", str(path)])
    assert "balance must be a balance number in 1..30" in capsys.readouterr().err
    path = facility(tmp_path, {"kind": "protracted", "start": 2, "per_balance": 5})
    with pytest.raises(SystemExit):
        main(["safeguards", "simulate", str(path)])
    assert "inventory 'cans' would become negative at boundary 14" in capsys.readouterr().err
    doc = json.loads(facility(tmp_path, {"kind": "none"}).read_text())
    doc["locations"][2]["value"] = 19
    path.write_text(json.dumps(doc))
    with pytest.raises(SystemExit):
        main(["safeguards", "simulate", str(path)])
    assert "does not balance: true MUF of period 1 is 1" in capsys.readouterr().err


def test_method_table_ships_sources_and_takes_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = load_package_table()
    for method in table.methods.values():
        assert method.source == "itv2010"
        assert 0 < method.random_rsd < 0.05 and 0 < method.systematic_rsd < 0.05
    assert "STR-368" in table.cited(table.methods["idms-plutonium"])
    both = table.lookup("weighing-load-cell+titration-davies-gray")
    assert both.random_rsd == pytest.approx(math.hypot(0.0005, 0.001))
    with pytest.raises(NotFoundError, match="unknown measurement method 'nope'"):
        table.lookup("weighing-load-cell+nope")
    doc = {
        "methods": {"idms-plutonium": {"random_rsd": 0.0008}},
        "mbas": {
            "mba-a": {
                "methods": {
                    "lab": {
                        "random_rsd": 0.002,
                        "systematic_rsd": 0.001,
                        "source": "site calibration 2025",
                    }
                }
            }
        },
    }
    other = table.overridden(doc, mba="mba-b", where="f")
    assert other.methods["idms-plutonium"].random_rsd == 0.0008
    assert other.methods["idms-plutonium"].systematic_rsd == 0.001
    assert other.methods["idms-plutonium"].source == "user override"
    assert "lab" not in other.methods
    assert table.overridden(doc, mba="mba-a", where="f").methods["lab"].random_rsd == 0.002
    with pytest.raises(InputError, match="a new method needs systematic_rsd"):
        table.overridden({"methods": {"x": {"random_rsd": 0.1}}}, mba=None, where="f")
    path = tmp_path / "methods.yaml"
    path.write_text(json.dumps(doc))
    main(["safeguards", "methods", "--methods", str(path), "--mba", "mba-a", "--format", "json"])
    listed = json.loads(capsys.readouterr().out)
    assert listed["lab"]["source"] == "site calibration 2025"
    assert "International Target Values 2010" in listed["titration-davies-gray"]["source"]
