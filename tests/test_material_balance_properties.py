"""Statistical properties, over many seeded realisations of random facilities.

- Under no loss, SITMUF is standard normal: mean 0, variance 1, and its
  balances uncorrelated (where the MUFs themselves are strongly correlated).
- Page's test on SITMUF alarms on a planted protracted loss.
- The simulated detection probability of a diversion in one balance agrees
  with Phi(M / sigma - z_{1-alpha}), and the false alarm rate with alpha.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from accordwatch.safeguards.detection import alpha_for, detectable_diversion, detection_probability
from accordwatch.safeguards.material_balance import (
    Balance,
    Location,
    Settings,
    covariance,
    evaluate,
    sitmuf,
)
from accordwatch.safeguards.simulation import Facility, Scenario, simulate

Array = NDArray[np.float64]


def facility(rng: np.random.Generator, periods: int) -> Balance:
    """A balanced facility: two inputs, two outputs, three inventories, random levels and errors."""
    feed = rng.uniform(20, 80, periods)
    receipts = rng.uniform(5, 30, periods)
    waste = rng.uniform(1, 5, periods)
    tank = np.concatenate([[100.0], 100 + rng.uniform(-10, 10, periods)])
    store = np.full(periods + 1, rng.uniform(30, 80))
    product = feed + receipts - waste - np.diff(tank)  # balanced: true MUF = 0

    def rsd(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    return Balance(
        periods,
        (
            Location("feed", "input", feed, rsd(0.002, 0.02), rsd(0.0, 0.01)),
            Location("receipts", "input", receipts, rsd(0.002, 0.01), rsd(0.0, 0.005)),
            Location("tank", "inventory", tank, rsd(0.002, 0.02), rsd(0.0, 0.01)),
            Location("store", "inventory", store, rsd(0.001, 0.01), rsd(0.0, 0.005)),
            Location("product", "output", product, rsd(0.001, 0.01), rsd(0.0, 0.005)),
            Location("waste", "output", waste, rsd(0.01, 0.05), rsd(0.0, 0.03)),
            # Where a diversion takes material from: large enough for any planted loss.
            Location("vault", "inventory", np.full(periods + 1, 2000.0), 0.0005, 0.0),
        ),
    )


def observed(truth: Balance, rng: np.random.Generator, size: int) -> Balance:
    """`size` realisations of the observed values: true x (1 + systematic + random)."""
    locations = []
    for loc in truth.locations:
        n = loc.values.size
        systematic = rng.standard_normal((size, 1)) * loc.systematic_rsd
        random = rng.standard_normal((size, n)) * loc.random_rsd
        locations.append(
            Location(
                loc.name,
                loc.kind,
                loc.values * (1 + systematic + random),
                loc.random_rsd,
                loc.systematic_rsd,
            )
        )
    return Balance(truth.period_count, tuple(locations))


REALISATIONS = 3000


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), periods=st.integers(4, 24))
def test_sitmuf_is_standard_normal_under_no_loss(seed: int, periods: int) -> None:
    rng = np.random.default_rng(seed)
    truth = facility(rng, periods)
    result = evaluate(observed(truth, rng, REALISATIONS))
    se_mean = 1 / np.sqrt(REALISATIONS)
    se_var = np.sqrt(2 / REALISATIONS)
    # With the covariance of the error model itself, exactly N(0, I):
    exact = sitmuf(result.muf, covariance(truth))
    assert abs(exact.mean()) < 5 / np.sqrt(exact.size)
    assert abs(exact.var() - 1) < 5 * np.sqrt(2 / exact.size)
    # With plug-in estimates from the observed values (what evaluate does), per balance:
    for z in (exact, result.sitmuf):
        assert np.all(np.abs(z.mean(axis=0)) < 5 * se_mean)
        assert np.all(np.abs(z.var(axis=0) - 1) < 5 * se_var)
        corr = np.asarray(np.corrcoef(z, rowvar=False))
        assert np.all(np.abs(corr[~np.eye(periods, dtype=bool)]) < 5 * se_mean)
    # Plug-in variances grow with a positive error, so SITMUF leans a little negative
    # (documented); on the same draws, the lean stays small.
    assert abs(result.sitmuf.mean() - exact.mean()) < 0.02
    # The MUFs themselves are correlated (an inventory closes one balance and opens the
    # next), so the independence above is the transform's doing.
    muf_corr = np.asarray(np.corrcoef(result.muf, rowvar=False))
    assert np.abs(muf_corr[~np.eye(periods, dtype=bool)]).max() > 10 * se_mean
    # ...and sigma_MUF is their standard deviation.
    ratio = result.muf.std(axis=0) / covariance(truth).sigma()
    assert np.all(np.abs(ratio - 1) < 5 * np.sqrt(1 / (2 * REALISATIONS)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    start=st.integers(3, 12),
    loss_in_sigma=st.floats(1.5, 3.0),
)
# At 1.25 sigma per balance some facilities are found only 94 % of the time (seed 825).
@example(seed=825, start=3, loss_in_sigma=1.5)
def test_page_alarms_on_a_planted_protracted_loss(
    seed: int, start: int, loss_in_sigma: float
) -> None:
    periods = 36
    rng = np.random.default_rng(seed)
    truth = facility(rng, periods)
    per_balance = loss_in_sigma * float(np.median(covariance(truth).sigma()))
    scenario = Scenario("protracted", start=start, amount=per_balance, source="vault")
    result = simulate(Facility(truth, Settings()), scenario, realisations=400, seed=seed)
    page = result.tests["page"]
    # A loss of 1.5 sigma_MUF or more per balance, over 24 balances or more, is found.
    assert page.detection_probability > 0.95
    assert page.mean_first_alarm is not None and page.mean_first_alarm > start
    # Without it, alarms are rare (in-control run length about 940 balances).
    assert page.false_alarm_rate < 0.15


def test_page_finds_a_protracted_loss_the_single_balance_test_misses() -> None:
    rng = np.random.default_rng(11)
    truth = facility(rng, 48)
    per_balance = 0.7 * float(np.median(covariance(truth).sigma()))
    scenario = Scenario("protracted", start=9, amount=per_balance, source="vault")
    result = simulate(Facility(truth, Settings()), scenario, realisations=2000, seed=12)
    assert result.tests["page"].detection_probability > 0.9
    assert result.tests["muf"].detection_probability < 0.6


def test_simulated_detection_of_an_abrupt_loss_matches_the_formula() -> None:
    rng = np.random.default_rng(21)
    truth = facility(rng, 1)  # one balance: the single-balance test alone
    sigma = float(covariance(truth).sigma()[0])
    k = 3.0
    alpha = alpha_for(k)
    realisations = 20_000
    for amount in (float(detectable_diversion(sigma, alpha)), 2.5 * sigma):
        scenario = Scenario("abrupt", start=1, amount=amount, source="vault")
        result = simulate(
            Facility(truth, Settings(k=k)), scenario, realisations=realisations, seed=5
        )
        expected = float(detection_probability(amount, sigma, alpha))
        se = np.sqrt(expected * (1 - expected) / realisations)
        assert abs(result.tests["muf"].detection_probability - expected) < 5 * se + 0.005
        assert abs(result.tests["muf"].false_alarm_rate - alpha) < 0.002


def test_simulation_is_reproducible_from_its_seed() -> None:
    truth = facility(np.random.default_rng(1), 10)
    scenario = Scenario("abrupt", start=4, amount=5.0, source="vault")
    a = simulate(Facility(truth, Settings()), scenario, realisations=500, seed=99).to_json()
    b = simulate(Facility(truth, Settings()), scenario, realisations=500, seed=99).to_json()
    c = simulate(Facility(truth, Settings()), scenario, realisations=500, seed=98).to_json()
    assert a == b
    assert a != c
