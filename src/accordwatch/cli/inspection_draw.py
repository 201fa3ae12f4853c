"""The inspectorate's draw nonce, and the checks of `inspection verify-draw`.

`inspection plan` draws a secret 32-byte nonce, logs the plan with its SHA-256
(`nonce_sha256`) and keeps the nonce in the inspectorate's private files,
`keys/<party>/draw-nonces/<hex SHA-256>.nonce` (0600), named by the digest the
plan commits to so that the holder finds it from the plan. `inspection record`
reveals it in the report. `verify-draw ENTRY` (`verify_draw`) is for anyone who reads the plan
and the report: it checks the revealed nonce against the plan's commitment,
that the draw's checkpoint is the first witnessed one after the plan (the
first signed one, for a log with no witness policy in force), and repeats the
draw from them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accordwatch.errors import AccordwatchError, InputError, NotFoundError
from accordwatch.log.encoding import decode_base64, encode_base64
from accordwatch.private_files import make_private_folder, write_private_text
from accordwatch.safeguards.sampling import NONCE_BYTES, nonce_digest

if TYPE_CHECKING:
    from accordwatch.sources.safeguards import LoggedInspection, LoggedPlan
    from accordwatch.store.ledger import Ledger
    from accordwatch.workspace import Workspace

NONCE_FOLDER = "draw-nonces"
NONCE_HELP = "The plan's draw nonce file [default: the inspectorate's, in the workspace]"


def nonce_path(ws: Workspace, party: str, digest: bytes) -> Path:
    """Where the inspectorate `party` keeps the nonce whose SHA-256 is `digest`."""
    return ws.keys_dir / party / NONCE_FOLDER / f"{digest.hex()}.nonce"


def new_nonce(ws: Workspace, party: str) -> tuple[bytes, Path]:
    """A fresh secret nonce, written to the party's private files before the plan is logged."""
    nonce = os.urandom(NONCE_BYTES)
    path = nonce_path(ws, party, nonce_digest(nonce))
    make_private_folder(path.parent)
    write_private_text(path, encode_base64(nonce) + "\n")
    return nonce, path


def read_nonce(path: Path) -> bytes:
    try:
        text = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the nonce file: {exc}", where=str(path)) from None
    nonce = decode_base64(text, "draw nonce", where=str(path))
    if len(nonce) != NONCE_BYTES:
        raise InputError(f"a draw nonce is {NONCE_BYTES} bytes, not {len(nonce)}", where=str(path))
    return nonce


def held_nonce(ws: Workspace, logged: LoggedPlan, file: Path | None) -> bytes | None:
    """The plan's nonce if this workspace's user holds it: `file`, else the plan party's."""
    if file is not None:
        return read_nonce(file)
    committed = logged.plan.nonce_sha256
    if committed is None:
        return None
    path = nonce_path(ws, logged.party, decode_base64(committed, "nonce_sha256"))
    return read_nonce(path) if path.is_file() else None


def verify_draw(
    logged: LoggedPlan, reports: list[LoggedInspection], ledger: Ledger
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Checks passed, problems found, and what was recomputed."""
    from accordwatch.sources.safeguards import (
        check_nonce,
        draw_basis,
        revealed,
        selection,
        selection_json,
    )

    index = logged.index
    passed: list[str] = []
    problems: list[str] = []
    out: dict[str, Any] = {"plan_entry": index, "nonce_sha256": logged.plan.nonce_sha256}
    if logged.plan.nonce_sha256 is None:
        problems.append(
            f"plan entry {index} commits to no nonce: its draw was predictable from the "
            "checkpoint alone"
        )
        return passed, problems, out
    report = revealed(index, reports)
    if report is None or report.report.draw is None:
        problems.append(
            f"no inspection report of plan entry {index} reveals its nonce yet: "
            "the draw cannot be checked before the reveal"
        )
        return passed, problems, out
    reveal = report.report.draw
    out["revealed_by"] = report.index
    where = f"inspection report at log entry {report.index}"
    try:
        nonce = decode_base64(reveal.nonce, "draw nonce", where=where)
        check_nonce(logged, nonce, where=where)
        passed.append(
            f"the nonce revealed at entry {report.index} is the one the plan committed to"
        )
        first = draw_basis(ledger, index)
        named = draw_basis(ledger, index, reveal.checkpoint)
        if first.size != named.size:
            problems.append(
                f"the report names the checkpoint of size {named.size}, but the first "
                + ("witnessed" if first.witnessed is not None else "signed")
                + f" checkpoint after plan entry {index} is of size {first.size}"
            )
        else:
            passed.append(f"the seed's checkpoint is the first after the plan: {first.describe()}")
        drawn = selection(ledger, logged, [report])
        out.update(selection_json(logged, drawn))
        passed.append("the draw repeats: SHA-256(nonce || checkpoint) ranks the items")
    except AccordwatchError as exc:
        problems.append(exc.message if exc.where is None else f"{exc.where}: {exc.message}")
    return passed, problems, out


def missing_nonce(logged: LoggedPlan, ws: Workspace) -> NotFoundError:
    assert logged.plan.nonce_sha256 is not None
    path = nonce_path(ws, logged.party, decode_base64(logged.plan.nonce_sha256, "nonce_sha256"))
    return NotFoundError(
        f"the report must reveal plan entry {logged.index}'s nonce, and this workspace "
        f"does not hold it ({path}): give it with --nonce FILE"
    )
