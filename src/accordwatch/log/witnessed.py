"""A witnessed checkpoint: the log's signature, the witnesses' cosignatures and the quorum.

A checkpoint is trusted between parties who do not trust the log's operator
only when the witnesses the policy names have cosigned it, each having
checked that it extends every checkpoint of the log that witness saw before.
`witness_check` verifies the log's signature (by a log the policy lists, or
the key given), every cosignature by a witness of the policy, and says
whether they meet the quorum and from when: the earliest moment by which
enough of them had cosigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import verify_cosignatures
from accordwatch.log.note import Verifier
from accordwatch.log.policy import Policy


@dataclass(frozen=True)
class Witnessed:
    """What one signed checkpoint shows under a policy."""

    checkpoint: Checkpoint
    #: witness name (as the policy names it) -> POSIX time of its cosignature
    cosigned: dict[str, int]
    quorum_met: bool
    #: when the quorum was met (the latest of the earliest cosignatures that meet it)
    witnessed_at: int | None
    policy: Policy

    @property
    def witnessed_time(self) -> datetime | None:
        if self.witnessed_at is None:
            return None
        return datetime.fromtimestamp(self.witnessed_at, UTC)

    def summary(self) -> str:
        """One line: `witnessed by 3 of 4 (dprk, us, iaea) by 2021-03-04T10:00:00Z`."""
        total = len(self.policy.witnesses)
        names = ", ".join(sorted(self.cosigned)) or "none"
        if not self.quorum_met:
            return (
                f"NOT witnessed: cosigned by {len(self.cosigned)} of {total} ({names}); "
                f"the quorum is {self.policy.describe_quorum()}"
            )
        when = self.witnessed_time
        by = f" by {when:%Y-%m-%dT%H:%M:%SZ}" if when is not None else ""
        return f"witnessed by {len(self.cosigned)} of {total} ({names}){by}"


def log_verifier(policy: Policy, origin: str, log_key: Verifier | None = None) -> Verifier:
    """The log key to check a checkpoint of `origin` with: the policy's, or `log_key`."""
    listed = [k for k in policy.log_keys() if k.name == origin]
    if log_key is not None:
        if policy.logs and log_key not in listed:
            raise VerificationError(f"the log key {log_key.text()} is not a log of the policy")
        return log_key
    if not listed:
        raise VerificationError(f"the policy lists no log {origin!r}")
    return listed[0]


def witness_check(note: str, policy: Policy, log_key: Verifier | None = None) -> Witnessed:
    """Verify a checkpoint's log signature and cosignatures under `policy`.

    A bad signature by a known key is an error; a checkpoint without enough
    cosignatures is not: it comes back with `quorum_met` false.
    """
    origin = Checkpoint.parse_text(note[: note.find("\n\n") + 1]).origin
    verifier = log_verifier(policy, origin, log_key)
    cp = Checkpoint.open(note, verifier)
    keys = {w.key.public_key: w.name for w in policy.witnesses}
    found = verify_cosignatures(note, [w.key for w in policy.witnesses])
    cosigned = {keys[c.key.public_key]: c.timestamp for c in found}
    met = policy.satisfied(set(cosigned))
    return Witnessed(cp, cosigned, met, policy.witnessed_at(cosigned) if met else None, policy)
