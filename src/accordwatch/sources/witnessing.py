"""The witness policy in force, read from the log, for the collector and every verifier.

The parties sign a policy text (`accord.policy`); `roadmap.witness_policy`
says which text is in force given those signatures and the parties of the
accord version in force. This reads them through a `Snapshot`. `log_policy`
is the per-log form the service and the commands use: the policy in force,
if it is one for this log (it lists this log's key, or no log at all), kept
until the log grows.
"""

from __future__ import annotations

import threading
from datetime import date

from accordwatch.errors import InputError
from accordwatch.log.policy import Policy
from accordwatch.roadmap.history import gather_versions, in_force
from accordwatch.roadmap.records import AccordPolicy
from accordwatch.roadmap.witness_policy import PolicySignature, PolicyState, policy_state
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.store.ledger import Ledger

POLICY_TYPES = ("accord.policy",)


def policy_signatures(log: Snapshot) -> list[PolicySignature]:
    """Every `accord.policy` signature below the snapshot's checkpoint, in log order."""
    out = []
    for e in log.payloads(POLICY_TYPES):
        payload = e.payload
        if isinstance(payload, AccordPolicy):
            out.append(
                PolicySignature(
                    e.index, e.logged_at, e.party, payload.accord_id, payload.digest, payload.policy
                )
            )
    return out


def policy_states(log: Snapshot, as_of: date) -> list[PolicyState]:
    """For each accord with a version in force as of `as_of`: its policy texts and state."""
    signatures = policy_signatures(log)
    if not signatures:
        return []
    records = roadmap_records(log)
    out = []
    for accord_id in sorted({s.accord_id for s in signatures}):
        version = in_force(gather_versions(records, accord_id, as_of), as_of)
        if version is None:
            continue
        parties = tuple(p.id for p in version.accord.parties)
        out.append(policy_state(signatures, accord_id, parties))
    return out


def policy_state_of(log: Snapshot, accord_id: str, as_of: date) -> PolicyState | None:
    """The policy state of one accord (None: the accord has no version in force)."""
    return next((s for s in policy_states(log, as_of) if s.accord_id == accord_id), None)


def policy_in_force(
    log: Snapshot, as_of: date | None = None, accord_id: str | None = None
) -> Policy | None:
    """The witness policy in force (of `accord_id`, or of any accord), None if none is.

    With several accords each with a policy in force, the one completed last.
    """
    day = as_of or log.ledger.clock().date()
    states = [s for s in policy_states(log, day) if s.in_force is not None]
    if accord_id is not None:
        states = [s for s in states if s.accord_id == accord_id]
    if not states:
        return None
    latest = max(states, key=_completed_at)
    assert latest.in_force is not None
    return Policy.parse(latest.in_force.text, where=f"policy of accord {latest.accord_id}")


def _completed_at(state: PolicyState) -> int:
    done = state.in_force.completion if state.in_force is not None else None
    return done.index if done is not None else -1


def for_log(policy: Policy | None, ledger: Ledger) -> Policy | None:
    """`policy` if it speaks of this log (lists its key, or no log), else None."""
    if policy is None:
        return None
    if policy.logs and ledger.signer.verifier not in policy.log_keys():
        return None
    return policy


class PolicyCache:
    """The policy in force for one log, read again only when the log has grown."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: str | None = None
        self._policy: Policy | None = None

    def get(self, ledger: Ledger) -> Policy | None:
        note = ledger.latest_checkpoint()
        with self._lock:
            if note == self._at:
                return self._policy
        policy = log_policy(ledger, Snapshot(ledger, note))
        with self._lock:
            self._at, self._policy = note, policy
        return policy


def log_policy(ledger: Ledger, snapshot: Snapshot | None = None) -> Policy | None:
    """The witness policy in force for this log, as its latest checkpoint states the log."""
    log = snapshot or Snapshot.latest(ledger)
    try:
        return for_log(policy_in_force(log), ledger)
    except InputError:
        return None
