"""Material balance statistics against Sandia MAPIT's outputs and against dense linear algebra.

The shared MAPIT data set (`shared/vectors/mapit/`) holds time series of six
locations over 60 balances and MAPIT's results on them. Our MUF must equal
MAPIT's; our sigma_MUF must satisfy the identity its README gives (MAPIT
leaves out the systematic error shared by the two inventories of a period
and treats the opening inventory as exact).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from accordwatch.safeguards.balance_series import (
    boundary_inventories,
    complete_periods,
    continuous_totals,
    discrete_totals,
)
from accordwatch.safeguards.material_balance import (
    Balance,
    Location,
    Settings,
    covariance,
    evaluate,
    first_alarm,
    muf,
    page,
    sitmuf,
)
from tests.conftest import SHARED

MAPIT = SHARED / "vectors" / "mapit"
NAMES = ("in0", "in1", "inv0", "inv1", "out0", "out1")
KINDS = {"in0": "input", "in1": "input", "inv0": "inventory", "inv1": "inventory"}
CONTINUOUS = {"in0", "out1"}
Array = NDArray[np.float64]


@cache
def mapit() -> tuple[dict[str, Any], dict[str, Any]]:
    data = np.load(MAPIT / "dataset.npz")
    arrays = {key: data[key] for key in data.files}
    reference = json.loads((MAPIT / "reference_outputs.json").read_text())
    return arrays, reference


def mapit_totals() -> dict[str, Array]:
    """Per-period totals and boundary inventories, by our conventions, for all realisations."""
    data, reference = mapit()
    count = int(reference["B_balances"])
    period = float(data["MBP"])
    out = {}
    for name in NAMES:
        times, values = data[f"{name}_times"], data[f"{name}_obs"]
        if KINDS.get(name) == "inventory":
            convert = boundary_inventories
        elif name in CONTINUOUS:
            convert = continuous_totals
        else:
            convert = discrete_totals
        out[name] = convert(times, values, start=0.0, period=period, count=count)
    return out


def mapit_balance() -> Balance:
    data, reference = mapit()
    totals = mapit_totals()
    errors = data["error_matrix"]
    locations = tuple(
        Location(name, KINDS.get(name, "output"), totals[name], *map(float, errors[row]))  # type: ignore[arg-type]
        for row, name in enumerate(NAMES)
    )
    return Balance(int(reference["B_balances"]), locations)


def test_mapit_data_set_has_the_shape_its_readme_gives() -> None:
    data, reference = mapit()
    assert int(data["B"]) == reference["B_balances"] == 60
    assert int(data["MBP"]) == 10
    # The data cover 61 whole periods; MAPIT drops the last one (see the README).
    assert complete_periods(data["in0_times"], start=0.0, period=10.0) == 61


def test_totals_equal_those_mapit_used() -> None:
    _, reference = mapit()
    used = np.asarray(reference["SEMUF_contrib_observed_totals"])  # (n_iter, 6, 61)
    totals = mapit_totals()
    for row, name in enumerate(NAMES):
        if KINDS.get(name) == "inventory":
            # MAPIT's slot 0 holds zero for the opening inventory it treats as exact.
            np.testing.assert_allclose(totals[name][:, 1:], used[:, row, 1:], rtol=0, atol=1e-12)
        else:
            np.testing.assert_allclose(totals[name], used[:, row, 1:], rtol=0, atol=1e-11)


def test_muf_equals_mapit() -> None:
    _, reference = mapit()
    ours = muf(mapit_balance())
    theirs = np.asarray(reference["MUF_slots"])[:, 1:]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # The MUF of the abrupt realisation shows the 8.0 diverted in balance 40.
    assert int(np.argmax(ours[2])) == 39


def test_sigma_satisfies_the_identity_with_mapit_semuf() -> None:
    """SEMUF_i^2 = Var_i + 2 sum_inv C_{i-1} C_i s^2 (i >= 2); for i = 1 also minus
    sum_inv C_0^2 (r^2 + s^2), MAPIT taking the opening inventory as exact."""
    _, reference = mapit()
    balance = mapit_balance()
    variance = covariance(balance).sigma() ** 2
    correction = np.zeros_like(variance)
    for loc in balance.locations:
        if loc.kind == "inventory":
            c = loc.values
            correction += 2 * c[:, :-1] * c[:, 1:] * loc.systematic_rsd**2
            correction[:, 0] -= c[:, 0] ** 2 * (loc.random_rsd**2 + loc.systematic_rsd**2)
    semuf = np.asarray(reference["SEMUF_slots"])[:, 1:]
    np.testing.assert_allclose(variance + correction, semuf**2, rtol=1e-12, atol=0)
    # ...and the difference is real: our sigma is smaller, as the inventories' shared
    # systematic error partly cancels within a period.
    assert np.all(covariance(balance).sigma()[:, 1:] < semuf[:, 1:])


def test_page_alarm_on_the_abrupt_diversion_of_the_data_set() -> None:
    result = evaluate(mapit_balance(), Settings(k=3, K=0.5, h=5))
    firsts = result.first_alarms()
    assert list(firsts["page"]) == [0, 0, 40, 0]
    assert list(firsts["sitmuf"]) == [0, 0, 40, 0]


def test_structured_sitmuf_equals_dense_cholesky() -> None:
    balance = mapit_balance()
    cov = covariance(balance)
    mufs = muf(balance)
    dense = cov.dense()
    lower = np.linalg.cholesky(dense)
    expected = np.linalg.solve(lower, mufs[..., None])[..., 0]
    np.testing.assert_allclose(sitmuf(mufs, cov), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(cov.sigma(), np.sqrt(np.einsum("...ii->...i", dense)), rtol=1e-13)
    ones = np.tril(np.ones((60, 60)))
    cumulative = np.einsum("ij,...jk,ik->...i", ones, dense, ones)
    np.testing.assert_allclose(cov.cumulative_sigma(), np.sqrt(cumulative), rtol=1e-12)


def propagated(balance: Balance) -> Array:
    """Covariance of MUF by linear propagation: MUF = A (x * (1 + e)), e = random + systematic."""
    b = balance.period_count
    rows: list[Array] = []  # d MUF / d e, one column per error source
    variances: list[float] = []
    for loc in balance.locations:
        v = loc.values
        n = v.size
        sign = np.zeros((b, n))
        if loc.kind == "inventory":
            sign[np.arange(b), np.arange(b)] = 1.0
            sign[np.arange(b), np.arange(1, b + 1)] = -1.0
        else:
            sign[np.arange(b), np.arange(b)] = 1.0 if loc.kind == "input" else -1.0
        jac = sign * v  # d MUF_i / d (relative error of value j)
        rows.extend(jac.T)
        variances.extend([loc.random_rsd**2] * n)
        segment = loc.calibration(b, boundaries=loc.kind == "inventory")
        for g in range(len(loc.recalibrated_at) + 1):
            rows.append(jac[:, segment == g].sum(axis=1))
            variances.append(loc.systematic_rsd**2)
    j = np.array(rows).T
    return np.asarray(j @ np.diag(variances) @ j.T)


def test_covariance_equals_linear_error_propagation_with_recalibrations() -> None:
    rng = np.random.default_rng(3)
    b = 12
    locations = (
        Location("feed", "input", 50 + rng.random(b), 0.01, 0.005, (5,)),
        Location("tank", "inventory", 100 + rng.random(b + 1), 0.01, 0.004, (4, 9)),
        Location("store", "inventory", 40 + rng.random(b + 1), 0.005, 0.002),
        Location("product", "output", 48 + rng.random(b), 0.003, 0.002, (2,)),
    )
    balance = Balance(b, locations)
    np.testing.assert_allclose(covariance(balance).dense(), propagated(balance), rtol=1e-12)


def test_page_equals_its_recursion() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 200)) + 0.3
    expected = np.zeros_like(x)
    for r in range(3):
        p = 0.0
        for i, value in enumerate(x[r]):
            p = max(0.0, p + value - 0.5)
            expected[r, i] = p
    np.testing.assert_allclose(page(x, 0.5), expected, atol=1e-12)


def test_first_alarm_numbers_balances_from_one() -> None:
    flags = np.array([[False, False, True, True], [False, False, False, False]])
    assert list(first_alarm(flags)) == [3, 0]


def test_a_balance_without_random_error_is_not_standardized_but_still_balanced() -> None:
    balance = Balance(
        3,
        (
            Location("in", "input", np.array([1.0, 1.0, 1.0]), 0.0, 0.01),
            Location("inv", "inventory", np.array([5.0, 6.0, 7.0, 8.0]), 0.0, 0.01),
        ),
    )
    result = evaluate(balance)
    # Three balances, two systematic errors and no random one: the covariance has rank 2.
    assert np.isnan(result.sitmuf).all() and np.isnan(result.page).all()
    assert not np.isnan(result.sigma_muf).any()
    (gap,) = result.undefined
    assert gap.balances == (1, 2, 3) and "from balance 1 on" in gap.reason


def test_locations_must_have_the_right_number_of_values() -> None:
    with pytest.raises(ValueError, match="needs 4 values, has 3"):
        Balance(3, (Location("inv", "inventory", np.ones(3), 0.01, 0.0),))
    with pytest.raises(ValueError, match="recalibrated_at"):
        Balance(3, (Location("in", "input", np.ones(3), 0.01, 0.0, (1,)),))


def test_discrete_batches_on_a_boundary_count_once() -> None:
    times = np.array([0.0, 5.0, 10.0, 15.0, 20.0])
    values = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    totals = discrete_totals(times, values, start=0.0, period=10.0, count=2)
    assert list(totals) == [7.0, 24.0]
    assert totals.sum() == values.sum()
