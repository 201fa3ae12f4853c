"""`/tlog/`: the log as C2SP tlog-tiles, for readers and mirrors that need no query API.

- `/tlog/checkpoint`: the latest checkpoint its witness policy's quorum cosigned,
  with every cosignature (the latest signed one while the log has no policy);
  `text/plain; charset=utf-8`, cached for a few seconds only;
- `/tlog/tile/<L>/<N>[.p/<W>]`: hash tiles;
- `/tlog/tile/entries/<N>[.p/<W>]`: entry bundles (uint16 lengths), and
  `/tlog/tile/accordwatch-entries/<N>[.p/<W>]`, the same with uint32 lengths,
  which holds envelopes over 65,535 bytes too;
- `/tlog/sealed/<hex>`: the ciphertexts the submitter of the confidential
  entry with that RFC 9162 leaf hash (64 lowercase hex digits) sealed to its
  readers, as canonical JSON (`log.tiles.sealed_file`); 404 for an entry the
  tree does not hold, a public one, or one whose opening is not sealed;
- `/tlog/draw-basis/<hex>`: the checkpoint, with its cosignatures, that the
  draw of the inspection plan with that leaf hash is seeded with
  (`sources.draw_bases`); cached briefly, as cosignatures may arrive.

Tiles, bundles and ciphertext files are immutable: they are served with long-lived caching
headers, and only within the latest signed checkpoint's tree. `accordwatch log
publish DIR` writes the same files for any static web server.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from accordwatch.errors import NotFoundError
from accordwatch.log.tiles import (
    DRAW_BASIS,
    TilePathError,
    parse_sealed_path,
    parse_tile_path,
    sealed_file,
)
from accordwatch.service.api.deps import Service, ServiceDep
from accordwatch.service.api.problems import problem_response
from accordwatch.sources.draw_bases import basis_for_leaf
from accordwatch.sources.tiles import published_note
from accordwatch.store.sealed import submitter_sealed
from accordwatch.store.tile_reading import bundle_bytes, tile_bytes

router = APIRouter(prefix="/tlog", tags=["tiles"])

IMMUTABLE = "public, max-age=31536000, immutable"
MUTABLE = "no-cache, max-age=5"


@router.get(
    "/checkpoint",
    summary="The latest witnessed checkpoint as a C2SP signed note (tlog-tiles)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def checkpoint(svc: ServiceDep) -> Response:
    note = published_note(svc.ledger, svc.policies.get(svc.ledger))
    return Response(
        note,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": MUTABLE},
    )


@router.get(
    "/tile/{path:path}",
    summary="A hash tile or an entry bundle (tlog-tiles)",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        404: problem_response("No such tile in the log's tree"),
    },
)
def tile(path: str, svc: ServiceDep) -> Response:
    return Response(
        tile_file(svc, f"tile/{path}"),
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE},
    )


def tile_file(svc: Service, path: str) -> bytes:
    try:
        found, fmt = parse_tile_path(path)
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    ledger = svc.ledger
    size = ledger.opened(ledger.latest_checkpoint()).size
    if fmt is None:
        return tile_bytes(ledger, found, size)
    return bundle_bytes(ledger, found, size, fmt)


@router.get(
    "/sealed/{digest}",
    summary="The ciphertexts of a confidential entry's opening, by its leaf hash",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}},
        404: problem_response("No entry with ciphertexts of that leaf hash in the log's tree"),
    },
)
def sealed(digest: str, svc: ServiceDep) -> Response:
    return Response(
        sealed_bytes(svc, f"sealed/{digest}"),
        media_type="application/json",
        headers={"Cache-Control": IMMUTABLE},
    )


def sealed_bytes(svc: Service, path: str) -> bytes:
    try:
        leaf = parse_sealed_path(path)
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    ledger = svc.ledger
    size = ledger.opened(ledger.latest_checkpoint()).size
    found = submitter_sealed(ledger, size, leaf_hash=leaf)
    if not found:
        raise NotFoundError(
            "no confidential entry with ciphertexts has that leaf hash in the log's tree",
            where=path,
        )
    index, _, held = found[0]
    return sealed_file(index, held)


@router.get(
    "/draw-basis/{digest}",
    summary="The checkpoint an inspection plan's draw is seeded with, by the plan's leaf hash",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}},
        404: problem_response("No inspection plan with a witnessed draw checkpoint"),
    },
)
def draw_basis(digest: str, svc: ServiceDep) -> Response:
    try:
        leaf = parse_sealed_path(f"{DRAW_BASIS}/{digest}", DRAW_BASIS)
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    ledger = svc.ledger
    size = ledger.opened(ledger.latest_checkpoint()).size
    return Response(
        basis_for_leaf(ledger, leaf, size),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": MUTABLE},
    )
