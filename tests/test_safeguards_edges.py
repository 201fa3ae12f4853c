"""Safeguards edge cases: empty periods, a balance with no random error, variances from
declared values, Page's exact run lengths, small strata, and the shipped example
files against their schemas."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from scipy.stats import norm

from accordwatch.cli import main
from accordwatch.safeguards.detection import page_alarm_probability, page_arl, page_arl_exact
from accordwatch.safeguards.file_schemas import SCHEMAS
from accordwatch.safeguards.material_balance import (
    Balance,
    Location,
    Settings,
    covariance,
    evaluate,
    muf,
)
from accordwatch.safeguards.sampling import plan_stratum
from accordwatch.safeguards.simulation import Facility, Scenario, simulate

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "accordwatch" / "examples"


def brook_evans_arl(k_ref: float, h: float, states: int = 2000) -> float:
    """The in-control ARL by the Markov chain of Brook and Evans (1972), independently."""
    width = h / (states - 0.5)
    centres = np.arange(states) * width
    upper = centres[None, :] + width / 2 + k_ref - centres[:, None]
    lower = centres[None, :] - width / 2 + k_ref - centres[:, None]
    q = norm.cdf(upper) - norm.cdf(lower)
    q[:, 0] = norm.cdf(width / 2 + k_ref - centres)
    arl = np.linalg.solve(np.eye(states) - q, np.ones(states))
    return float(arl[0])


def test_page_run_length_is_exact_and_siegmund_is_close() -> None:
    exact = page_arl_exact(0.0, 0.5, 5.0)
    assert exact == pytest.approx(930.9, abs=0.05)
    assert exact == pytest.approx(brook_evans_arl(0.5, 5.0), rel=1e-3)
    assert page_arl(0.0, 0.5, 5.0) == pytest.approx(exact, rel=0.02)
    assert page_arl_exact(1.0, 0.5, 5.0) == pytest.approx(10.38, abs=0.01)
    assert page_arl_exact(0.0, 0.5, 4.0) == pytest.approx(335.4, abs=0.1)
    # The false alarm probability within n balances grows to 1, as 1 - exp(-n / ARL) roughly.
    within = page_alarm_probability(1000, 0.0, 0.5, 5.0)
    assert within == pytest.approx(0.659, abs=5e-4)
    assert within == pytest.approx(1 - math.exp(-1000 / exact), abs=0.01)
    # One balance alarms when SITMUF - K > h.
    assert page_alarm_probability(1, 0.0, 0.5, 5.0) == pytest.approx(norm.sf(5.5), rel=1e-6)


def empty_month() -> Balance:
    """Five monthly balances of a store; month 3 stands empty (no flow, no stock)."""
    rsd = (0.01, 0.005)
    return Balance(
        5,
        (
            Location("in", "input", np.array([4.02, 3.97, 0.0, 4.05, 3.99]), *rsd),
            Location("out", "output", np.array([4.00, 5.96, 0.0, 4.01, 4.03]), *rsd),
            Location("store", "inventory", np.array([2.0, 2.01, 0.0, 0.0, 0.03, 0.0]), *rsd),
        ),
    )


def test_an_empty_period_is_left_out_of_sitmuf_exactly() -> None:
    balance = empty_month()
    result = evaluate(balance)
    assert np.isnan(result.sitmuf[2]) and not np.isnan(result.sitmuf[[0, 1, 3, 4]]).any()
    assert result.muf[2] == 0 and result.sigma_muf[2] == 0
    # The other balances' SITMUF is L^-1 MUF over the covariance without balance 3.
    keep = [0, 1, 3, 4]
    dense = covariance(balance).dense()[np.ix_(keep, keep)]
    expected = np.linalg.solve(np.linalg.cholesky(dense), muf(balance)[keep])
    assert result.sitmuf[keep] == pytest.approx(expected, rel=1e-10)
    # Page's test keeps its value across the empty balance.
    assert result.page[2] == result.page[1]
    assert [u.balances for u in result.undefined] == [(3,)]
    out = result.to_json()
    assert out["sitmuf"][2] is None and out["undefined"][0]["statistics"] == ["sitmuf"]


def tank_only(values: list[float], random_rsd: float, systematic_rsd: float) -> Balance:
    """A tank and no flows: each MUF is the change of stock, measured as the rsd say."""
    count = len(values) - 1
    zero = np.zeros(count)
    return Balance(
        count,
        (
            Location("in", "input", zero, 0.01, 0.005),
            Location("tank", "inventory", np.array(values), random_rsd, systematic_rsd),
        ),
    )


def test_a_stock_measured_with_no_error_that_did_not_change_is_known_exactly() -> None:
    result = evaluate(tank_only([1.0, 1.0, 3.0], 0.0, 0.01))
    # Balance 1: the same stock, the same systematic error: MUF is exactly 0.
    assert result.muf[0] == 0 and result.sigma_muf[0] == 0 and np.isnan(result.sitmuf[0])
    assert result.sitmuf[1] == pytest.approx(-2 / 0.02)
    assert [u.balances for u in result.undefined] == [(1,)]


def test_no_random_error_falls_back_to_the_whole_matrix() -> None:
    balance = Balance(
        3,
        (
            Location("in", "input", np.array([4.0, 0.0, 4.0]), 0.01, 0.005),
            Location("out", "output", np.array([4.0, 0.0, 4.0]), 0.01, 0.005),
            Location("tank", "inventory", np.array([1.0, 1.0, 2.0, 2.0]), 0.0, 0.01),
        ),
    )
    result = evaluate(balance)
    dense = covariance(balance).dense()
    expected = np.linalg.solve(np.linalg.cholesky(dense), muf(balance))
    assert result.sitmuf == pytest.approx(expected, rel=1e-10)
    assert result.undefined == ()


def test_a_singular_covariance_leaves_muf_and_says_why() -> None:
    # Two balances whose only error is the one systematic error of the tank:
    # perfectly correlated, so no standardization exists.
    result = evaluate(tank_only([1.0, 2.0, 3.0], 0.0, 0.01))
    assert result.sigma_muf == pytest.approx([0.01, 0.01])
    assert np.isnan(result.sitmuf).all() and np.isnan(result.page).all()
    (gap,) = result.undefined
    assert gap.statistics == ("sitmuf", "page") and gap.balances == (1, 2)
    assert "from balance 1 on, material is measured with no random error" in gap.reason
    assert not result.alarms["page"].any()


def test_evaluate_cli_reports_every_balance_of_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "balance.yaml"
    main(["safeguards", "example", "balance", "-o", str(path)])
    main(["safeguards", "evaluate", str(path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert len(out["muf"]) == len(out["sigma_muf"]) == 12
    assert None not in out["muf"] and None not in out["sigma_muf"]
    assert out["sitmuf"][6] is None and out["undefined"][0]["balances"] == [7]
    main(["safeguards", "evaluate", str(path)])
    text = capsys.readouterr().out
    assert "sitmuf undefined at balance(s) 7" in text and "undefined" in text


def test_declared_values_build_the_variances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "balance.yaml"
    main(["safeguards", "example", "balance", "-o", str(path)])
    main(["safeguards", "evaluate", str(path), "--format", "json"])
    observed = json.loads(capsys.readouterr().out)
    main(["safeguards", "evaluate", str(path), "--format", "json", "--systematic-from", "declared"])
    declared = json.loads(capsys.readouterr().out)
    assert declared["muf"] == observed["muf"]
    assert declared["sigma_muf"] != observed["sigma_muf"]
    # With declared values the sigma is that of the declared balance.
    doc = yaml.safe_load(path.read_text())
    for loc in doc["locations"]:
        loc["values"] = loc.pop("declared")
    path.write_text(yaml.safe_dump(doc))
    main(["safeguards", "evaluate", str(path), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["sigma_muf"] == pytest.approx(
        declared["sigma_muf"], rel=1e-12
    )


def test_declared_values_must_be_given_for_every_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "balance.yaml"
    main(["safeguards", "example", "balance", "-o", str(path)])
    doc = yaml.safe_load(path.read_text())
    del doc["locations"][0]["declared"]
    path.write_text(yaml.safe_dump(doc))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["safeguards", "evaluate", str(path)])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "declared values are given for some locations but not receipts" in err
    assert len(err.strip().splitlines()) == 1
    for loc in doc["locations"]:
        loc.pop("declared", None)
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(SystemExit):
        main(["safeguards", "evaluate", str(path), "--systematic-from", "declared"])
    assert "needs `declared` values for every location" in capsys.readouterr().err


def test_variances_from_declared_values_keep_sitmuf_standard_normal() -> None:
    balances = 400
    rsd = (0.03, 0.02)
    truth = Balance(
        balances,
        (
            Location("feed", "input", np.full(balances, 50.0), *rsd),
            Location("tank", "inventory", np.full(balances + 1, 100.0), *rsd),
            Location("product", "output", np.full(balances, 50.0), *rsd),
        ),
    )
    facility = Facility(truth, Settings())
    plug_in = simulate(facility, Scenario(), realisations=400, seed=7)
    declared = simulate(facility, Scenario(), realisations=400, seed=7, systematic_from="declared")
    exact = page_alarm_probability(balances, 0.0, 0.5, 5.0)
    # The plug-in variances make Page's test alarm less often than it should; the
    # declared ones bring it back to the exact rate (within sampling error).
    se = math.sqrt(exact * (1 - exact) / 400)
    assert abs(declared.tests["page"].false_alarm_rate - exact) < 3 * se
    assert plug_in.tests["page"].false_alarm_rate < declared.tests["page"].false_alarm_rate
    assert declared.to_json()["systematic_from"] == "declared"


def test_a_small_stratum_says_what_its_plan_cannot_detect() -> None:
    small = plan_stratum("pellets", 3, Decimal("0.5"), Decimal("8"), Decimal("0.05"))
    assert small.sample == 1
    caveat = small.caveat()
    assert caveat is not None
    assert "less than the goal quantity of 8 kg" in caveat and "probability 0.33" in caveat
    large = plan_stratum("cans", 60, Decimal("2.6"), Decimal("8"), Decimal("0.05"))
    assert large.caveat() is None


@pytest.mark.parametrize("kind", ["balance", "facility"])
def test_the_shipped_examples_match_their_schemas(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["safeguards", "schema", kind])
    schema = json.loads(capsys.readouterr().out)
    assert schema == SCHEMAS[kind]()
    jsonschema.Draft202012Validator.check_schema(schema)
    main(["safeguards", "example", kind])
    example = yaml.safe_load(capsys.readouterr().out)
    jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "colour": "red"}, schema)
    bad_location = {**example["locations"][0], "method": "x", "random_rsd": 0.1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "locations": [bad_location]}, schema)


def test_the_facility_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    main(["safeguards", "simulate", str(EXAMPLES / "safeguards-facility.yaml"), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["realisations"] == 2000 and out["scenario"]["kind"] == "protracted"
    assert out["tests"]["page"]["detection_probability"] > 0.9


def test_an_unknown_file_kind_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["safeguards", "schema", "ledger"])
    assert exit_info.value.code != 0
    assert capsys.readouterr().err.strip() == (
        "accordwatch: error: no file kind 'ledger': balance (for evaluate) or facility "
        "(for simulate)"
    )
