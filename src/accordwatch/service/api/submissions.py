"""`POST /api/submissions`: a signed envelope (or submission with its opening) in, a receipt out.

The body is what `accordwatch envelope sign` writes. It passes the same
checks as `accordwatch submit` (`Ledger.submit_many`: form, signature, the
signer's authority for the record type, the opening against its
commitment); a submission already in the log gets the receipt it was first
given, so a client may safely retry.

The body must be sent as `Content-Type: application/json` (415 otherwise): a
form or `text/plain` is what another site's page can make a browser send
without asking. It is read as it arrives and refused (413) as soon as it
passes the limit, whether or not it declared its length, so that a chunked
upload of any size costs the server at most the limit in memory.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from accordwatch.errors import InputError
from accordwatch.log.canonical import parse_json
from accordwatch.log.envelope import Submission
from accordwatch.roadmap.admission import STEP_RECORDS
from accordwatch.service.api import models
from accordwatch.service.api.deps import json_response, service_of
from accordwatch.service.api.problems import problem_response
from accordwatch.sources.roadmap import check_step_record
from accordwatch.sources.snapshot import Snapshot

router = APIRouter(prefix="/api", tags=["submissions"])

#: the only media type a submission is taken in
MEDIA_TYPE = "application/json"

# The envelope limit applies to the canonical envelope; the body also holds an
# opening and whitespace, so allow some room before refusing to read it at all.
_BODY_FACTOR = 4


_BODY_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "description": "A signed envelope, or {envelope, opening} for a "
                    "confidential record, or {envelope, sealed} with its opening sealed to "
                    "each reader (as written by `accordwatch envelope sign`)",
                }
            }
        },
    }
}


@router.post(
    "/submissions",
    operation_id="submitEnvelope",
    summary="Append a signed envelope; returns its receipt",
    response_model=models.InclusionProof,
    openapi_extra=_BODY_SCHEMA,
    responses={
        401: problem_response("Bad signature"),
        403: problem_response(
            "Signer may not submit this record type, or report or verify this step"
        ),
        404: problem_response("Unknown party or key"),
        413: problem_response("Body too large"),
        415: problem_response("Body not sent as application/json"),
        409: problem_response("A verification of a step never reported"),
        422: problem_response("Malformed submission"),
    },
)
async def submit(request: Request) -> Response:
    """Check a signed envelope (form, signature, the signer's authority for its record type,
    the opening against its commitment) and append it; the answer is its receipt. A
    submission already in the log gets the receipt it was first given."""
    svc = service_of(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != MEDIA_TYPE:
        raise _UnsupportedMediaTypeError(f"send the submission as Content-Type: {MEDIA_TYPE}")
    limit = svc.ledger.limits.max_entry_bytes * _BODY_FACTOR
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = await _body(request, limit)
    submission = Submission.from_json(parse_json(body, where="request body"), where="request body")
    env = submission.envelope
    if env.record_type in STEP_RECORDS:
        # a step record the road map would not count is refused before it is stored
        def check() -> None:
            log = Snapshot.default(svc.ledger)
            check_step_record(log, env.record_type, env.party, submission.payload)

        await run_in_threadpool(check)
    # appended with the other submissions waiting, off the event loop
    receipt = await svc.committer.submit(submission)
    return json_response(receipt.to_json())


async def _body(request: Request, limit: int) -> bytes:
    """The request body, counted as it arrives and refused once it passes `limit` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


class _BodyTooLargeError(InputError):
    http_status = 413


class _UnsupportedMediaTypeError(InputError):
    http_status = 415


def _too_large(limit: int) -> InputError:
    return _BodyTooLargeError(f"the request body is larger than {limit} bytes")
