"""Who verifies whom: every step needs a way to be verified, and every party a part.

Errors: a step verified by the party that takes it, and a step whose method
(`inspectorate`, `declaration accepted`) needs a party whose role is
inspectorate but names another. Warnings: a concession not tied to any
verified step (its `requires` is empty), and a party that never acts or
verifies a step.
"""

from __future__ import annotations

from accordwatch.roadmap.accord import AccordRole, StepKind, VerificationMethod
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_views import AccordView

_BY_INSPECTORATE = (VerificationMethod.INSPECTORATE, VerificationMethod.DECLARATION_ACCEPTED)


def check_verification(view: AccordView, report: ProblemReport) -> None:
    for step in view.all_steps:
        verifier = view.parties.get(step.by) if step.by is not None else None
        if verifier is None:
            continue
        at = (*step.at, "verification", "by")
        name = f"step {step.id!r}"
        if step.by == step.party:
            message = f"no way to verify: {step.by!r} cannot verify a step it takes itself"
            report.error(at, f"{name}: {message}")
            continue
        needs_inspectorate = step.method in _BY_INSPECTORATE
        if needs_inspectorate and verifier.role not in (None, AccordRole.INSPECTORATE):
            role = verifier.role.value if verifier.role is not None else ""
            method = step.method.value if step.method is not None else ""
            report.error(
                at,
                f"{name}: no way to verify: method {method!r} needs a party with role "
                f"'inspectorate', but {verifier.id!r} is {role!r}",
            )


def check_concessions(view: AccordView, report: ProblemReport) -> None:
    for step in view.all_steps:
        if step.kind is StepKind.CONCESSION and not step.has_requires:
            report.warning(
                step.at,
                f"step {step.id!r}: concession not tied to any verified step "
                "(its 'requires' is empty)",
            )


def check_idle_parties(view: AccordView, report: ProblemReport) -> None:
    active = {s.party for s in view.all_steps} | {s.by for s in view.all_steps}
    for party in view.parties.values():
        if party.id not in active:
            report.warning(
                ("parties", party.index), f"party {party.id!r} never acts or verifies a step"
            )
