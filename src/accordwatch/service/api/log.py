"""`/api/log`: entries, signed checkpoints, inclusion and consistency proofs.

Proofs have the JSON shapes of `accordwatch log prove --format json` (a
receipt) and `accordwatch log consistency`. Entries carry their payload:
public ones to anyone, confidential ones only to a bearer whose party and
role may read that record type (`declaration_access.may_read`), checked
against the commitment signed in the log. A confidential entry also says
what the log holds of its opening (`opening_held`: sealed or plaintext) and
the readers it is sealed to (`sealed_to`, `log.confidential`).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from accordwatch.catalog import CATALOG
from accordwatch.errors import AccordwatchError, NotFoundError
from accordwatch.log.access import Reader, may_read, open_record
from accordwatch.log.canonical import parse_json
from accordwatch.log.confidential import ConfidentialEntry
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.receipt import Receipt
from accordwatch.service.api import models
from accordwatch.service.api.deps import (
    MAX_INDEX,
    AsciiDigits,
    ReaderDep,
    Service,
    ServiceDep,
    json_response,
)
from accordwatch.service.api.listing import CSV_RESPONSE, PagingDep, page_response
from accordwatch.sources.confidential import confidential_views, entry_confidentiality
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.log_reader import StoredEntry
from accordwatch.store.schema import openings
from accordwatch.timeutil import format_time

Index = Annotated[int, Path(ge=0, le=MAX_INDEX, description="Log index of an entry"), AsciiDigits]
Size = Annotated[int, Path(ge=0, le=MAX_INDEX, description="Tree size"), AsciiDigits]

router = APIRouter(prefix="/api/log", tags=["log"])


def _openings(ledger: Ledger, indices: list[int]) -> dict[int, Opening]:
    if not indices:
        return {}
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(
            select(openings.c.idx, openings.c.salt, openings.c.payload).where(
                openings.c.idx.in_(indices)
            )
        ).all()
    return {
        int(i): Opening(bytes(salt), parse_json(bytes(payload), where=f"log entry {i}"))
        for i, salt, payload in rows
    }


def content(
    envelope: Envelope, opening: Opening | None, reader: Reader | None, *, where: str
) -> dict[str, Any]:
    """The payload as this reader may see it, and whether it could be read."""
    if envelope.commitment is not None and (
        reader is None or not may_read(CATALOG, envelope.record_type, reader, envelope.party)
    ):
        return {"readable": False, "payload": None}
    try:
        return {
            "readable": True,
            "payload": open_record(CATALOG, envelope, opening, reader, where=where),
        }
    except AccordwatchError:
        return {"readable": False, "payload": None}


def entry_json(
    entry: StoredEntry,
    opening: Opening | None,
    reader: Reader | None,
    secret: ConfidentialEntry | None = None,
) -> dict[str, Any]:
    """An entry as the API lists it; `secret` what the log holds of it, if confidential."""
    where = f"log entry {entry.index}"
    envelope = Envelope.from_bytes(entry.envelope, where=where)
    return {
        "index": entry.index,
        "signed_at": format_time(entry.signed_at),
        "recorded_at": format_time(entry.recorded_at),
        "record_type": entry.record_type,
        "party": entry.party,
        "leaf_hash": base64.b64encode(entry.leaf_hash).decode(),
        "confidential": envelope.confidential,
        "commitment": envelope.commitment,
        "opening_held": secret.held.value if secret is not None else None,
        "sealed_to": [s.to_json() for s in secret.sealed_to] if secret is not None else None,
        **content(envelope, opening, reader, where=where),
    }


def log_info(svc: Service, note: str | None = None) -> dict[str, Any]:
    """The log's origin, size, root, verifier key and signed checkpoint (`note`, or the latest).

    With the witness policy in force (its text) and the latest checkpoint its
    quorum of witnesses cosigned (null: none yet, or no policy).
    """
    ledger = svc.ledger
    note = note or ledger.latest_checkpoint()
    cp = ledger.opened(note)
    policy = svc.policies.get(ledger)
    witnessed = ledger.latest_witnessed(policy) if policy is not None else None
    return {
        "origin": ledger.origin,
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "log_key": ledger.signer.verifier.text(),
        "checkpoint": note,
        "witnessed_checkpoint": witnessed[0] if witnessed else None,
        "witnessed": witnessed[1].summary() if witnessed else None,
        "policy": policy.text if policy is not None else None,
    }


# The hottest shapes of these reads (no query string) are answered ahead of
# the routing by `api.hot_reads`, with the same functions; these routes answer
# the rest and are what the OpenAPI schema documents.


@router.get(
    "",
    operation_id="getLog",
    summary="The log: origin, size, verifier key and latest checkpoint",
    response_model=models.LogInfo,
)
def log_route(svc: ServiceDep) -> Response:
    """The log's origin, size, root and verifier key, its latest signed checkpoint, and the
    latest checkpoint a quorum of witnesses cosigned under the policy in force."""
    return json_response(log_info(svc))


@router.get(
    "/entries/{index}",
    operation_id="getLogEntry",
    summary="One entry with its canonical envelope bytes",
    response_model=models.LogEntryWithEnvelope,
)
def entry_route(index: Index, svc: ServiceDep, reader: ReaderDep) -> Response:
    """The entry at `index`: its signed envelope, the canonical bytes its leaf hash is over,
    and its payload, which for a confidential entry only a bearer allowed to read its record
    type sees."""
    return json_response(get_entry(index, svc, reader))


@router.get(
    "/entries/{index}/proof",
    operation_id="getInclusionProof",
    summary="Inclusion proof (a receipt) against a checkpoint",
    response_model=models.InclusionProof,
)
def proof_route(
    index: Index,
    svc: ServiceDep,
    size: Annotated[
        int | None, Query(ge=1, le=MAX_INDEX, description="Checkpoint size [default: latest]")
    ] = None,
) -> Response:
    """The receipt of the entry at `index`: its RFC 9162 inclusion path against the signed
    checkpoint of `size`, or without a size against the earliest witnessed checkpoint that
    includes it (else the latest). `accordwatch receipt verify` checks it offline."""
    return json_response(prove_inclusion(index, svc, size))


@router.get(
    "/entries/{index}/sealed",
    operation_id="getSealedOpenings",
    summary="A confidential entry's opening, sealed to each of its readers",
    response_model=models.SealedOpenings,
)
def sealed_route(index: Index, svc: ServiceDep) -> Response:
    """The HPKE ciphertexts of the confidential entry at `index`, one per reader key: anyone
    may download them, only the holder of each key opens its own, and what it opens must match
    the entry's commitment. A public entry has none (404)."""
    return json_response(sealed_openings(index, svc))


def sealed_openings(index: int, svc: Service) -> dict[str, Any]:
    """The ciphertexts of entry `index`'s opening."""
    from accordwatch.store.sealed import sealed_for

    ledger = svc.ledger
    entry = ledger.entry(index)
    envelope = Envelope.from_bytes(entry.envelope, where=f"log entry {index}")
    if envelope.commitment is None:
        raise NotFoundError(f"log entry {index} is public: it has no sealed opening")
    return {
        "index": index,
        "commitment": envelope.commitment,
        "sealed": [s.to_json() for s in sealed_for(ledger, index)],
    }


@router.get(
    "/checkpoints/latest",
    operation_id="getLatestCheckpoint",
    summary="The latest signed checkpoint",
    response_model=models.LatestCheckpoint,
)
def latest_checkpoint_route(svc: ServiceDep) -> Response:
    """The latest checkpoint with its cosignatures, what they amount to under the witness
    policy, and the latest checkpoint a quorum of witnesses cosigned."""
    return json_response(latest_checkpoint(svc))


@router.get(
    "/entries",
    operation_id="listLogEntries",
    summary="Entries in index order, payloads as the bearer may read them",
    response_model=models.LogEntryPage,
    responses=CSV_RESPONSE,
)
def list_entries(
    request: Request,
    svc: ServiceDep,
    reader: ReaderDep,
    paging: PagingDep,
    record_type: Annotated[
        str | None, Query(max_length=64, description="Only entries of this record type")
    ] = None,
    party: Annotated[
        str | None, Query(max_length=64, description="Only entries signed by this party")
    ] = None,
) -> Response:
    """Entries from the log index `start` on, at most `limit` of them, that match the
    filters; `next` continues after the last one listed."""
    chosen, following = matching_entries(
        svc.ledger, paging.start, paging.limit, record_type=record_type, party=party
    )
    ledger = svc.ledger
    held = _openings(ledger, [e.index for e in chosen if b'"commitment"' in e.envelope])
    secret = confidential_views(ledger, chosen)
    items = [entry_json(e, held.get(e.index), reader, secret.get(e.index)) for e in chosen]
    return page_response(request, paging, items, following)


def matching_entries(
    ledger: Ledger,
    start: int,
    limit: int,
    *,
    record_type: str | None = None,
    party: str | None = None,
) -> tuple[list[StoredEntry], int | None]:
    """Up to `limit` entries from `start` on that match, and the index the next page starts at.

    The log is read up to its size when asked, so that a page ends even while it grows.
    """
    size = ledger.size()
    chosen: list[StoredEntry] = []
    if start >= size:
        return chosen, None
    for e in ledger.entries(start, size, chunk=max(limit, 100)):
        if (record_type is None or e.record_type == record_type) and (
            party is None or e.party == party
        ):
            chosen.append(e)
            if len(chosen) == limit:
                following = e.index + 1
                return chosen, following if following < size else None
    return chosen, None


def get_entry(index: int, svc: Service, reader: Reader | None) -> dict[str, Any]:
    """One entry with its canonical envelope bytes, its payload as `reader` may see it."""
    ledger = svc.ledger
    entry = ledger.entry(index)
    # only a confidential entry has an opening to look for
    held = ledger.opening(index) if b'"commitment"' in entry.envelope else None
    opening = None
    if held is not None:
        opening = Opening(held[0], parse_json(held[1], where=f"log entry {index}"))
    out = entry_json(entry, opening, reader, entry_confidentiality(ledger, entry))
    out["envelope"] = parse_json(entry.envelope, where=f"log entry {index}")
    # the exact bytes the leaf hash is over, so a client can hash them itself
    out["canonical"] = base64.b64encode(entry.envelope).decode()
    return out


def prove_inclusion(index: int, svc: Service, size: int | None) -> dict[str, Any]:
    """The receipt of entry `index` against the checkpoint at `size`, or the witnessed one.

    Without a size: the earliest witnessed checkpoint that includes the entry
    (with its cosignatures), else the latest.
    """
    ledger = svc.ledger
    if size is None:
        policy = svc.policies.get(ledger)
        if policy is None:
            # one connection: the latest checkpoint, the path and the leaf
            return ledger.receipt(index, at="latest").to_json()
        return ledger.witnessed_receipt(index, policy).to_json()
    note = ledger.cosigned_note(size)
    cp = ledger.opened(note)
    tree_size, proof = ledger.prove_inclusion(index, cp.size)
    return Receipt(index, tree_size, ledger.entry(index).leaf_hash, proof, note).to_json()


@router.get(
    "/consistency",
    operation_id="getConsistencyProof",
    summary="Consistency proof between two tree sizes (RFC 9162)",
    response_model=models.ConsistencyProof,
)
def prove_consistency(
    svc: ServiceDep,
    first: Annotated[int, Query(ge=1, le=MAX_INDEX, description="The smaller tree size")],
    second: Annotated[
        int | None,
        Query(ge=1, le=MAX_INDEX, description="The larger tree size [default: the log's size]"),
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 consistency proof that the tree of size `first` is a prefix of the tree
    of size `second`, with both roots: what a verifier checks two checkpoints with."""
    ledger = svc.ledger
    size = ledger.size()
    for name, asked in (("first", first), ("second", second)):
        if asked is not None and asked > size:
            # as for a checkpoint: no tree of that size exists (yet)
            raise NotFoundError(f"{name}: tree size {asked} is beyond the log (size {size})")
    second_size, proof = ledger.prove_consistency(first, second)
    return {
        "first": first,
        "second": second_size,
        "proof": [base64.b64encode(p).decode() for p in proof],
        "first_root": base64.b64encode(ledger.root(first)).decode(),
        "second_root": base64.b64encode(ledger.root(second_size)).decode(),
    }


def _checkpoint_json(note: str, svc: Service) -> dict[str, Any]:
    """A checkpoint with its cosignatures, and what they amount to under the policy in force."""
    ledger = svc.ledger
    cp = ledger.opened(note)
    note = ledger.cosigned_note(cp.size)
    policy = svc.policies.get(ledger)
    out: dict[str, Any] = {
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "note": note,
        "witnessed": None,
    }
    if policy is not None:
        try:
            out["witnessed"] = ledger.witnessed(note, policy).summary()
        except AccordwatchError as exc:
            out["witnessed"] = f"NOT witnessed: {exc.message}"
    return out


def latest_checkpoint(svc: Service) -> dict[str, Any]:
    """The latest checkpoint, and the latest witnessed one (null: none, or no policy)."""
    out = _checkpoint_json(svc.ledger.latest_checkpoint(), svc)
    policy = svc.policies.get(svc.ledger)
    witnessed = svc.ledger.latest_witnessed(policy) if policy is not None else None
    out["witnessed_checkpoint"] = witnessed[0] if witnessed else None
    return out


@router.get(
    "/checkpoints/latest.txt",
    operation_id="getLatestCheckpointNote",
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint as a C2SP signed note",
    responses={
        200: {
            "content": {
                "text/plain": {
                    "schema": {"type": "string", "description": "A C2SP signed note"},
                    "example": models.NOTE,
                }
            }
        }
    },
)
def latest_checkpoint_text(svc: ServiceDep) -> str:
    """The latest checkpoint with its cosignatures, as the signed note a witness or a
    `tlog-checkpoint` client reads."""
    ledger = svc.ledger
    return ledger.cosigned_note(ledger.opened(ledger.latest_checkpoint()).size)


@router.get(
    "/checkpoints/{size}",
    operation_id="getCheckpoint",
    summary="The signed checkpoint the log issued at a size",
    response_model=models.Checkpoint,
)
def checkpoint_at(size: Size, svc: ServiceDep) -> dict[str, Any]:
    """The checkpoint the log signed when it had `size` entries, with its cosignatures."""
    return _checkpoint_json(svc.ledger.checkpoint_at(size), svc)
