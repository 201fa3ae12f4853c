"""What an amendment changes in an accord's weaknesses: `accord assess DRAFT --against SIGNED`.

Both versions are assessed with the same delays, runs and seed. Weaknesses
are matched by what they are and what they are about (`Weakness.key`): one
the draft adds weakens the accord, one it removes strengthens it. The
figures are compared too: a larger exposure, or a probability of
concessions running ahead higher by more than the Monte Carlo's own
uncertainty (twice the standard error of the difference), weakens it; the
completion date is shown, and judges nothing. The verdict is `weakens`,
`strengthens`, `mixed` (both) or `no change`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from accordwatch.roadmap.assessment import Assessment, Weakness

Verdict = Literal["weakens", "strengthens", "mixed", "no change"]


@dataclass(frozen=True)
class FigureChange:
    name: str
    before: float | str
    after: float | str
    #: True: the change weakens the accord; False: strengthens it; None: judges nothing
    weakens: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "weakens": self.weakens,
        }


@dataclass(frozen=True)
class Amendment:
    against: str
    added: tuple[Weakness, ...]
    removed: tuple[Weakness, ...]
    figures: tuple[FigureChange, ...]

    @property
    def verdict(self) -> Verdict:
        worse = bool(self.added) or any(f.weakens for f in self.figures)
        better = bool(self.removed) or any(f.weakens is False for f in self.figures)
        if worse and better:
            return "mixed"
        if worse:
            return "weakens"
        return "strengthens" if better else "no change"

    def to_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "verdict": self.verdict,
            "added": [w.to_json() for w in self.added],
            "removed": [w.to_json() for w in self.removed],
            "figures": [f.to_json() for f in self.figures],
        }


def compare(draft: Assessment, signed: Assessment) -> Amendment:
    """What `draft` changes against `signed` (both assessed alike)."""
    before = {w.key for w in signed.weaknesses}
    after = {w.key for w in draft.weaknesses}
    added = tuple(w for w in draft.weaknesses if w.key not in before)
    removed = tuple(w for w in signed.weaknesses if w.key not in after)
    old, new = signed.monte_carlo, draft.monte_carlo
    figures = [
        _judged("largest exposure", signed.exposure.weight, draft.exposure.weight, 1e-9),
        _judged(
            "P(concessions ahead)",
            old.p_ahead,
            new.p_ahead,
            2 * math.sqrt(_variance(old.p_ahead, old.runs) + _variance(new.p_ahead, new.runs)),
        ),
        _judged("mean days ahead", old.mean_days_ahead, new.mean_days_ahead, 0.5),
        FigureChange(
            "median completion",
            old.completion[50].isoformat(),
            new.completion[50].isoformat(),
            None,
        ),
    ]
    return Amendment(signed.source, added, removed, tuple(figures))


def _variance(p: float, runs: int) -> float:
    return p * (1 - p) / max(runs, 1)


def _judged(name: str, before: float, after: float, tolerance: float) -> FigureChange:
    if after > before + tolerance:
        return FigureChange(name, before, after, True)
    if after < before - tolerance:
        return FigureChange(name, before, after, False)
    return FigureChange(name, before, after, None)
