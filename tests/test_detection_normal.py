"""The detection statistics' normal distribution, from the standard library, against SciPy's.

`accordwatch.safeguards.detection` computes Phi with `math.erfc` and its inverse
with `statistics.NormalDist`; SciPy is used here only as the reference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import accordwatch
from accordwatch.safeguards.detection import (
    alpha_for,
    detectable_diversion,
    detection_probability,
)

stats = pytest.importorskip("scipy.stats")
norm = stats.norm

RELATIVE = 1e-12


def close(ours: object, theirs: object) -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64), rtol=RELATIVE
    )


@pytest.mark.parametrize(
    "k", [0.0, 0.5, 1.0, 1.645, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 20.0, 30.0]
)
def test_false_alarm_probability_is_the_upper_tail(k: float) -> None:
    close(alpha_for(k), norm.sf(k))
    close(alpha_for(-k), norm.sf(-k))


def test_detection_probability_over_the_whole_range() -> None:
    # From far in the lower tail (P_D ~ 1e-298, above the subnormals) to where it rounds to 1.
    phi_at = np.linspace(-36.9, 8.3, 4001)
    for alpha in (1e-12, 0.00135, 0.01, 0.05, 0.5, 0.9):
        z = norm.isf(alpha)
        shifts = phi_at + z
        close(detection_probability(shifts, 1.0, alpha), norm.cdf(shifts - z))
        sigma = np.array([0.3, 1.0, 2.5])
        diversion = np.array([0.1, 2.0, 12.0])
        close(detection_probability(diversion, sigma, alpha), norm.cdf(diversion / sigma - z))


@pytest.mark.parametrize("alpha", [1e-300, 1e-100, 1e-15, 1e-6, 0.00135, 0.05, 0.3, 0.7, 0.999])
@pytest.mark.parametrize("power", [1e-9, 0.05, 0.5, 0.9, 0.95, 0.999, 1 - 1e-12])
def test_detectable_diversion_quantiles(alpha: float, power: float) -> None:
    sigma = np.array([0.25, 1.0, 7.5])
    expected = sigma * (norm.isf(alpha) + norm.ppf(power))
    ours = detectable_diversion(sigma, alpha, power)
    # Near the zero of z_{1-alpha} + z_power the sum cancels: compare with its terms' size.
    scale = sigma * (abs(norm.isf(alpha)) + abs(norm.ppf(power)))
    assert np.all(np.abs(ours - expected) <= RELATIVE * scale)


def test_shapes_and_types_are_numpy_float64() -> None:
    assert detection_probability(2.0, 1.0, 0.01).shape == ()
    assert detection_probability([[1.0, 2.0]], [1.0], 0.01).shape == (1, 2)
    assert detection_probability([1.0], 1.0, 0.01).dtype == np.float64
    assert detectable_diversion([1.0, 2.0], 0.01).dtype == np.float64
    assert isinstance(alpha_for(3.0), float)


def test_bad_probabilities_are_refused() -> None:
    for alpha in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="alpha"):
            detection_probability(1.0, 1.0, alpha)
    with pytest.raises(ValueError, match="power"):
        detectable_diversion(1.0, 0.01, 1.0)


def test_detection_does_not_import_scipy() -> None:
    code = (
        "import sys, accordwatch.safeguards.detection, accordwatch.safeguards.balance_file; "
        "sys.exit('scipy' in sys.modules)"
    )
    src = str(Path(accordwatch.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
