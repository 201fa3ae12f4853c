"""Signed envelopes: the one form in which anything enters the log.

An envelope is a JSON object, serialised canonically (RFC 8785):

    {"format": "accordwatch/envelope/v1", "log": <origin>, "record_type": ...,
     "schema_version": 1, "party": ..., "key_id": ..., "time": <RFC 3339 UTC>,
     "payload": {...}            # or, for a confidential payload:
     "commitment": "sha256:<base64>",
     "signature": <base64 Ed25519>}

The signature covers the canonical bytes of every member but `signature`;
the leaf in the Merkle log is the canonical bytes of the whole envelope. A
confidential payload is replaced by `SHA-256(salt || canonical payload)`; the
salt and payload (the *opening*) travel beside the envelope to the log,
which stores them apart for the roles allowed to read them.

The leaf names the signed statement: whatever JSON spelling comes in, the
envelope is held as the canonical bytes of what was parsed; its binary
members are read only in canonical base64 (`log.encoding`); and libsodium's
verification refuses a signature whose scalar is not reduced, the one other
way to respell an Ed25519 signature. So no one but the key's holder can make
a second leaf for a statement, and the ledger's duplicate check by leaf hash
is a check on what the signature covers: a replay gets the first receipt.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from accordwatch.errors import InputError, SignatureError
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.encoding import decode_base64
from accordwatch.log.keys import SigningKey, verify_signature
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.sealed_opening import SealedOpening, sealed_from_json
from accordwatch.timeutil import format_time, parse_time

FORMAT = "accordwatch/envelope/v1"
COMMITMENT_PREFIX = "sha256:"
_FIELDS = frozenset(
    {"format", "log", "record_type", "schema_version", "party", "key_id", "time", "signature"}
)
#: the members of a public envelope, and of a confidential one
_PUBLIC_MEMBERS = _FIELDS | {"payload"}
_CONFIDENTIAL_MEMBERS = _FIELDS | {"commitment"}


def commit(salt: bytes, payload: dict[str, Any]) -> str:
    """Salted commitment to a payload: hides it, yet binds the submitter to it."""
    digest = hashlib.sha256(salt + canonical_json(payload)).digest()
    return COMMITMENT_PREFIX + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Opening:
    """The salt and payload behind a commitment."""

    salt: bytes
    payload: dict[str, Any]

    def commitment(self) -> str:
        return commit(self.salt, self.payload)

    def to_json(self) -> dict[str, Any]:
        return {"salt": base64.b64encode(self.salt).decode(), "payload": self.payload}

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> Opening:
        if not isinstance(data, dict) or set(data) != {"salt", "payload"}:
            raise InputError("opening must be an object with salt and payload", where=where)
        salt = decode_base64(data["salt"], "opening salt", where=where)
        if len(salt) < 16:
            raise InputError("opening salt must be at least 16 bytes", where=where)
        if not isinstance(data["payload"], dict):
            raise InputError("opening payload must be a JSON object", where=where)
        return cls(salt, data["payload"])


def _without_signature(canonical: bytes, signature: str) -> bytes:
    """The canonical form of the envelope less its signature, cut from the whole.

    Members are sorted, so `signature` stands between `schema_version` and
    `time` and is the last match: cutting it out leaves exactly the canonical
    bytes of the other members, without serialising them again. The value is
    validated base64, which JSON never escapes.
    """
    member = b',"signature":"' + signature.encode("ascii") + b'"'
    cut = canonical.rfind(member)
    return canonical[:cut] + canonical[cut + len(member) :]


def _member_problem(obj: dict[str, Any], where: str) -> NoReturn:
    """Raise what is wrong with the members of an envelope object that has neither set."""
    has_payload, has_commitment = "payload" in obj, "commitment" in obj
    if has_payload == has_commitment:
        raise InputError("an envelope holds exactly one of payload or commitment", where=where)
    extra = set(obj) - _FIELDS - {"payload", "commitment"}
    if extra:
        raise InputError(f"unknown envelope member(s): {', '.join(sorted(extra))}", where=where)
    missing = _FIELDS - set(obj)
    raise InputError(f"envelope lacks {', '.join(sorted(missing))}", where=where)


def _text(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise InputError(f"envelope member {name!r} must be a non-empty string", where=where)
    return value


@dataclass(frozen=True)
class Envelope:
    log: str
    record_type: str
    schema_version: int
    party: str
    key_id: str
    time: datetime
    time_text: str
    payload: dict[str, Any] | None
    commitment: str | None
    signature: bytes
    canonical: bytes
    """The canonical bytes of the whole envelope: the Merkle leaf."""
    signed: bytes
    """The canonical bytes of every member but the signature: what was signed."""

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.canonical)

    @property
    def confidential(self) -> bool:
        return self.commitment is not None

    def signed_bytes(self) -> bytes:
        return self.signed

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": FORMAT,
            "log": self.log,
            "record_type": self.record_type,
            "schema_version": self.schema_version,
            "party": self.party,
            "key_id": self.key_id,
            "time": self.time_text,
        }
        if self.commitment is not None:
            body["commitment"] = self.commitment
        else:
            body["payload"] = self.payload
        return body

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "signature": base64.b64encode(self.signature).decode()}

    def verify_signature(self, public_key: bytes, *, where: str | None = None) -> None:
        # The envelope is immutable, so once its signature verified with a key it
        # always will: a service checks it before a group commit, the append again.
        if self.__dict__.get("_verified_with") == public_key:
            return
        if not verify_signature(public_key, self.signature, self.signed_bytes()):
            raise SignatureError(
                f"signature does not verify with key {self.key_id} of party {self.party}",
                where=where,
            )
        object.__setattr__(self, "_verified_with", public_key)

    def signature_check(self, public_key: bytes) -> tuple[bytes, bytes, bytes]:
        """What `keys.verify_signatures` takes to check this envelope's signature."""
        return public_key, self.signature, self.signed

    def remember_verified(self, public_key: bytes) -> None:
        """Record that `signature_check(public_key)` verified, where it was checked elsewhere
        (in another process): `verify_signature` with that key then holds without a check."""
        object.__setattr__(self, "_verified_with", public_key)

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "envelope") -> Envelope:
        """Read an envelope object, checking its shape (not its signature)."""
        if not isinstance(obj, dict):
            raise InputError("an envelope must be a JSON object", where=where)
        members = obj.keys()
        has_payload = members == _PUBLIC_MEMBERS
        if not has_payload and members != _CONFIDENTIAL_MEMBERS:
            _member_problem(obj, where)
        has_commitment = not has_payload
        if obj["format"] != FORMAT:
            raise InputError(f"envelope format {obj['format']!r} is not {FORMAT!r}", where=where)
        version = obj["schema_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InputError("schema_version must be a positive integer", where=where)
        payload = obj.get("payload")
        if has_payload and not isinstance(payload, dict):
            raise InputError("payload must be a JSON object", where=where)
        commitment = obj.get("commitment")
        if has_commitment and (
            not isinstance(commitment, str)
            or not commitment.startswith(COMMITMENT_PREFIX)
            or len(decode_base64(commitment[len(COMMITMENT_PREFIX) :], "commitment", where=where))
            != 32
        ):
            raise InputError("commitment must be 'sha256:' and a base64 SHA-256", where=where)
        # Canonical base64 only: another spelling of the same signature would be
        # another leaf for the same signed statement, appended again (a replay).
        signature = decode_base64(obj["signature"], "signature", where=where)
        if len(signature) != 64:
            raise SignatureError(
                f"signature is {len(signature)} bytes, not a 64-byte Ed25519 signature",
                where=where,
            )
        time_text = _text(obj, "time", where)
        canonical = canonical_json(obj)
        return cls(
            log=_text(obj, "log", where),
            record_type=_text(obj, "record_type", where),
            schema_version=version,
            party=_text(obj, "party", where),
            key_id=_text(obj, "key_id", where),
            time=parse_time(time_text, where=where),
            time_text=time_text,
            payload=payload if has_payload else None,
            commitment=commitment if has_commitment else None,
            signature=signature,
            canonical=canonical,
            signed=_without_signature(canonical, obj["signature"]),
        )

    @classmethod
    def from_bytes(cls, data: bytes, *, where: str = "envelope") -> Envelope:
        return cls.from_json(parse_json(data, where=where), where=where)


@dataclass(frozen=True)
class Submission:
    """What a party sends to the log: the envelope and, if confidential, its opening.

    A confidential envelope sealed to its readers (`log.sealing`) comes with
    `sealed`, the opening encrypted to each reader, instead of the opening.
    """

    envelope: Envelope
    opening: Opening | None = None
    sealed: tuple[SealedOpening, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"envelope": self.envelope.to_json()}
        if self.opening is not None:
            out["opening"] = self.opening.to_json()
        if self.sealed:
            out["sealed"] = [s.to_json() for s in self.sealed]
        return out

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "submission") -> Submission:
        """Accept either a bare envelope or `{"envelope": ..., "opening": ...}`."""
        if isinstance(obj, dict) and "envelope" in obj:
            extra = set(obj) - {"envelope", "opening", "sealed"}
            if extra:
                raise InputError(
                    f"unknown submission member(s): {', '.join(sorted(extra))}", where=where
                )
            envelope = Envelope.from_json(obj["envelope"], where=where)
            opening = Opening.from_json(obj["opening"], where=where) if "opening" in obj else None
            sealed: tuple[SealedOpening, ...] = ()
            if "sealed" in obj:
                sealed = sealed_from_json(obj["sealed"], where=where)
            return cls(envelope, opening, sealed)
        return cls(Envelope.from_json(obj, where=where))

    def check_opening(self, *, where: str = "submission") -> None:
        """The opening, when present, must match the envelope's commitment."""
        env = self.envelope
        if self.sealed and env.commitment is None:
            raise InputError("sealed openings were sent with a public payload", where=where)
        if self.opening is None:
            return
        if env.commitment is None:
            raise InputError("an opening was sent with a public payload", where=where)
        if self.opening.commitment() != env.commitment:
            raise InputError("opening does not match the envelope's commitment", where=where)

    @property
    def payload(self) -> dict[str, Any] | None:
        """The payload, whether public or opened."""
        if self.envelope.payload is not None:
            return self.envelope.payload
        return self.opening.payload if self.opening else None


def seal(
    *,
    log: str,
    record_type: str,
    party: str,
    key: SigningKey,
    time: datetime,
    payload: dict[str, Any],
    confidential: bool = False,
    schema_version: int = 1,
    salt: bytes | None = None,
) -> Submission:
    """Sign a payload into a submission (with its opening when confidential)."""
    time_text = format_time(time)
    opening = Opening(salt or os.urandom(32), payload) if confidential else None
    body: dict[str, Any] = {
        "format": FORMAT,
        "log": log,
        "record_type": record_type,
        "schema_version": schema_version,
        "party": party,
        "key_id": key.key_id,
        "time": time_text,
    }
    if opening is not None:
        body["commitment"] = opening.commitment()
    else:
        body["payload"] = payload
    signed = canonical_json(body)
    signature = key.sign(signed)
    whole = {**body, "signature": base64.b64encode(signature).decode()}
    envelope = Envelope(
        log=log,
        record_type=record_type,
        schema_version=schema_version,
        party=party,
        key_id=key.key_id,
        time=parse_time(time_text, where="seal"),
        time_text=time_text,
        payload=None if confidential else payload,
        commitment=body.get("commitment"),
        signature=signature,
        canonical=canonical_json(whole),
        signed=signed,
    )
    return Submission(envelope, opening)
