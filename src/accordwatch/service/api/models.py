"""The shapes of the log's, the parties' and the declarations' answers in the OpenAPI schema.

The routes build their JSON with the functions the dashboard and the CLI
share (`api.log`, `api.parties`, ...) and send it as it is; these models
say what that JSON is, so that `/openapi.json` types every answer and a
client generated from it reads them. Each carries an example, which the
schema shows and the tests check against the model.

Encodings, the same in every answer: hashes, keys, signatures and raw bytes
in standard base64 (RFC 4648, with padding); times in RFC 3339 UTC with `Z`
(`2026-11-29T00:48:22.123Z`); days as `YYYY-MM-DD`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

#: a JSON object whose members its record type defines
Document = dict[str, JsonValue]

SIGNATURE = (
    "p0S9nH1m2Vb6cXe4Rj8kLq3tWz5yA7dF0gI2uO4sN6hB8mC1vE3xK5jT9rY7wQ1aZ2bD4fG6hJ8kL0mN2pQ4rA=="
)
HASH = "y4Qy3fN1Jz0mGx7nS5xqgk0q9Vj1Lr2dHkq7f5n3Jt8="
ROOT = "Vx2mD8Wcl3k0pQeYh1u7sZrB4nF6tJ9aK5gLoM2eP0c="
NOTE = (
    "accordwatch.example/log\n12\nVx2mD8Wcl3k0pQeYh1u7sZrB4nF6tJ9aK5gLoM2eP0c=\n\n"
    "— accordwatch.example/log Az3Ck9yBd1tF6a2m0Qp7WxR5nS8vJ4hL0eGiKuYoTbM=\n"
)


def example(data: dict[str, Any]) -> ConfigDict:
    """A model configuration whose JSON schema shows `data` as its example."""
    return ConfigDict(json_schema_extra={"examples": [data]})


class LogInfo(BaseModel):
    """The log: its origin, size, root, verifier key and checkpoints."""

    origin: str = Field(description="The log's origin line")
    size: int = Field(description="Entries in the log as the checkpoint states it")
    root: str = Field(description="Merkle tree root of that checkpoint, base64")
    log_key: str = Field(description="The log's note verifier key (`name+id+key`)")
    checkpoint: str = Field(description="The latest signed checkpoint, a C2SP signed note")
    witnessed_checkpoint: str | None = Field(
        description="The latest checkpoint a quorum of witnesses cosigned (null: none or no policy)"
    )
    witnessed: str | None = Field(description="Who witnessed it, and by when, in one line")
    policy: str | None = Field(description="The witness policy in force, as its text")

    model_config = example(
        {
            "origin": "accordwatch.example/log",
            "size": 12,
            "root": ROOT,
            "log_key": "accordwatch.example/log+3c1f9a2e+" + HASH,
            "checkpoint": NOTE,
            "witnessed_checkpoint": None,
            "witnessed": None,
            "policy": None,
        }
    )


_ENTRY = {
    "index": 3,
    "signed_at": "2021-03-01T09:30:00.000Z",
    "recorded_at": "2021-03-01T09:30:01.250Z",
    "record_type": "statement",
    "party": "usa",
    "leaf_hash": HASH,
    "confidential": False,
    "commitment": None,
    "opening_held": None,
    "sealed_to": None,
    "readable": True,
    "payload": {"subject": "talks resume"},
}


class SealedTo(BaseModel):
    """A reader a confidential entry's opening is sealed to."""

    party: str = Field(description="The reader")
    key_id: str = Field(description="The reader's encryption key id")
    shared_at: int | None = Field(
        description="The `opening.share` entry that sealed it to this reader later (null: the "
        "submitter did)"
    )


class LogEntry(BaseModel):
    """A log entry, its payload as the reader may see it."""

    index: int = Field(description="Log index")
    signed_at: str = Field(description="The time in the signed envelope, RFC 3339 UTC")
    recorded_at: str = Field(description="When the log recorded it, RFC 3339 UTC")
    record_type: str
    party: str = Field(description="The party that signed it")
    leaf_hash: str = Field(description="RFC 9162 leaf hash of the canonical envelope, base64")
    confidential: bool = Field(description="Whether the log holds a commitment, not the payload")
    commitment: str | None = Field(description="`sha256:<base64>` for a confidential entry")
    opening_held: Literal["sealed", "plaintext", "none"] | None = Field(
        description="What the log holds of a confidential entry's opening: ciphertexts sealed to "
        "its readers (which the log cannot open), the opening in plaintext (not sealed yet), or "
        "none (null: a public entry)"
    )
    sealed_to: list[SealedTo] | None = Field(
        description="The readers the opening is sealed to, with their keys (null: a public entry)"
    )
    readable: bool = Field(description="Whether this reader may read the payload")
    payload: Document | None = Field(
        description="The payload (null when confidential and not readable by this reader)"
    )

    model_config = example(_ENTRY)


class Envelope(BaseModel):
    """A signed envelope, as it was signed (RFC 8785 canonical JSON)."""

    format: str
    log: str = Field(description="The origin of the log it was signed for")
    record_type: str
    schema_version: int
    party: str
    key_id: str
    time: str = Field(description="The signer's time, RFC 3339, spelled as signed")
    payload: Document | None = Field(default=None, description="The payload (public entries)")
    commitment: str | None = Field(default=None, description="The commitment (confidential)")
    signature: str = Field(description="Ed25519 signature, base64")


class LogEntryWithEnvelope(LogEntry):
    """A log entry with its signed envelope and the exact bytes its leaf hash is over."""

    envelope: Envelope
    canonical: str = Field(description="The canonical envelope bytes, base64")

    model_config = example(
        {
            **_ENTRY,
            "envelope": {
                "format": "accordwatch/envelope/v1",
                "log": "accordwatch.example/log",
                "record_type": "statement",
                "schema_version": 1,
                "party": "usa",
                "key_id": "usa-2021",
                "time": "2021-03-01T09:30:00Z",
                "payload": {"subject": "talks resume"},
                "signature": SIGNATURE,
            },
            "canonical": "eyJmb3JtYXQiOiJhY2NvcmR3YXRjaC9lbnZlbG9wZS92MSJ9",
        }
    )


class LogEntryPage(BaseModel):
    """A page of log entries in index order."""

    items: list[LogEntry]
    limit: int = Field(description="The most entries the page holds")
    next: str | None = Field(description="Path and query of the next page (null: the last)")

    model_config = example({"items": [_ENTRY], "limit": 1, "next": "/api/log/entries?start=4"})


class SealedOpening(BaseModel):
    """A confidential entry's opening encrypted to one reader's key (HPKE, RFC 9180)."""

    party: str = Field(description="The reader it is sealed to")
    key_id: str = Field(description="The reader's encryption key id")
    ciphertext: str = Field(description="The HPKE ciphertext, base64")


class SealedOpenings(BaseModel):
    """Every ciphertext of a confidential entry's opening: anyone may hold them."""

    index: int = Field(description="Log index of the entry")
    commitment: str = Field(description="The entry's commitment, which each opening must match")
    sealed: list[SealedOpening] = Field(description="One per reader key, by key id")

    model_config = example(
        {
            "index": 7,
            "commitment": "sha256:" + HASH,
            "sealed": [{"party": "iaea", "key_id": "3f2a9c1d0b8e7a65", "ciphertext": "AAEC"}],
        }
    )


class InclusionProof(BaseModel):
    """A receipt: an entry's inclusion proof against a signed checkpoint (`log prove`)."""

    index: int = Field(description="Log index of the entry")
    tree_size: int = Field(description="Size of the checkpoint the proof is against")
    leaf_hash: str = Field(description="The entry's leaf hash, base64")
    proof: list[str] = Field(description="RFC 9162 inclusion path, base64 hashes, leaf upward")
    checkpoint: str = Field(description="The signed checkpoint (with cosignatures), a signed note")

    model_config = example(
        {"index": 3, "tree_size": 12, "leaf_hash": HASH, "proof": [ROOT, HASH], "checkpoint": NOTE}
    )


class ConsistencyProof(BaseModel):
    """An RFC 9162 consistency proof between two tree sizes (`log consistency`)."""

    first: int
    second: int
    proof: list[str] = Field(description="Consistency path, base64 hashes")
    first_root: str = Field(description="Root of the first tree, base64")
    second_root: str = Field(description="Root of the second tree, base64")

    model_config = example(
        {"first": 4, "second": 12, "proof": [HASH], "first_root": HASH, "second_root": ROOT}
    )


class Checkpoint(BaseModel):
    """A signed checkpoint, with its cosignatures and whether they meet the witness policy."""

    size: int
    root: str = Field(description="Merkle tree root, base64")
    note: str = Field(description="The checkpoint with its cosignatures, a C2SP signed note")
    witnessed: str | None = Field(
        description="What the cosignatures amount to under the policy (null: no policy)"
    )

    model_config = example({"size": 12, "root": ROOT, "note": NOTE, "witnessed": None})


class LatestCheckpoint(Checkpoint):
    """The latest checkpoint, and the latest one a quorum of witnesses cosigned."""

    witnessed_checkpoint: str | None = Field(
        description="The latest witnessed checkpoint (null: none yet, or no policy)"
    )

    model_config = example(
        {"size": 12, "root": ROOT, "note": NOTE, "witnessed": None, "witnessed_checkpoint": None}
    )


class PartyKey(BaseModel):
    key_id: str
    public_key: str = Field(description="Ed25519 public key, base64")
    registered_at: int = Field(description="Log index of its registration")
    active: bool
    revoked_at: int | None = Field(description="Log index of its revocation")
    reason: str | None = Field(description="Why it was revoked")


_PARTY = {
    "name": "usa",
    "role": "party",
    "display_name": "United States",
    "registered_at": 1,
    "revoked_at": None,
    "revoked_reason": None,
    "keys": [
        {
            "key_id": "usa-2021",
            "public_key": "AbMx0RkVdQ7sTq8nHc2Lf5o9Wj4uYp1eGa6zKiXb3No=",
            "registered_at": 2,
            "active": True,
            "revoked_at": None,
            "reason": None,
        }
    ],
}


class Party(BaseModel):
    """A registered party, its role and keys."""

    name: str
    role: str
    display_name: str | None
    registered_at: int = Field(description="Log index of its registration")
    revoked_at: int | None = Field(description="Log index of its revocation")
    revoked_reason: str | None
    keys: list[PartyKey]

    model_config = example(_PARTY)


class PartyPage(BaseModel):
    """A page of parties in registration order."""

    items: list[Party]
    limit: int
    next: str | None

    model_config = example({"items": [_PARTY], "limit": 100, "next": None})


_DECLARATION = {
    "index": 7,
    "time": "2021-04-01T00:00:00.000Z",
    "party": "dprk",
    "confidential": True,
    "readable": False,
    "declaration": None,
    "unreadable": "confidential to the inspectorate and its declarant",
}


class LoggedDeclaration(BaseModel):
    """A declaration in the log; its content only where the reader may read it."""

    index: int
    time: str = Field(description="When the log recorded it, RFC 3339 UTC")
    party: str
    confidential: bool
    readable: bool
    declaration: Document | None = Field(
        description="The declaration (`declaration show --format json`), where readable"
    )
    unreadable: str | None = Field(description="Why this reader may not read it")

    model_config = example(_DECLARATION)


class DeclarationPage(BaseModel):
    """A page of declarations in log order."""

    items: list[LoggedDeclaration]
    limit: int
    next: str | None

    model_config = example({"items": [_DECLARATION], "limit": 100, "next": None})
