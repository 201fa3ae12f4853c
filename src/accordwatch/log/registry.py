"""Who is in the log: parties, their roles and their keys, as of a log position.

A pure projection of the registration entries (`log.genesis`,
`party.register`, `key.register`, `key.rotate`, `key.revoke`, `party.revoke`).
A party holds signing keys and encryption keys; the newest active one of
each purpose is its current key (`current_key`), the one sealed messages
are encrypted to. The check
reads it to decide whether a new envelope's signer may act; the store keeps
the same state as tables and rebuilds them by replaying the log through
`apply`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.records import (
    Genesis,
    KeyRegistration,
    KeyRevocation,
    PartyRegistration,
    PartyRevocation,
    Payload,
)
from accordwatch.log.roles import Role


def party_revoked_reason(reason: str) -> str:
    """What a key revoked with its party gives as its reason."""
    return f"party revoked: {reason}"


@dataclass
class PartyRecord:
    name: str
    role: Role
    display_name: str
    registered_at: int
    #: the `party.revoke` entry that ended the party, and why
    revoked_at: int | None = None
    reason: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass
class KeyRecord:
    key_id: str
    party: str
    public_key: bytes
    registered_at: int
    revoked_at: int | None = None
    reason: str = ""
    purpose: KeyPurpose = KeyPurpose.SIGNING

    @property
    def active(self) -> bool:
        return self.revoked_at is None


#: the payloads that change the registry: `Registry.apply` folds exactly these
REGISTRY_PAYLOADS = (
    Genesis,
    PartyRegistration,
    KeyRegistration,
    KeyRevocation,
    PartyRevocation,
)


@dataclass
class Registry:
    origin: str | None = None
    log_key: str | None = None
    parties: dict[str, PartyRecord] = field(default_factory=dict)
    keys: dict[str, KeyRecord] = field(default_factory=dict)

    def apply(self, index: int, payload: Payload) -> None:
        """Fold one accepted registration entry into the state (others are ignored)."""
        if isinstance(payload, Genesis):
            self.origin = payload.origin
            self.log_key = payload.log_key
            self.parties[payload.registrar] = PartyRecord(
                payload.registrar, Role.REGISTRAR, "log registrar", index
            )
            pub = base64.b64decode(payload.registrar_public_key)
            self._add_key(index, payload.registrar, pub)
        elif isinstance(payload, PartyRegistration):
            self.parties[payload.name] = PartyRecord(
                payload.name, payload.role, payload.display_name, index
            )
        elif isinstance(payload, KeyRegistration):  # and its `KeyRotation`
            if payload.replaces is not None:
                self._revoke(index, payload.replaces, f"rotated to {payload.key_id}")
            self._add_key(
                index, payload.party, base64.b64decode(payload.public_key), payload.purpose
            )
        elif isinstance(payload, KeyRevocation):
            self._revoke(index, payload.key_id, payload.reason)
        elif isinstance(payload, PartyRevocation):
            party = self.parties[payload.name]
            party.revoked_at = index
            party.reason = payload.reason
            for key in self.keys_of(payload.name):
                if key.active:
                    self._revoke(index, key.key_id, party_revoked_reason(payload.reason))

    def _add_key(
        self,
        index: int,
        party: str,
        public_key: bytes,
        purpose: KeyPurpose = KeyPurpose.SIGNING,
    ) -> None:
        from accordwatch.log.keys import key_id

        kid = key_id(public_key)
        self.keys[kid] = KeyRecord(kid, party, public_key, index, purpose=purpose)

    def _revoke(self, index: int, kid: str, reason: str) -> None:
        record = self.keys[kid]
        record.revoked_at = index
        record.reason = reason

    def keys_of(self, party: str) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.party == party]

    def current_key(self, party: str, purpose: KeyPurpose) -> KeyRecord | None:
        """The party's newest active key of `purpose`, or None if it has none."""
        active = [k for k in self.keys_of(party) if k.active and k.purpose is purpose]
        return max(active, key=lambda k: k.registered_at, default=None)
