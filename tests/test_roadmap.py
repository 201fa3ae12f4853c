"""Road map status from scripted histories, the in-force rules, and properties of `evaluate`.

The accord here is small and hand-built: an inspected state (dprk) that
declares, freezes, grants access and dismantles; a counterpart (usa) that
opens a liaison office, grants relief and suspends exercises (concessions,
some requiring verified steps); an inspectorate (iaea) that verifies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.status import (
    STATES,
    FindingKind,
    Report,
    RoadmapRecord,
    Signature,
    Status,
    StepState,
    VerificationResult,
    evaluate,
    timeline,
)


def accord_data() -> dict[str, Any]:
    return {
        "id": "test-accord",
        "title": "Test road map",
        "verification_window_days": 60,
        "parties": [
            {"id": "dprk", "name": "Inspected State", "role": "inspected"},
            {"id": "usa", "name": "Counterpart", "role": "counterpart"},
            {"id": "iaea", "name": "Inspectorate", "role": "inspectorate"},
        ],
        "phases": [
            {"id": "p1", "title": "Freeze", "ends": "2020-06-30"},
            {"id": "p2", "title": "Dismantle", "ends": "2020-12-31"},
        ],
        "steps": [
            step("declare", "dprk", "declare", "2020-02-01", within_days=30),
            step("freeze", "dprk", "freeze", "end of phase", weight=1.5),
            step("access", "dprk", "grant access", "2020-05-01"),
            step("liaison", "usa", "concession", "2020-03-01", requires=["declare"]),
            step("relief", "usa", "concession", "30d after freeze verified", ["freeze"], 2.0),
            step("exercises", "usa", "concession", "2020-04-01"),
            step(
                "dismantle", "dprk", "dismantle", "end of phase", ["relief", "declare"], 3.0, "p2"
            ),
        ],
    }


def step(
    step_id: str,
    party: str,
    kind: str,
    deadline: str,
    requires: list[str] | None = None,
    weight: float = 1.0,
    phase: str = "p1",
    within_days: int | None = None,
) -> dict[str, Any]:
    concession = kind == "concession"
    verification: dict[str, Any] = {
        "method": "acknowledgment" if concession else "inspectorate",
        "by": "dprk" if concession else "iaea",
    }
    if within_days is not None:
        verification["within_days"] = within_days
    return {
        "id": step_id,
        "title": step_id.capitalize(),
        "phase": phase,
        "party": party,
        "kind": kind,
        "deadline": deadline,
        "requires": requires or [],
        "verification": verification,
        "weight": weight,
    }


ACCORD = Accord.model_validate(accord_data())


def amended() -> Accord:
    """Version 2: relief no longer waits for the freeze; one more step."""
    data = accord_data()
    data["title"] = "Test road map, amended"
    relief = next(s for s in data["steps"] if s["id"] == "relief")
    relief["deadline"] = "2020-09-01"
    data["steps"].append(step("report", "dprk", "declare", "2020-10-01", phase="p2"))
    return Accord.model_validate(data)


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.combine(d(day), datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


@dataclass
class Script:
    """Records in log order, with consecutive indices."""

    records: list[RoadmapRecord] = field(default_factory=list)

    @property
    def next(self) -> int:
        return len(self.records)

    def sign(self, party: str, day: str, accord: Accord = ACCORD) -> Script:
        self.records.append(Signature(self.next, at(day), party, accord))
        return self

    def report(self, party: str, step_id: str, on: str, logged: str | None = None) -> Script:
        self.records.append(
            Report(self.next, at(logged or on), party, ACCORD.id, step_id, d(on), note="done")
        )
        return self

    def verify(
        self, party: str, step_id: str, on: str, ok: bool = True, logged: str | None = None
    ) -> Script:
        self.records.append(
            VerificationResult(self.next, at(logged or on), party, ACCORD.id, step_id, d(on), ok)
        )
        return self

    def signed(self) -> Script:
        return self.sign("dprk", "2020-01-05").sign("usa", "2020-01-06").sign("iaea", "2020-01-07")

    def status(self, as_of: str) -> Status:
        return evaluate(self.records, d(as_of))


def history() -> Script:
    """The main scripted history (see the test below for what each line should produce)."""
    return (
        Script()
        .signed()
        .report("usa", "liaison", "2020-01-20")  # 3: premature: declare not yet verified
        .verify("dprk", "liaison", "2020-01-22")  # 4
        .report("dprk", "declare", "2020-01-25")  # 5: on time
        .verify("iaea", "declare", "2020-02-10")  # 6: within 30 days
        .report("usa", "freeze", "2020-02-15")  # 7: ignored: usa does not act for freeze
        .verify("usa", "declare", "2020-02-16")  # 8: ignored: usa does not verify declare
        .report("dprk", "freeze", "2020-03-01")  # 9
        .verify("iaea", "freeze", "2020-03-20", ok=False)  # 10: disputed
        .verify("iaea", "freeze", "2020-04-10")  # 11: verified -> relief due by 2020-05-10
        .report("usa", "relief", "2020-05-20")  # 12: 10 days late; never acknowledged
    )


# --- the scripted history -----------------------------------------------------------------


def test_statuses_as_of_several_dates() -> None:
    h = history()
    early = h.status("2020-01-10")
    assert early.in_force is not None and early.in_force.since == d("2020-01-07")
    assert early.step("declare").status == StepState.OPEN
    assert early.step("liaison").status == StepState.WAITING  # declare not verified
    assert early.step("liaison").waiting_for == ("declare",)
    assert early.step("exercises").status == StepState.OPEN  # no prerequisites
    assert early.step("relief").deadline is None  # anchored on freeze verified
    assert early.step("relief").status == StepState.WAITING

    february = h.status("2020-02-05")
    assert february.step("declare").status == StepState.REPORTED
    assert february.step("declare").reported_on == d("2020-01-25")
    assert february.step("liaison").status == StepState.VERIFIED

    march = h.status("2020-03-25")
    freeze = march.step("freeze")
    assert freeze.status == StepState.DISPUTED
    assert freeze.result_on == d("2020-03-20") and freeze.verified_on is None
    assert freeze.report_indices == (9,) and freeze.verification_indices == (10,)

    april = h.status("2020-04-15")
    assert april.step("freeze").status == StepState.VERIFIED
    assert april.step("freeze").verified_on == d("2020-04-10")
    assert april.step("relief").deadline == d("2020-05-10")
    assert april.step("relief").status == StepState.OPEN
    assert april.step("exercises").status == StepState.OVERDUE
    assert april.step("exercises").days_late == 14

    june = h.status("2020-06-01")
    assert june.step("relief").status == StepState.REPORTED
    assert june.step("relief").days_late == 10
    assert june.step("access").status == StepState.OVERDUE
    assert june.step("access").days_late == 31
    assert june.step("dismantle").status == StepState.WAITING
    assert june.step("dismantle").waiting_for == ("relief",)
    assert june.counts == {
        "verified": 3,
        "disputed": 0,
        "reported": 1,
        "overdue": 2,
        "open": 0,
        "waiting for prerequisites": 1,
    }

    year_end = h.status("2021-01-05")
    dismantle = year_end.step("dismantle")
    assert dismantle.status == StepState.OVERDUE and dismantle.days_late == 5


def test_report_counts_from_its_date_and_its_log_time() -> None:
    h = Script().signed()
    h.report("dprk", "declare", "2020-01-20", logged="2020-01-10")  # dated ahead
    h.report("dprk", "freeze", "2020-03-01", logged="2020-03-05")  # logged late
    assert h.status("2020-01-15").step("declare").status == StepState.OPEN
    assert h.status("2020-01-20").step("declare").status == StepState.REPORTED
    assert h.status("2020-03-04").step("freeze").reported_on is None
    later = h.status("2020-03-05").step("freeze")
    # reported from the day the log knew it, whatever day the report claims
    assert later.status == StepState.REPORTED and later.reported_on == d("2020-03-05")


def test_findings() -> None:
    status = history().status("2020-08-01")
    kinds = [(f.kind, f.step, f.party) for f in status.findings]
    assert kinds == [
        (FindingKind.PREMATURE_CONCESSION, "liaison", "usa"),
        (FindingKind.IGNORED_RECORD, "freeze", "usa"),
        (FindingKind.IGNORED_RECORD, "declare", "usa"),
        (FindingKind.MISSED_DEADLINE, "exercises", "usa"),
        (FindingKind.MISSED_DEADLINE, "access", "dprk"),
        (FindingKind.MISSED_DEADLINE, "relief", "usa"),
        (FindingKind.UNVERIFIED_TOO_LONG, "relief", "dprk"),
    ]
    by_step = {(f.kind, f.step): f for f in status.findings}
    premature = by_step[FindingKind.PREMATURE_CONCESSION, "liaison"]
    assert premature.date == d("2020-01-20")
    assert premature.indices == (3, 6)  # the report, and declare's verification after it
    assert "declare (not verified by then; first verified on 2020-02-10)" in premature.message
    ignored = by_step[FindingKind.IGNORED_RECORD, "freeze"]
    assert ignored.indices == (7,) and "does not act for step freeze" in ignored.message
    assert "does not verify step declare" in by_step[FindingKind.IGNORED_RECORD, "declare"].message
    exercises = by_step[FindingKind.MISSED_DEADLINE, "exercises"]
    assert exercises.date == d("2020-04-01") and "122 days overdue" in exercises.message
    relief = by_step[FindingKind.MISSED_DEADLINE, "relief"]
    assert "reported step relief 10 days late" in relief.message
    assert relief.indices == (11, 12)  # freeze's verification (the anchor) and the report
    slow = by_step[FindingKind.UNVERIFIED_TOO_LONG, "relief"]
    assert slow.date == d("2020-07-19") and slow.indices == (12,)
    assert "still awaiting verification after 73 days" in slow.message
    # earlier, the window had not run out and the access deadline had not passed
    july = {(f.kind, f.step) for f in history().status("2020-04-30").findings}
    assert (FindingKind.UNVERIFIED_TOO_LONG, "relief") not in july
    assert (FindingKind.MISSED_DEADLINE, "access") not in july


def test_premature_step_and_late_verification() -> None:
    h = Script().signed().report("dprk", "declare", "2020-01-25")
    h.verify("usa", "relief", "2020-01-26")  # ignored: not the verifier (dprk acknowledges)
    h.report("dprk", "dismantle", "2020-02-01")  # relief and declare not verified
    h.verify("iaea", "declare", "2020-04-01")  # 66 days after the report: 30 allowed
    status = h.status("2020-04-02")
    by_kind = {(f.kind, f.step): f for f in status.findings}
    assert set(by_kind) - {(FindingKind.MISSED_DEADLINE, s) for s in ("liaison", "exercises")} == {
        (FindingKind.IGNORED_RECORD, "relief"),
        (FindingKind.PREMATURE_STEP, "dismantle"),
        (FindingKind.UNVERIFIED_TOO_LONG, "declare"),
        (FindingKind.UNVERIFIED_TOO_LONG, "dismantle"),  # 60 days (the accord's window) ran out
    }
    step_finding = by_kind[FindingKind.PREMATURE_STEP, "dismantle"]
    assert "relief (not verified by then)" in step_finding.message
    assert "declare (not verified by then; first verified on 2020-04-01)" in step_finding.message
    slow = by_kind[FindingKind.UNVERIFIED_TOO_LONG, "declare"]
    assert slow.party == "iaea" and slow.date == d("2020-02-24")
    assert "verified only on 2020-04-01, 67 days" in slow.message


def test_verification_before_report_is_ignored_until_a_report_precedes_it() -> None:
    h = Script().signed().verify("iaea", "freeze", "2020-02-01")
    first = h.status("2020-02-02")
    assert first.step("freeze").status == StepState.OPEN
    (ignored,) = [f for f in first.findings if f.step == "freeze"]
    assert ignored.kind == FindingKind.IGNORED_RECORD and ignored.indices == (3,)
    assert "precedes any report" in ignored.message
    # a report claiming an earlier day, but logged after the result, does not precede it
    h.report("dprk", "freeze", "2020-01-30", logged="2020-02-03")
    later = h.status("2020-02-03")
    assert later.step("freeze").status == StepState.REPORTED
    (still,) = [f for f in later.findings if f.step == "freeze"]
    assert "precedes its report on 2020-01-30 (party's claim), logged 2020-02-03" in still.message
    # one logged before the result does
    h = Script().signed()
    h.report("dprk", "freeze", "2020-01-30", logged="2020-01-31")
    h.verify("iaea", "freeze", "2020-02-01")
    settled = h.status("2020-02-03")
    assert settled.step("freeze").status == StepState.VERIFIED
    assert not [f for f in settled.findings if f.step == "freeze"]


def test_verified_then_found_not_verified_drops_out_of_the_balance() -> None:
    h = (
        Script()
        .signed()
        .report("dprk", "declare", "2020-01-25")
        .verify("iaea", "declare", "2020-02-10")
    )
    h.verify("iaea", "declare", "2020-05-01", ok=False)
    h.verify("iaea", "declare", "2020-06-01")
    assert h.status("2020-05-02").step("declare").status == StepState.DISPUTED
    status = h.status("2020-06-02")
    assert status.step("declare").status == StepState.VERIFIED
    assert status.step("declare").verified_on == d("2020-02-10")  # the first verification
    assert [(p.date, p.verified_weight) for p in status.balance] == [
        (d("2020-02-10"), 1.0),
        (d("2020-05-01"), 0.0),
        (d("2020-06-01"), 1.0),
    ]


def test_parties() -> None:
    status = history().status("2020-06-01")
    parties = {p.id: p for p in status.parties}
    dprk, usa, iaea = parties["dprk"], parties["usa"], parties["iaea"]
    assert (dprk.steps, dprk.on_time, dprk.late, dprk.outstanding, dprk.overdue) == (4, 2, 0, 2, 1)
    assert [(n.step, n.deadline) for n in dprk.next_deadlines] == [("dismantle", d("2020-12-31"))]
    assert dprk.awaiting_verification == 1  # relief waits for dprk's acknowledgment
    assert (usa.steps, usa.on_time, usa.late, usa.outstanding, usa.overdue) == (3, 1, 1, 1, 1)
    assert usa.next_deadlines == ()
    assert (iaea.steps, iaea.verified, iaea.awaiting_verification) == (0, 0, 0)
    january = {p.id: p for p in history().status("2020-01-10").parties}
    upcoming = [(n.step, n.deadline) for n in january["dprk"].next_deadlines]
    assert upcoming == [
        ("declare", d("2020-02-01")),
        ("access", d("2020-05-01")),
        ("freeze", d("2020-06-30")),
    ]


def test_balance_and_ahead_periods() -> None:
    status = history().status("2020-06-01")
    assert [(p.date, p.verified_weight, p.concession_weight) for p in status.balance] == [
        (d("2020-01-20"), 0.0, 1.0),  # liaison granted
        (d("2020-02-10"), 1.0, 1.0),  # declare verified
        (d("2020-04-10"), 2.5, 1.0),  # freeze verified (weight 1.5)
        (d("2020-05-20"), 2.5, 3.0),  # relief granted (weight 2)
    ]
    assert [(a.start, a.end) for a in status.ahead] == [
        (d("2020-01-20"), d("2020-02-10")),
        (d("2020-05-20"), None),
    ]
    earlier = history().status("2020-03-01")
    assert [(a.start, a.end) for a in earlier.ahead] == [(d("2020-01-20"), d("2020-02-10"))]
    assert earlier.balance[-1].date == d("2020-02-10")


# --- in force -----------------------------------------------------------------------------


def test_not_in_force_until_every_party_signed() -> None:
    h = Script().sign("dprk", "2020-01-05").sign("usa", "2020-01-06")
    h.report("dprk", "declare", "2020-01-08")
    status = h.status("2020-01-10")
    assert status.in_force is None and status.steps == () and status.balance == ()
    assert status.accord_id == "test-accord"
    (version,) = status.signatures
    assert version.state == "pending" and version.complete_on is None
    assert [s.party for s in version.signed] == ["dprk", "usa"]
    assert version.missing == ("iaea",)
    h.sign("iaea", "2020-01-12")
    assert h.status("2020-01-11").in_force is None
    now = h.status("2020-01-12")
    assert now.in_force is not None
    assert (now.in_force.since, now.in_force.index) == (d("2020-01-12"), 3)
    assert now.step("declare").status == StepState.REPORTED  # reported before entry into force


def test_signatures_must_be_of_the_same_version() -> None:
    other = Accord.model_validate({**accord_data(), "title": "A different text"})
    h = Script().sign("dprk", "2020-01-05").sign("usa", "2020-01-06", other)
    h.sign("iaea", "2020-01-07")
    status = h.status("2020-02-01")
    assert status.in_force is None
    assert [(v.title, v.missing) for v in status.signatures] == [
        ("Test road map", ("usa",)),
        ("A different text", ("dprk", "iaea")),
    ]


def test_signature_by_a_non_party_is_ignored() -> None:
    h = Script().sign("chn", "2020-01-04").signed()
    status = h.status("2020-01-10")
    assert status.in_force is not None and status.in_force.index == 3
    (finding,) = status.findings
    assert finding.kind == FindingKind.IGNORED_RECORD and finding.party == "chn"
    assert finding.indices == (0,) and "not a party to version" in finding.message


def test_amendment() -> None:
    v2 = amended()
    h = history()
    h.sign("usa", "2020-05-25", v2).sign("dprk", "2020-05-30", v2).sign("iaea", "2020-06-02", v2)
    before = h.status("2020-06-01")
    assert before.in_force is not None and before.in_force.digest == ACCORD.digest()
    assert [v.state for v in before.signatures] == ["in force", "pending"]
    after = h.status("2020-06-02")
    assert after.in_force is not None and after.in_force.digest == v2.digest()
    assert after.in_force.title == "Test road map, amended"
    assert [v.state for v in after.signatures] == ["superseded", "in force"]
    assert len(after.steps) == 8 and after.step("report").status == StepState.OPEN
    relief = after.step("relief")  # records carry over; the new deadline applies
    assert relief.deadline == d("2020-09-01") and relief.days_late == 0
    assert relief.status == StepState.REPORTED
    # a party signing the old version again does not bring it back
    h.sign("iaea", "2020-06-03")
    again = h.status("2020-06-04")
    assert again.in_force is not None and again.in_force.digest == v2.digest()


def test_several_accords_need_an_id() -> None:
    other = Accord.model_validate({**accord_data(), "id": "other-accord"})
    h = Script().signed().sign("dprk", "2020-01-08", other)
    with pytest.raises(ValueError, match="several accords"):
        h.status("2020-01-10")
    assert evaluate(h.records, d("2020-01-07")).accord_id == "test-accord"
    chosen = evaluate(h.records, d("2020-01-10"), accord_id="other-accord")
    assert chosen.in_force is None and chosen.signatures[0].missing == ("usa", "iaea")
    empty = evaluate([], d("2020-01-10"))
    assert empty.accord_id is None and empty.counts == dict.fromkeys(map(str, STATES), 0)


def test_records_need_aware_times_and_plain_dates() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Report(0, datetime(2020, 1, 1), "dprk", "a", "s", date(2020, 1, 1))
    with pytest.raises(TypeError, match="not a datetime"):
        Report(0, at("2020-01-01"), "dprk", "a", "s", at("2020-01-01"))


# --- JSON ---------------------------------------------------------------------------------


def test_json_shape() -> None:
    data = history().status("2020-08-01").to_json()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == [
        "format",
        "as_of",
        "accord_id",
        "in_force",
        "signatures",
        "counts",
        "steps",
        "parties",
        "findings",
        "balance",
    ]
    assert data["as_of"] == "2020-08-01"
    assert data["in_force"]["since"] == "2020-01-07"
    relief = next(s for s in data["steps"] if s["id"] == "relief")
    assert relief["deadline"] == "2020-05-10" and relief["status"] == "reported"
    assert data["balance"]["ahead"][-1] == {"start": "2020-05-20", "end": None}
    assert data["findings"][0]["kind"] == "premature concession"
    assert data["findings"][0]["indices"] == [3, 6]


# --- timeline -----------------------------------------------------------------------------


def summary(status: Status) -> tuple[Any, ...]:
    last = status.balance[-1] if status.balance else None
    return (
        None if status.in_force is None else status.in_force.digest,
        status.counts,
        (0.0, 0.0) if last is None else (last.verified_weight, last.concession_weight),
    )


def test_timeline_matches_evaluate_every_day() -> None:
    v2 = amended()
    h = history().sign("usa", "2020-05-25", v2).sign("dprk", "2020-05-30", v2)
    h.sign("iaea", "2020-06-02", v2)
    line = timeline(h.records, d("2019-12-25"), d("2021-01-10"))
    assert len(line.points) == (d("2021-01-10") - d("2019-12-25")).days + 1
    for point in line.points:
        expected = summary(evaluate(h.records, point.date))
        got = (point.in_force, dict(point.counts), (point.verified_weight, point.concession_weight))
        assert got == expected, point.date
    weekly = timeline(h.records, d("2020-01-01"), d("2020-12-31"), step_days=7)
    assert [p.date for p in weekly.points][:3] == [
        d("2020-01-01"),
        d("2020-01-08"),
        d("2020-01-15"),
    ]
    data = weekly.to_json()
    assert json.loads(json.dumps(data)) == data
    assert len(data["dates"]) == len(data["counts"]["verified"]) == 53
    assert [(a.start, a.end) for a in line.ahead()] == [
        (d("2020-01-20"), d("2020-02-10")),
        (d("2020-05-20"), None),
    ]


def test_timeline_arguments() -> None:
    with pytest.raises(ValueError, match="before its start"):
        timeline([], d("2020-02-01"), d("2020-01-01"))
    with pytest.raises(ValueError, match="step_days"):
        timeline([], d("2020-01-01"), d("2020-02-01"), step_days=0)
    empty = timeline([], d("2020-01-01"), d("2020-01-03"))
    assert empty.accord_id is None and all(p.in_force is None for p in empty.points)


# --- properties ---------------------------------------------------------------------------

BASE = date(2020, 1, 1)
PARTIES = ["dprk", "usa", "iaea", "chn"]
STEPS = [s.id for s in ACCORD.steps] + ["ghost"]
VERSIONS = [ACCORD, amended()]

RIGHT = "right"  # the acting party for a report, the verifier for a result
#: kind, party, step, `on` (days after BASE), logged days after `on`, verified/version, second
Event = tuple[str, str, str, int, int, bool, int]
event = st.tuples(
    st.sampled_from(["report", "report", "result", "result", "result", "result", "sign"]),
    st.sampled_from([RIGHT, RIGHT, RIGHT, *PARTIES]),
    st.sampled_from(STEPS),
    st.integers(0, 240),  # `on`, days after BASE
    st.integers(-3, 20),  # logged this many days after `on`
    st.booleans(),  # verified; for a signature: which version
    st.integers(0, 86_399),  # second of the day
)


def build(events: list[Event]) -> list[RoadmapRecord]:
    """Records in log order: the first version signed by all on day 0, then `events`."""
    timed: list[tuple[datetime, int, Event]] = []
    for n, e in enumerate(events):
        logged = datetime.combine(BASE, datetime.min.time(), tzinfo=UTC) + timedelta(
            days=e[3] + e[4], seconds=e[6]
        )
        timed.append((logged, n, e))
    timed.sort(key=lambda t: (t[0], t[1]))
    records: list[RoadmapRecord] = [
        Signature(i, at(BASE.isoformat(), hour=1 + i), p, ACCORD)
        for i, p in enumerate(["dprk", "usa", "iaea"])
    ]
    for logged, _, (kind, party, step_id, on, _, flag, _) in timed:
        records.append(record(len(records), logged, kind, party, step_id, on, flag))
    return records


def record(
    index: int, logged: datetime, kind: str, party: str, step_id: str, on: int, flag: bool
) -> RoadmapRecord:
    day = BASE + timedelta(days=on)
    if party == RIGHT:
        known = next((s for s in ACCORD.steps if s.id == step_id), None)
        if kind == "sign" or known is None:
            party = "iaea"
        else:
            party = known.party if kind == "report" else known.verification.by
    if kind == "sign":
        return Signature(index, logged, party, VERSIONS[flag])
    if kind == "report":
        return Report(index, logged, party, ACCORD.id, step_id, day)
    return VerificationResult(index, logged, party, ACCORD.id, step_id, day, flag)


parties = st.sampled_from([RIGHT, RIGHT, RIGHT, *PARTIES])
delays = st.integers(-3, 20)
seconds = st.integers(0, 86_399)


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """Per step maybe a report and results around it; maybe an amendment; then noise."""
    events: list[Event] = []
    for step_id in STEPS:
        if not draw(st.booleans()):
            continue
        taken = draw(st.integers(0, 200))
        events.append(("report", draw(parties), step_id, taken, draw(delays), False, draw(seconds)))
        for after, ok in draw(st.lists(st.tuples(st.integers(-5, 90), st.booleans()), max_size=3)):
            when = max(0, taken + after)
            events.append(("result", draw(parties), step_id, when, draw(delays), ok, draw(seconds)))
    for signer in draw(st.lists(st.sampled_from(["dprk", "usa", "iaea"]), max_size=3)):
        events.append(("sign", signer, "", draw(st.integers(0, 240)), 0, True, draw(seconds)))
    events.extend(draw(st.lists(event, max_size=15)))
    return events


days = st.integers(0, 280)
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(histories(), days, event)
def test_a_later_entry_never_changes_an_earlier_status(
    events: list[Event], day: int, extra: Event
) -> None:
    records = build(events)
    as_of = BASE + timedelta(days=day)
    before = evaluate(records, as_of, ACCORD.id)
    # an entry logged after the as-of day, whatever it says and whatever date it names
    kind, party, step_id, on, _, flag, second = extra
    logged = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    logged = max(logged, records[-1].logged_at) + timedelta(seconds=second)
    later = record(len(records), logged, kind, party, step_id, on, flag)
    assert evaluate([*records, later], as_of, ACCORD.id) == before


@fast
@given(histories(), days, st.integers(1, 200))
def test_verified_stays_verified_without_a_later_dispute(
    events: list[Event], day: int, gap: int
) -> None:
    records = build(events)
    first = BASE + timedelta(days=day)
    later = first + timedelta(days=gap)
    then = evaluate(records, first, ACCORD.id)
    now = evaluate(records, later, ACCORD.id)
    for old in then.steps:
        if old.status != StepState.VERIFIED:
            continue
        disputed_later = any(
            isinstance(r, VerificationResult)
            and r.step == old.id
            and not r.verified
            and r.counts_from > first
            for r in records
        )
        if not disputed_later:
            assert now.step(old.id).status == StepState.VERIFIED


@fast
@given(histories(), days)
def test_evaluation_is_deterministic(events: list[Event], day: int) -> None:
    as_of = BASE + timedelta(days=day)
    first = evaluate(build(events), as_of, ACCORD.id)
    second = evaluate(build(events), as_of, ACCORD.id)
    assert first == second
    assert json.dumps(first.to_json()) == json.dumps(second.to_json())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_timeline_agrees_with_evaluate(events: list[Event]) -> None:
    records = build(events)
    start, end = BASE - timedelta(days=2), BASE + timedelta(days=270)
    line = timeline(records, start, end, accord_id=ACCORD.id)
    for point in line.points[::3]:
        expected = summary(evaluate(records, point.date, ACCORD.id))
        got = (point.in_force, dict(point.counts), (point.verified_weight, point.concession_weight))
        assert got == expected, point.date
