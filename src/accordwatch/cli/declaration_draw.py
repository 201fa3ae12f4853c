"""The draw of a `part: drawn` reveal step: commit to a nonce, reveal it, recompute the draw.

`declaration draw commit STEP --as PARTY` draws 32 random bytes, keeps them
in the party's private file in the workspace (`keys/PARTY/draws/`, 0600) and
logs their SHA-256; `declaration draw reveal STEP --as PARTY` logs the nonce
once every party has committed and a witnessed checkpoint includes the last
commitment; `declaration draw show` lists every draw and where it stands;
`declaration verify-draw ENTRY` recomputes a draw from the log alone and, for
a reveal entry, checks that it opens the drawn part; with `--log EXPORT` it
does so offline from a log export (audited on the way) and nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, print_json, shown, submit_as, workspace
from accordwatch.cli.declaration import declaration_app
from accordwatch.errors import ConflictError, InputError, NotFoundError, VerificationError

if TYPE_CHECKING:
    from accordwatch.declarations.draw import Draw
    from accordwatch.roadmap.accord import Accord
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.store.ledger import Ledger
    from accordwatch.workspace import Workspace

draw_app = typer.Typer(
    help="The draw of a drawn reveal step: nonces committed, then revealed.", no_args_is_help=True
)

ACCORD_HELP = "Accord id [default: the only one]"


def nonce_path(ws: Workspace, party: str, accord_id: str, step: str) -> Path:
    """Where a party's nonce for a step is kept, readable by the workspace's owner only."""
    return ws.keys_dir / party / "draws" / f"{accord_id}.{step}.nonce"


def _draws(ledger: Ledger, accord: Accord) -> tuple[Snapshot, dict[str, Draw]]:
    from accordwatch.cli.view_dates import today
    from accordwatch.sources.draws import log_draws
    from accordwatch.sources.escrows import escrow_book
    from accordwatch.sources.snapshot import Snapshot

    log = Snapshot.default(ledger)
    return log, log_draws(log, accord, escrow_book(log, None), today(workspace()))


def _drawn_step(accord: Accord, step: str) -> None:
    from accordwatch.sources.draws import reveal_steps

    found = next((s for s in reveal_steps(accord) if s.id == step), None)
    if found is None or found.part != "drawn":
        drawn = [s.id for s in reveal_steps(accord) if s.part == "drawn"]
        known = ", ".join(drawn) if drawn else "none"
        raise NotFoundError(
            f"step {step!r} of accord {accord.id!r} is not a reveal step with part: drawn "
            f"(drawn steps: {known})"
        )


def drawn_part(ledger: Ledger, accord: Accord, step: str, part: str) -> str:
    """The part a drawn step's reveal must open: the draw's, which `part` must be (or 'drawn')."""
    _, draws = _draws(ledger, accord)
    result = draws[step]
    if result.part is None:
        raise ConflictError(f"step {step} opens a drawn part, and {result.describe()}")
    if part not in ("drawn", result.part):
        raise ConflictError(
            f"step {step} opens the part its draw chose, {result.part}, not {part} "
            "(accordwatch declaration verify-draw recomputes it)"
        )
    return result.part


def _party(accord: Accord, party: str) -> None:
    if party not in {p.id for p in accord.parties}:
        raise InputError(f"{party!r} is not a party to accord {accord.id!r}")


@draw_app.command("commit")
def commit(
    step: str = typer.Argument(..., help="The reveal step with part: drawn"),
    as_party: str = typer.Option(..., "--as", help="The committing party"),
    accord: str = typer.Option(None, "--accord", help=ACCORD_HELP),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Commit to a fresh random nonce (kept in the party's private file; its SHA-256 logged)."""
    from accordwatch.cli.accord import _accord_id
    from accordwatch.declarations.draw import NONCE_BYTES, nonce_commitment
    from accordwatch.private_files import make_private_folder, write_private_text

    ws = workspace()
    ledger = ws.ledger()
    accord_id, version = _accord_id(ledger, accord)
    _drawn_step(version, step)
    _party(version, as_party)
    _, draws = _draws(ledger, version)
    held = draws[step].commitments.get(as_party)
    if held is not None:
        raise ConflictError(
            f"{as_party} already committed to a nonce for step {step} at log entry {held.index}"
        )
    path = nonce_path(ws, as_party, accord_id, step)
    if path.exists():
        raise ConflictError(f"a nonce for step {step} is already kept here", where=str(path))
    nonce = secrets.token_bytes(NONCE_BYTES).hex()
    make_private_folder(path.parent)
    write_private_text(path, nonce + "\n")
    payload = {"accord_id": accord_id, "step": step, "commitment": nonce_commitment(nonce)}
    try:
        index = submit_as(ws, ledger, as_party, key_file, "draw.commit", payload).index
    except BaseException:
        path.unlink(missing_ok=True)  # nothing committed: no nonce to keep
        raise
    console.print(
        f"{shown(as_party)} committed to a nonce for the draw of step {shown(step)} at log "
        f"entry {index}; the nonce is kept in {path}",
        highlight=False,
    )


@draw_app.command("reveal")
def reveal(
    step: str = typer.Argument(..., help="The reveal step with part: drawn"),
    as_party: str = typer.Option(..., "--as", help="The party revealing its nonce"),
    accord: str = typer.Option(None, "--accord", help=ACCORD_HELP),
    nonce_file: Path = typer.Option(
        None, "--nonce-file", help="The nonce file [default: the party's in the workspace]"
    ),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Reveal the party's nonce, once every party committed and a witnessed checkpoint holds it."""
    from accordwatch.cli.accord import _accord_id
    from accordwatch.declarations.draw import DrawState, nonce_commitment

    ws = workspace()
    ledger = ws.ledger()
    accord_id, version = _accord_id(ledger, accord)
    _drawn_step(version, step)
    _party(version, as_party)
    _, draws = _draws(ledger, version)
    result = draws[step]
    own = result.commitments.get(as_party)
    if own is None:
        raise NotFoundError(f"{as_party} has not committed to a nonce for step {step}")
    if as_party in result.nonces:
        raise ConflictError(
            f"{as_party} revealed its nonce for step {step} at log entry "
            f"{result.nonces[as_party].index}"
        )
    if result.state is DrawState.AWAITING_COMMITMENTS:
        raise ConflictError(
            f"not yet: step {step} awaits the commitments of "
            f"{', '.join(result.missing_commitments)} (a nonce revealed earlier would let them "
            "choose theirs knowing it)"
        )
    if result.beacon is None:
        raise ConflictError(
            f"not yet: no witnessed checkpoint includes the last commitment of step {step} "
            "(accordwatch log cosign)"
        )
    path = nonce_file or nonce_path(ws, as_party, accord_id, step)
    try:
        nonce = path.read_text("utf-8").strip()
    except OSError as exc:
        raise NotFoundError(f"cannot read the nonce: {exc.strerror}", where=str(path)) from None
    try:
        opens = nonce_commitment(nonce) == own.commitment and len(nonce) == 64
    except ValueError:
        opens = False
    if not opens:
        raise VerificationError(
            f"this nonce does not open {as_party}'s commitment at log entry {own.index}",
            where=str(path),
        )
    payload = {"accord_id": accord_id, "step": step, "nonce": nonce}
    index = submit_as(ws, ledger, as_party, key_file, "draw.reveal", payload).index
    console.print(
        f"{shown(as_party)} revealed its nonce for the draw of step {shown(step)} at log "
        f"entry {index}",
        highlight=False,
    )
    _, after = _draws(ledger, version)
    console.print(shown(after[step].describe()), highlight=False)


@draw_app.command("show")
def show(
    accord: str = typer.Option(None, "--accord", help=ACCORD_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Every drawn reveal step's draw: commitments, nonces, checkpoint, seed and part."""
    from accordwatch.cli.accord import _accord_id

    if fmt not in ("table", "json"):
        raise InputError(f"--format must be table or json, not {fmt!r}")
    ledger = workspace().ledger()
    _, version = _accord_id(ledger, accord)
    _, draws = _draws(ledger, version)
    if fmt == "json":
        print_json([d.to_json() for d in draws.values()])
        return
    if not draws:
        console.print(f"accord {shown(version.id)} has no reveal step with part: drawn")
    for result in draws.values():
        console.print(shown(result.describe()), highlight=False)


def _print_draw(result: Draw) -> None:
    beacon = result.beacon
    for party in result.parties:
        own = result.commitments.get(party)
        nonce = result.nonces.get(party)
        committed = f"committed at entry {own.index}" if own else "not committed"
        revealed = f"nonce {nonce.nonce[:16]}... at entry {nonce.index}" if nonce else "no nonce"
        console.print(f"  {shown(party)}: {committed}, {revealed}", highlight=False)
    if beacon is not None:
        when = (
            f", witnessed {beacon.witnessed_at:%Y-%m-%dT%H:%M:%SZ}" if beacon.witnessed_at else ""
        )
        console.print(
            f"  checkpoint {beacon.size} of {shown(beacon.origin)}{when}", highlight=False
        )
    console.print(f"  candidates: {shown(', '.join(result.candidates) or 'none')}")
    if result.seed is not None:
        console.print(f"  seed {result.seed}")
    for item in result.ignored:
        console.print(f"  [yellow]ignored[/] entry {item.index}: {shown(item.reason)}")


DRAW_ENTRY_TYPES = ("draw.commit", "draw.reveal", "escrow.reveal")
#: what `verify-draw` learns of its entry: the accord and step of the draw, and the part a
#: reveal opens (None for a commitment or a nonce)
Target = tuple[str, str, str | None]


def _target(record_type: str, payload: dict[str, object], where: str) -> Target:
    from accordwatch.declarations.draw_records import DrawCommitment, DrawNonce
    from accordwatch.declarations.escrow_records import RevealRecord

    parsed: DrawCommitment | DrawNonce | RevealRecord
    if record_type == "draw.commit":
        parsed = DrawCommitment.model_validate(payload)
    elif record_type == "draw.reveal":
        parsed = DrawNonce.model_validate(payload)
    else:
        parsed = RevealRecord.model_validate(payload)
    if parsed.accord_id is None or parsed.step is None:
        raise InputError("the reveal names no accord step: it belongs to no draw", where=where)
    opened = parsed.part if isinstance(parsed, RevealRecord) else None
    return parsed.accord_id, parsed.step, opened


def _workspace_draw(entry: int, as_party: str | None, key_file: Path | None) -> tuple[Draw, Target]:
    """The draw an entry of the workspace's log belongs to, as its latest checkpoint has it."""
    from accordwatch.catalog import CATALOG
    from accordwatch.cli.context import reader_as, signing_key
    from accordwatch.log.access import open_record
    from accordwatch.sources.declarations import signed_accord
    from accordwatch.sources.snapshot import Snapshot

    ws = workspace()
    ledger = ws.ledger()
    if as_party is not None:
        signing_key(ws, ledger.registry(), as_party, key_file)  # a reader holds its key
    log = Snapshot.default(ledger)
    found = [r for r in log.rows(DRAW_ENTRY_TYPES) if r[0] == entry]
    where = f"log entry {entry}"
    if not found:
        kind = ledger.entry(entry).record_type
        raise InputError(
            f"log entry {entry} is a {kind} entry, not draw.commit, draw.reveal or escrow.reveal"
        )
    _, envelope, opening, _ = found[0]
    if envelope.confidential and as_party is None:
        raise InputError(
            "the reveal is confidential: read it with --as PARTY (the inspectorate)", where=where
        )
    payload = open_record(CATALOG, envelope, opening, reader_as(ledger, as_party), where=where)
    target = _target(envelope.record_type, payload, where)
    accord = signed_accord(log, target[0])
    if accord is None:
        raise NotFoundError(f"no accord {target[0]!r} has been signed in this log")
    _drawn_step(accord, target[1])
    _, draws = _draws(ledger, accord)
    return draws[target[1]], target


def _offline_draw(path: Path, policy_file: Path | None, entry: int) -> tuple[Draw, Target]:
    """The draw an entry of a log export belongs to, the export audited on the way.

    The witnessed checkpoint is found among the export's checkpoints, whose
    cosignatures are checked against `policy_file` (else the policy the export holds).
    """
    from accordwatch.catalog import CATALOG
    from accordwatch.declarations.draw import Beacon, Committed, Revealed, accord_draws
    from accordwatch.declarations.draw_records import DrawCommitment, DrawNonce
    from accordwatch.declarations.escrow_log import EscrowBook, feed_envelopes
    from accordwatch.log.audit import AuditEntry, audit
    from accordwatch.log.envelope import Envelope
    from accordwatch.log.export import read_export
    from accordwatch.log.note import Verifier
    from accordwatch.log.policy import Policy
    from accordwatch.log.witnessed import witness_check
    from accordwatch.roadmap.accord import Accord
    from accordwatch.roadmap.records import AccordSignature
    from accordwatch.sources.draws import escrow_parts, reveal_steps

    header, entries = read_export(path)
    verifier = Verifier.parse(header.log_key)
    if policy_file is not None:
        policy = Policy.parse(_read(policy_file), where=str(policy_file))
    elif header.policy:
        policy = Policy.parse(header.policy, where=f"{path} (its policy)")
    else:
        raise InputError("the export holds no witness policy: give --policy", where=str(path))
    book = EscrowBook()
    wanted: list[tuple[int, Envelope]] = []

    def collect(stream: Iterator[AuditEntry]) -> Iterator[AuditEntry]:
        for e in stream:
            if b'"record_type":"draw.' in e.envelope or b'"accord.signature"' in e.envelope:
                wanted.append((e.index, Envelope.from_bytes(e.envelope, where=f"entry {e.index}")))
            yield e

    report = audit(
        collect(feed_envelopes(book, entries)), header.checkpoints, verifier, catalog=CATALOG
    )
    where = f"log entry {entry} of {path}"
    if entry >= report.covered:
        raise VerificationError(
            f"log entry {entry} is not under a signed checkpoint of the export "
            f"(signed size {report.covered})",
            where=str(path),
        )
    check = next((c for c in book.checks if c.reveal.index == entry), None)
    if check is not None:
        if check.reveal.record is None:
            raise InputError(
                "the reveal is confidential: its step is not in the export", where=where
            )
        target = _target("escrow.reveal", check.reveal.record.model_dump(mode="json"), where)
    else:
        env = next(
            (v for i, v in wanted if i == entry and v.record_type != "accord.signature"), None
        )
        if env is None or env.payload is None:
            raise InputError("not a draw.commit, draw.reveal or escrow.reveal entry", where=where)
        target = _target(env.record_type, env.payload, where)
    accords = [
        AccordSignature.model_validate(v.payload)
        for _, v in wanted
        if v.record_type == "accord.signature" and v.payload is not None
    ]
    signed = [a for a in accords if a.accord_id == target[0]]
    if not signed:
        raise NotFoundError(f"no accord {target[0]!r} is signed in the export", where=str(path))
    accord = Accord.model_validate(signed[-1].accord)
    _drawn_step(accord, target[1])
    commitments: list[tuple[str, Committed]] = []
    reveals: list[tuple[str, Revealed]] = []
    for index, env in wanted:
        if env.payload is None or index >= report.covered:
            continue
        if env.record_type == "draw.commit":
            c = DrawCommitment.model_validate(env.payload)
            if c.accord_id == accord.id:
                commitments.append((c.step, Committed(index, env.time, env.party, c.commitment)))
        elif env.record_type == "draw.reveal":
            n = DrawNonce.model_validate(env.payload)
            if n.accord_id == accord.id:
                reveals.append((n.step, Revealed(index, env.time, env.party, n.nonce)))
    notes = sorted(header.checkpoints)

    def beacon_after(index: int) -> Beacon | None:
        for size, note in notes:
            if size <= index or size > report.covered:
                continue
            found = witness_check(note, policy, verifier)
            if found.quorum_met:
                cp = found.checkpoint
                return Beacon(cp.origin, cp.size, cp.root, found.witnessed_time)
        return None

    draws = accord_draws(
        accord.id,
        [p.id for p in accord.parties],
        reveal_steps(accord),
        escrow_parts(book, accord.id),
        commitments,
        reveals,
        beacon_after,
    )
    return draws[target[1]], target


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from None


def verify_draw(
    entry: int = typer.Argument(
        ..., min=0, help="A draw.commit, draw.reveal or escrow.reveal entry"
    ),
    log_file: Path = typer.Option(
        None, "--log", help="A log export (log export): recompute the draw offline from it alone"
    ),
    policy_file: Path = typer.Option(
        None, "--policy", help="With --log: the witness policy to trust [default: the export's]"
    ),
    as_party: str = typer.Option(
        None, "--as", help="Read a confidential reveal as this party (the inspectorate)"
    ),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Recompute from the log the draw an entry belongs to; a reveal must open the drawn part."""
    from accordwatch.declarations.draw import DrawState

    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, not {fmt!r}")
    if log_file is not None:
        result, (_, step, opened) = _offline_draw(log_file, policy_file, entry)
    else:
        result, (_, step, opened) = _workspace_draw(entry, as_party, key_file)
    if fmt == "json":
        print_json({**result.to_json(), "entry": entry, "opens": opened})
    else:
        console.print(shown(result.describe()), highlight=False)
        _print_draw(result)
    if result.state is not DrawState.DRAWN:
        raise VerificationError(f"the draw of step {step} is not complete: {result.state}")
    if opened is not None and opened != result.part:
        raise VerificationError(
            f"the reveal at log entry {entry} opens part {opened}; the draw chose {result.part}"
        )
    if fmt == "text":
        tail = f"; the reveal at entry {entry} opens it" if opened is not None else ""
        console.print(f"[green]draw verified[/]: part {shown(result.part)}{tail}", highlight=False)


def register(app: typer.Typer) -> None:
    declaration_app.add_typer(draw_app, name="draw")
    declaration_app.command("verify-draw")(verify_draw)
