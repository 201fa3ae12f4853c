"""Attribute sampling sizes against direct hypergeometric computation; the seeded draw;
the comparison of an inspection with the declared items, and the D statistic."""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.stats import hypergeom

from accordwatch.safeguards.inspection import (
    DeclaredItem,
    InspectionPlanBody,
    InspectionReportBody,
    Observation,
    compare,
)
from accordwatch.safeguards.materials import Material, significant_quantity
from accordwatch.safeguards.measurement import load_package_table
from accordwatch.safeguards.sampling import (
    approximate_sample_size,
    draw,
    items_to_falsify,
    miss_probability,
    plan_stratum,
    sample_size,
    seed_from_checkpoint,
)


def direct_miss(population: int, falsified: int, n: int) -> Fraction:
    """C(N-r, n) / C(N, n) as a product, written independently of the module."""
    p = Fraction(1)
    for j in range(n):
        p *= Fraction(population - falsified - j, population - j)
    return p


@settings(max_examples=300, deadline=None)
@given(
    population=st.integers(1, 3000),
    data=st.data(),
    beta=st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5]),
)
def test_sample_size_is_the_smallest_meeting_beta(
    population: int, data: st.DataObject, beta: float
) -> None:
    falsified = data.draw(st.integers(1, population))
    n = sample_size(population, falsified, beta)
    limit = Fraction(str(beta))
    assert direct_miss(population, falsified, n) <= limit
    assert n == 0 or direct_miss(population, falsified, n - 1) > limit
    # SciPy's hypergeometric distribution agrees (P(no falsified item in the sample)).
    assert math.isclose(
        float(hypergeom.pmf(0, population, falsified, n)),
        float(direct_miss(population, falsified, n)),
        rel_tol=1e-9,
        abs_tol=1e-300,
    )


def test_known_sample_sizes() -> None:
    # r = 1: n = ceil(N (1 - beta)) exactly, the boundary included.
    assert sample_size(100, 1, 0.05) == 95
    assert miss_probability(100, 1, 95) == Fraction(1, 20)
    # Falsifying every item: one item in the sample finds one.
    assert sample_size(10, 10, 0.05) == 1
    # Close to the usual approximation N (1 - beta^(1/r)).
    n = sample_size(2000, 7, 0.05)
    assert n == 696
    assert abs(n - approximate_sample_size(2000, 7, 0.05)) < 1


def test_items_to_falsify_for_a_significant_quantity() -> None:
    pu = significant_quantity(Material.PU).kilograms  # 8 kg
    assert items_to_falsify(pu, Decimal("2.5"), 100) == 4  # 3 cans hold 7.5 kg
    assert items_to_falsify(pu, Decimal("2"), 100) == 4
    assert items_to_falsify(pu, Decimal("2"), 100, Decimal("0.5")) == 8  # half of each can
    assert items_to_falsify(pu, Decimal("2"), 3) == 3  # the stratum holds less than 1 SQ
    plan = plan_stratum("cans", 200, Decimal("2.5"), pu, Decimal("0.05"))
    assert (plan.falsified, plan.sample) == (4, sample_size(200, 4, 0.05))
    assert plan.detection_probability >= 0.95


def test_draw_is_reproducible_from_the_checkpoint_and_depends_on_it() -> None:
    ids = [f"CAN-{i:04d}" for i in range(500)]
    note = "test.local/log\n42\nq2Vv...\n\n— test.local/log abc\n"
    seed = seed_from_checkpoint(note)
    assert seed == hashlib.sha256(note.encode()).digest()
    chosen = draw(seed, "cans", ids, 20)
    assert chosen == draw(seed, "cans", list(reversed(ids)), 20)  # order of listing irrelevant
    # Anyone can recompute it with SHA-256 alone:
    by_hand = sorted(
        ids, key=lambda i: hashlib.sha256(seed + b"\x00cans\x00" + i.encode()).digest()
    )[:20]
    assert chosen == by_hand
    assert chosen != draw(seed_from_checkpoint(note + "x"), "cans", ids, 20)
    assert chosen != draw(seed, "other", ids, 20)
    with pytest.raises(ValueError, match="unique"):
        draw(seed, "cans", ["a", "a"], 1)


def test_draw_is_uniform_over_items() -> None:
    ids = [f"i{k}" for k in range(10)]
    counts = dict.fromkeys(ids, 0)
    trials = 4000
    for t in range(trials):
        for item in draw(seed_from_checkpoint(f"checkpoint {t}"), "s", ids, 3):
            counts[item] += 1
    expected = trials * 3 / 10
    # Binomial(4000, 0.3): sd about 29; allow five.
    assert all(abs(c - expected) < 5 * math.sqrt(trials * 0.3 * 0.7) for c in counts.values())


def plan_payload(**changes: object) -> dict[str, object]:
    ids = [f"C{i}" for i in range(40)]
    r = items_to_falsify(Decimal(8), Decimal("2.5"), 40)
    payload: dict[str, object] = {
        "mba": "mba-a",
        "plan_id": "p1",
        "date": "2025-03-01",
        "beta": "0.05",
        "declared": "test",
        "strata": [
            {
                "name": "cans",
                "material": "pu",
                "item_mass": {"value": "2.5", "unit": "kg"},
                "goal": {"value": "8", "unit": "kg"},
                "falsified": r,
                "sample_size": sample_size(40, r, 0.05),
                "item_ids": ids,
            }
        ],
    }
    payload.update(changes)
    return payload


def test_a_plan_must_carry_the_sample_sizes_its_strata_need() -> None:
    InspectionPlanBody.model_validate(plan_payload())
    bad = plan_payload()
    bad["strata"][0]["sample_size"] -= 1  # type: ignore[index]
    with pytest.raises(ValidationError, match="need r = 4 and n = "):
        InspectionPlanBody.model_validate(bad)


def test_observations_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match="observed_id and no item_id"):
        Observation.model_validate({"status": "undeclared", "item_id": "C1"})
    with pytest.raises(ValidationError, match="needs its method"):
        Observation.model_validate(
            {"status": "found", "item_id": "C1", "measured": {"value": "2.5"}}
        )
    with pytest.raises(ValidationError, match="at most once"):
        InspectionReportBody.model_validate(
            {
                "plan_entry": 3,
                "mba": "mba-a",
                "report_id": "r1",
                "date": "2025-03-02",
                "observations": [
                    {"status": "not-found", "item_id": "C1"},
                    {"status": "not-found", "item_id": "C1"},
                ],
            }
        )


def declared(count: int = 40, mass: str = "2.5") -> list[DeclaredItem]:
    return [
        DeclaredItem(f"C{i}", "mba-a", Decimal(mass), "neutron-coincidence-pu", "pu", "cans")
        for i in range(count)
    ]


def obs(**fields: object) -> Observation:
    return Observation.model_validate(fields)


def test_compare_finds_every_kind_of_discrepancy() -> None:
    items = [*declared(), DeclaredItem("X9", "mba-b", Decimal(1), "neutron-coincidence-pu", "pu")]
    observations = [
        obs(
            status="found",
            item_id="C0",
            observed_id="C0",
            measured={"value": "2.5"},
            method="neutron-coincidence-pu",
        ),
        obs(
            status="found",
            item_id="C1",
            observed_id="C1",
            measured={"value": "1.9"},
            method="neutron-coincidence-pu",
        ),
        obs(status="not-found", item_id="C2"),
        obs(status="found", item_id="C3", observed_id="C33"),
        obs(status="undeclared", observed_id="Z1"),
        obs(status="found", item_id="NOPE"),
        obs(status="found", item_id="X9"),
    ]
    result = compare(
        items,
        mba="mba-a",
        observations=observations,
        strata={"cans": [f"C{i}" for i in range(40)]},
        selected={"cans": ["C0", "C1", "C2", "C3", "C4"]},
        table=load_package_table(),
        materials={"cans": "pu"},
    )
    kinds = {(f.kind, f.item_id) for f in result.findings}
    assert kinds == {
        ("difference", "C1"),
        ("missing", "C2"),
        ("identifier", "C3"),
        ("undeclared", "Z1"),
        ("undeclared", "NOPE"),
        ("wrong-mba", "X9"),
        ("not-inspected", "C4"),
    }
    c1 = next(d for d in result.differences if d.item_id == "C1")
    sigma = math.sqrt(2.5**2 * 2e-4 + 1.9**2 * 2e-4)  # NCC: 1 % random, 1 % systematic
    assert c1.sigma_kg == pytest.approx(sigma)
    assert (
        c1.significant and not next(d for d in result.differences if d.item_id == "C0").significant
    )


def test_d_statistic_estimates_the_falsified_total() -> None:
    """40 cans of 2.5 kg, 10 measured; 2 of them short by 0.5 kg: D = 40/10 x 1.0 kg."""
    measured = [
        obs(
            status="found",
            item_id=f"C{i}",
            measured={"value": "2.0" if i < 2 else "2.5"},
            method="neutron-coincidence-pu",
        )
        for i in range(10)
    ]
    result = compare(
        declared(),
        mba="mba-a",
        observations=measured,
        strata={"cans": [f"C{i}" for i in range(40)]},
        selected={},
        table=load_package_table(),
        materials={"cans": "pu"},
    )
    (d,) = result.d_statistics
    assert d.d_kg == pytest.approx(4.0)
    x = np.array([2.5] * 10)
    y = np.array([2.0, 2.0] + [2.5] * 8)
    scale = 40 / 10
    random = scale**2 * (np.sum(x**2) + np.sum(y**2)) * 0.01**2
    systematic = (scale * x.sum() * 0.01) ** 2 + (scale * y.sum() * 0.01) ** 2
    assert d.sigma_kg == pytest.approx(math.sqrt(random + systematic))
    assert d.to_json()["d_sq"] == pytest.approx(0.5)  # 4 kg of Pu
    assert d.significant == (d.d_kg > 3 * d.sigma_kg)
