"""The check every submission passes before anything is stored.

Pure: given the registry as of the next log position and the current time,
a submission is accepted (and its payload parsed) or refused with one error
naming the first problem. The order is chosen so that the cheapest and most
telling problem is reported first: shape, log, clock, key, signature,
authority, payload, and then what the record itself must not contradict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accordwatch.errors import (
    AuthorityError,
    ConflictError,
    InputError,
    NotFoundError,
)
from accordwatch.log.canonical import canonical_json
from accordwatch.log.encoding import decode_base64
from accordwatch.log.envelope import Submission
from accordwatch.log.key_purpose import PUBLIC_KEY_SIZES, KeyPurpose
from accordwatch.log.keys import key_id
from accordwatch.log.records import (
    Catalog,
    Genesis,
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    PartyRegistration,
    PartyRevocation,
    Payload,
    RecordType,
)
from accordwatch.log.registry import KeyRecord, Registry
from accordwatch.log.roles import Role
from accordwatch.log.sealing import sealed_problem


@dataclass(frozen=True)
class Limits:
    max_entry_bytes: int = 1 << 20
    max_clock_skew: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Accepted:
    submission: Submission
    #: None for a confidential entry sealed to its readers: the log cannot read it
    payload: Payload | None


def check_submission(
    submission: Submission,
    registry: Registry,
    *,
    catalog: Catalog,
    now: datetime,
    limits: Limits = Limits(),
    where: str = "submission",
) -> Accepted:
    """Accept `submission` as the next log entry, or raise the first problem found.

    `catalog` holds the record types this log accepts.
    """
    env = submission.envelope
    rtype = _check_form(submission, catalog, limits, where)
    skew = clock_skew_problem(env.time, now, limits.max_clock_skew)
    if skew is not None:
        raise InputError(skew, where=where)

    if env.confidential and not rtype.may_be_confidential:
        raise InputError(f"{env.record_type} records cannot be confidential", where=where)
    if env.record_type == "log.genesis":
        return _check_genesis(submission, registry, rtype, where)
    _check_origin(submission, registry, where)

    party = registry.parties.get(env.party)
    if party is None:
        raise NotFoundError(f"unknown party {env.party!r}", where=where)
    if party.revoked_at is not None:
        raise AuthorityError(
            f"party {env.party!r} was revoked at log entry {party.revoked_at}: "
            "it may submit nothing more",
            where=where,
        )
    key = registry.keys.get(env.key_id)
    if key is None:
        raise AuthorityError(f"unknown key {env.key_id} for party {env.party!r}", where=where)
    _check_key_and_signature(submission, key, where)

    if env.confidential and submission.opening is None and submission.sealed:
        # Sealed to its readers: the log checks all that needs no payload.
        submission.check_opening(where=where)
        problem = sealed_problem(catalog, env.record_type, env.party, submission.sealed, registry)
        if problem is not None:
            raise InputError(problem, where=where)
        if party.role not in rtype.roles:
            allowed = ", ".join(sorted(rtype.roles))
            raise AuthorityError(
                f"party {env.party!r} ({party.role}) may not submit {env.record_type} "
                f"(allowed: {allowed})",
                where=where,
            )
        return Accepted(submission, None)
    payload = _payload(submission, rtype, where)
    is_owner = (
        rtype.allows_owner and isinstance(payload, KeyRevocation) and payload.party == env.party
    )
    if party.role not in rtype.roles and not is_owner:
        allowed = ", ".join(sorted(rtype.roles))
        raise AuthorityError(
            f"party {env.party!r} ({party.role}) may not submit {env.record_type} "
            f"(allowed: {allowed})",
            where=where,
        )
    _check_registration(payload, registry, where)
    acting = payload.acting_party()
    if acting is not None and acting != env.party:
        raise AuthorityError(
            f"party {env.party!r} may not submit {env.record_type} for party {acting!r}",
            where=where,
        )
    if isinstance(payload, KeyRotation):
        _check_rotation_signer(payload, registry, env.key_id, where)
    problem = payload.signer_problem(env.party)
    if problem is not None:
        raise AuthorityError(problem, where=where)
    return Accepted(submission, payload)


def clock_skew_problem(claimed: datetime, now: datetime, allowed: timedelta) -> str | None:
    """Why an envelope time `claimed` is too far from the log's clock `now`, or None.

    A signer's time is its own claim: the log takes it only within `allowed`
    of its own clock, before or after, so that no statement can be dated
    into the past (counted as if the log had known it then) or the future.
    """
    gap = claimed - now
    if abs(gap) <= allowed:
        return None
    direction = "after" if gap > timedelta(0) else "before"
    return (
        f"envelope time {_stamp(claimed)} is {_span(abs(gap))} {direction} the log clock "
        f"{_stamp(now)} (allowed skew {int(allowed.total_seconds())} s)"
    )


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _span(gap: timedelta) -> str:
    """A gap in the largest whole unit that fits: days, hours, minutes or seconds."""
    seconds = int(gap.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} s"


def check_signature(
    submission: Submission,
    registry: Registry,
    *,
    catalog: Catalog,
    limits: Limits = Limits(),
    where: str = "submission",
) -> None:
    """Refuse, ahead of the append, what `check_submission` is bound to refuse.

    Its form, the log it names, its key and its signature, and the opening
    against its commitment: for a service to refuse a bad submission on its
    own, before it joins a group of others appended in one transaction.
    `registry` may be one cached some entries ago: every refusal here holds
    at any later position (a key's owner and public key never change and a
    revocation is never undone), and what a newer registry could decide
    otherwise (a party or key it does not know yet) passes on, to be decided
    by `check_submission`, which the append runs in any case. So does what
    depends on the log's clock, the signer's authority or the payload.
    """
    env = submission.envelope
    rtype = _check_form(submission, catalog, limits, where)
    if env.confidential and not rtype.may_be_confidential:
        raise InputError(f"{env.record_type} records cannot be confidential", where=where)
    if env.record_type == "log.genesis":
        return
    _check_origin(submission, registry, where)
    key = registry.keys.get(env.key_id)
    if key is None:
        return
    _check_key_and_signature(submission, key, where)
    submission.check_opening(where=where)


def _check_form(submission: Submission, catalog: Catalog, limits: Limits, where: str) -> RecordType:
    env = submission.envelope
    size = (
        len(env.canonical)
        + (len(canonical_json(submission.opening.to_json())) if submission.opening else 0)
        + (sum(len(s.ciphertext) for s in submission.sealed) if submission.sealed else 0)
    )
    if size > limits.max_entry_bytes:
        raise InputError(
            f"submission is {size} bytes, over the limit of {limits.max_entry_bytes}", where=where
        )
    rtype = catalog.get(env.record_type, where=where)
    if env.schema_version != 1:
        raise InputError(
            f"{env.record_type} schema_version {env.schema_version} is not supported (1)",
            where=where,
        )
    return rtype


def _check_origin(submission: Submission, registry: Registry, where: str) -> None:
    env = submission.envelope
    if registry.origin is not None and env.log != registry.origin:
        raise InputError(
            f"envelope is for log {env.log!r}, this log is {registry.origin!r}", where=where
        )


def _check_key_and_signature(submission: Submission, key: KeyRecord, where: str) -> None:
    env = submission.envelope
    if key.party != env.party:
        raise AuthorityError(f"unknown key {env.key_id} for party {env.party!r}", where=where)
    if key.revoked_at is not None:
        raise AuthorityError(
            f"key {env.key_id} of party {env.party!r} was revoked at log entry {key.revoked_at}",
            where=where,
        )
    if key.purpose is not KeyPurpose.SIGNING:
        raise AuthorityError(
            f"key {env.key_id} of party {env.party!r} is an encryption key: it cannot sign",
            where=where,
        )
    env.verify_signature(key.public_key, where=where)


def _payload(submission: Submission, rtype: RecordType, where: str) -> Payload:
    submission.check_opening(where=where)
    data = submission.payload
    if data is None:
        raise InputError("a confidential envelope must be submitted with its opening", where=where)
    return rtype.parse_payload(data, where=where)


def _check_genesis(
    submission: Submission, registry: Registry, rtype: RecordType, where: str
) -> Accepted:
    env = submission.envelope
    if registry.origin is not None:
        raise ConflictError("the log already has its genesis entry", where=where)
    payload = rtype.parse_payload(submission.payload, where=where)
    assert isinstance(payload, Genesis)
    if payload.origin != env.log or payload.registrar != env.party:
        raise InputError("genesis must be signed by its registrar for its own log", where=where)
    public = _public_key(payload.registrar_public_key, KeyPurpose.SIGNING, where)
    if key_id(public) != env.key_id:
        raise AuthorityError("genesis must be signed by the registrar key it names", where=where)
    env.verify_signature(public, where=where)
    return Accepted(submission, payload)


def _public_key(text: str, purpose: KeyPurpose, where: str) -> bytes:
    raw = decode_base64(text, "public key", where=where)
    if len(raw) != PUBLIC_KEY_SIZES[purpose]:
        kind = "an Ed25519 key" if purpose is KeyPurpose.SIGNING else "an ML-KEM-768 + X25519 key"
        raise InputError(
            f"{purpose} public key is {len(raw)} bytes, not {kind} ({PUBLIC_KEY_SIZES[purpose]})",
            where=where,
        )
    if purpose is KeyPurpose.ENCRYPTION:
        from accordwatch.log.hpke import check_public_key

        check_public_key(raw, where=where)
    return raw


def _check_rotation_signer(
    payload: KeyRotation, registry: Registry, signer_key: str, where: str
) -> None:
    """A party rotates its own key: a signing key by a signature of that very key.

    An encryption key cannot sign: one of the party's active signing keys
    rotates it (the signer's party and activity are checked already).
    """
    old = registry.keys[payload.replaces]
    if old.purpose is KeyPurpose.SIGNING and signer_key != payload.replaces:
        raise AuthorityError(
            f"signing key {payload.replaces} of party {payload.party!r} is rotated by its own "
            f"signature, not by key {signer_key}",
            where=where,
        )


def _check_registration(payload: Payload, registry: Registry, where: str) -> None:
    if isinstance(payload, Genesis):
        raise ConflictError("the log already has its genesis entry", where=where)
    if isinstance(payload, PartyRegistration):
        if payload.name in registry.parties:
            raise ConflictError(f"party {payload.name!r} is already registered", where=where)
        if payload.role is Role.REGISTRAR:
            raise AuthorityError("the log has exactly one registrar", where=where)
    elif isinstance(payload, KeyRegistration):
        owner = registry.parties.get(payload.party)
        if owner is None:
            raise NotFoundError(f"unknown party {payload.party!r}", where=where)
        if owner.revoked_at is not None:
            raise AuthorityError(
                f"party {payload.party!r} was revoked at log entry {owner.revoked_at}: "
                "no key is registered to it",
                where=where,
            )
        public = _public_key(payload.public_key, payload.purpose, where)
        if key_id(public) != payload.key_id:
            raise InputError(
                f"key id {payload.key_id} does not match the public key ({key_id(public)})",
                where=where,
            )
        if payload.key_id in registry.keys:
            raise ConflictError(f"key {payload.key_id} is already registered", where=where)
        if payload.replaces is not None:
            old = registry.keys.get(payload.replaces)
            if old is None or old.party != payload.party or not old.active:
                raise NotFoundError(
                    f"no active key {payload.replaces} of party {payload.party!r} to replace",
                    where=where,
                )
            if old.purpose is not payload.purpose:
                raise InputError(
                    f"key {payload.replaces} is for {old.purpose}: a key for {payload.purpose} "
                    "cannot replace it",
                    where=where,
                )
    elif isinstance(payload, KeyRevocation):
        key = registry.keys.get(payload.key_id)
        if key is None or key.party != payload.party:
            raise NotFoundError(
                f"unknown key {payload.key_id} for party {payload.party!r}", where=where
            )
        if not key.active:
            raise ConflictError(f"key {payload.key_id} is already revoked", where=where)
    elif isinstance(payload, PartyRevocation):
        target = registry.parties.get(payload.name)
        if target is None:
            raise NotFoundError(f"unknown party {payload.name!r}", where=where)
        if target.role is Role.REGISTRAR:
            raise AuthorityError("the registrar cannot be revoked: it runs the log", where=where)
        if target.revoked_at is not None:
            raise ConflictError(
                f"party {payload.name!r} was already revoked at log entry {target.revoked_at}",
                where=where,
            )
