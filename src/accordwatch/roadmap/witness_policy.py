"""Which witness policy of an accord is in force, given the parties' policy signatures.

A witness policy (C2SP tlog-policy: the witnesses and their quorum) is part
of the accord: it is in force once every party of the accord version in
force has signed the same text, as an accord version is. A change is a new
text signed by all; of the texts every party signed, the one whose last
signature came latest in the log is in force. Signatures by anyone who is not
a party of that accord version do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PolicySignature:
    """A party signed a policy text (`digest` = its SHA-256) for an accord."""

    index: int
    time: datetime
    party: str
    accord_id: str
    digest: str
    text: str


@dataclass
class PolicyVersion:
    """One policy text of an accord and the parties' first signatures of it."""

    digest: str
    text: str
    first_index: int
    signed: dict[str, PolicySignature] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    @property
    def completion(self) -> PolicySignature | None:
        """The signature that made the set complete, if every party signed."""
        if self.missing or not self.signed:
            return None
        return max(self.signed.values(), key=lambda s: s.index)


@dataclass(frozen=True)
class PolicyState:
    """The policy texts signed for one accord and the one in force (None: none is)."""

    accord_id: str
    parties: tuple[str, ...]
    versions: tuple[PolicyVersion, ...]
    in_force: PolicyVersion | None


def policy_state(
    signatures: Iterable[PolicySignature], accord_id: str, parties: Sequence[str]
) -> PolicyState:
    """The policy versions of `accord_id` signed by `parties`, and the one in force."""
    listed = set(parties)
    versions: dict[str, PolicyVersion] = {}
    for sig in sorted(signatures, key=lambda s: s.index):
        if sig.accord_id != accord_id or sig.party not in listed:
            continue
        version = versions.get(sig.digest)
        if version is None:
            version = versions[sig.digest] = PolicyVersion(sig.digest, sig.text, sig.index)
        version.signed.setdefault(sig.party, sig)
    for version in versions.values():
        version.missing = tuple(p for p in parties if p not in version.signed)
    complete = [v for v in versions.values() if v.completion is not None]
    current = max(complete, key=lambda v: v.completion.index if v.completion else -1, default=None)
    return PolicyState(accord_id, tuple(parties), tuple(versions.values()), current)
