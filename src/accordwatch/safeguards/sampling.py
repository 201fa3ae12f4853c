"""Attribute sampling for inspections: how many items to check, and which.

A stratum holds N declared items of (at most) item mass x. To divert a goal
quantity G by falsifying items (removing a fraction f of each; f = 1 is a
gross defect), a diverter must falsify `r = ceil(G / (f x))` of them. A random
sample of n items without replacement misses every falsified item with the
hypergeometric probability `C(N-r, n) / C(N, n)`; the sample size is the
smallest n that brings it to beta or below (about `N (1 - beta^(1/r))`).

Which items: a seeded draw that nobody can predict and nobody can steer. The
inspectorate draws a secret 32-byte nonce and logs the plan with the nonce's
SHA-256 in it; the seed is `SHA-256(nonce || checkpoint)`, the checkpoint being
the first witnessed one after the plan's entry. The inspectorate, bound to its
nonce by the logged digest, cannot choose a checkpoint it does not yet know;
the inspected state, who sees every checkpoint, cannot compute the seed without
the nonce. The inspection report reveals the nonce, and from then on anyone
who reads the plan repeats the draw. Each item id is ranked by
`SHA-256(seed || 0x00 || stratum || 0x00 || item id)` and the n lowest
ranks are inspected: a uniformly random subset if SHA-256 behaves as a random
function, reproducible with any SHA-256 implementation. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction


def items_to_falsify(
    goal_kg: Decimal, item_kg: Decimal, items: int, defect_fraction: Decimal = Decimal(1)
) -> int:
    """r = ceil(G / (f x)), at most the number of items (then the stratum holds < G)."""
    if item_kg <= 0:
        raise ValueError("the item mass must be positive")
    if not Decimal(0) < defect_fraction <= Decimal(1):
        raise ValueError("the falsified fraction of an item must be in (0, 1]")
    if goal_kg <= 0:
        raise ValueError("the goal quantity must be positive")
    needed = (goal_kg / (item_kg * defect_fraction)).to_integral_value(rounding=ROUND_CEILING)
    return max(1, min(items, int(needed)))


def _log_miss(population: int, falsified: int, n: int) -> float:
    """log of C(N-r, n) / C(N, n), -inf when the sample must hit a falsified item."""
    if n > population - falsified:
        return -math.inf
    lg = math.lgamma
    return (
        lg(population - falsified + 1)
        - lg(population - falsified - n + 1)
        - lg(population + 1)
        + lg(population - n + 1)
    )


def miss_probability(population: int, falsified: int, n: int) -> Fraction:
    """C(N-r, n) / C(N, n) exactly: the chance a sample of n finds no falsified item."""
    if not 0 <= falsified <= population or not 0 <= n <= population:
        raise ValueError("need 0 <= r <= N and 0 <= n <= N")
    return Fraction(math.comb(population - falsified, n), math.comb(population, n))


def sample_size(population: int, falsified: int, beta: Fraction | Decimal | float) -> int:
    """The smallest n with C(N-r, n) / C(N, n) <= beta (exact comparison)."""
    if population < 1 or not 1 <= falsified <= population:
        raise ValueError("need N >= 1 and 1 <= r <= N")
    limit = Fraction(str(beta)) if not isinstance(beta, Fraction) else beta
    if not 0 < limit < 1:
        raise ValueError("beta must be between 0 and 1")

    def enough(n: int) -> bool:
        return miss_probability(population, falsified, n) <= limit

    # Find the boundary in floating point, then settle it exactly.
    target = math.log(float(limit))
    lo, hi = 0, population - falsified + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _log_miss(population, falsified, mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    n = lo
    while n > 0 and enough(n - 1):
        n -= 1
    while not enough(n):
        n += 1
    return n


def approximate_sample_size(population: int, falsified: int, beta: float) -> float:
    """N (1 - beta^(1/r)): the usual approximation, for comparison."""
    return float(population * (1 - beta ** (1 / falsified)))


@dataclass(frozen=True)
class StratumPlan:
    name: str
    population: int
    item_kg: Decimal
    goal_kg: Decimal
    defect_fraction: Decimal
    falsified: int
    sample: int
    beta: Decimal

    @property
    def detection_probability(self) -> float:
        return float(1 - miss_probability(self.population, self.falsified, self.sample))

    @property
    def holdings_kg(self) -> Decimal:
        """The most the stratum can hold: every item at the largest item mass."""
        return self.population * self.item_kg

    def caveat(self) -> str | None:
        """What the plan cannot detect, when the stratum holds less than one goal quantity.

        Then no falsification of this stratum alone reaches the goal quantity; the
        plan is sized for falsifying every item (r = N), which one item in the
        sample finds for certain, and says nothing of a smaller diversion.
        """
        if self.holdings_kg * self.defect_fraction >= self.goal_kg:
            return None
        one = 1 - miss_probability(self.population, 1, self.sample)
        return (
            f"stratum {self.name} holds at most {self.holdings_kg} kg ({self.population} "
            f"item(s) of {self.item_kg} kg), less than the goal quantity of {self.goal_kg} kg: "
            f"the sample of {self.sample} finds the falsification of every item for certain, "
            f"but a single falsified item only with probability {float(one):.2f}; "
            "a goal quantity diverted across strata needs a plan over them together"
        )


def plan_stratum(
    name: str,
    population: int,
    item_kg: Decimal,
    goal_kg: Decimal,
    beta: Decimal,
    defect_fraction: Decimal = Decimal(1),
) -> StratumPlan:
    r = items_to_falsify(goal_kg, item_kg, population, defect_fraction)
    n = sample_size(population, r, beta)
    return StratumPlan(name, population, item_kg, goal_kg, defect_fraction, r, n, beta)


#: the size of the inspectorate's secret nonce
NONCE_BYTES = 32


def nonce_digest(nonce: bytes) -> bytes:
    """What a plan commits to: SHA-256 of its nonce."""
    return hashlib.sha256(nonce).digest()


def seed_from_nonce(nonce: bytes, note: str) -> bytes:
    """The draw's seed: SHA-256 of the nonce then the checkpoint note as the log signed it."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"a draw nonce is {NONCE_BYTES} bytes, not {len(nonce)}")
    return hashlib.sha256(nonce + note.encode("utf-8")).digest()


def seed_from_checkpoint(note: str) -> bytes:
    """The seed of a plan logged without a nonce: SHA-256 of the checkpoint note alone.

    Anyone who knows the populations computes it as soon as the checkpoint is
    published: kept only to repeat the draws of such plans.
    """
    return hashlib.sha256(note.encode("utf-8")).digest()


def rank(seed: bytes, stratum: str, item_id: str) -> bytes:
    return hashlib.sha256(
        seed + b"\x00" + stratum.encode("utf-8") + b"\x00" + item_id.encode("utf-8")
    ).digest()


def draw(seed: bytes, stratum: str, item_ids: Sequence[str], n: int) -> list[str]:
    """The n items of a stratum to inspect, lowest rank first."""
    if len(set(item_ids)) != len(item_ids):
        raise ValueError(f"stratum {stratum}: item ids must be unique")
    if not 0 <= n <= len(item_ids):
        raise ValueError(f"stratum {stratum}: cannot draw {n} of {len(item_ids)} items")
    return sorted(item_ids, key=lambda item: rank(seed, stratum, item))[:n]
