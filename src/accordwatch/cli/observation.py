"""Observation commands: log a site seen by national technical means or in open sources.

`observation record --as PARTY ...` logs who observed which site, where, when,
by which means, with the SHA-256 of each evidence file (the files stay with
the observer). `observation list` shows them. Against an escrowed
declaration, an observed site in a revealed part that the reveal lacks is an
undeclared item (`declaration check`, `status`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from accordwatch.cli.context import console, print_json, shown, submit_as, workspace
from accordwatch.errors import InputError

observation_app = typer.Typer(
    help="Sites observed by national technical means or in open sources.", no_args_is_help=True
)


@observation_app.command("record")
def record(
    observation_id: str = typer.Option(..., "--id", help="The observation's identifier"),
    as_party: str = typer.Option(..., "--as", help="The observing party (signs the entry)"),
    observer: str = typer.Option(..., "--observer", help="Who observed (agency, institute)"),
    method: str = typer.Option(..., "--method", help="national-technical-means or open-source"),
    on: str = typer.Option(..., "--on", help="Day of the observation (YYYY-MM-DD)"),
    program: str = typer.Option(..., "--program", help="nuclear or missile"),
    site: str = typer.Option(..., "--site", help="The site's name as observed"),
    category: str = typer.Option(..., "--category", help="The site's category (enrichment, ...)"),
    latitude: float = typer.Option(..., "--latitude", help="WGS 84 decimal degrees"),
    longitude: float = typer.Option(..., "--longitude", help="WGS 84 decimal degrees"),
    place: str = typer.Option("", "--place", help="Town, province"),
    region: str = typer.Option(None, "--region", help="The region, as the escrow names them"),
    site_id: str = typer.Option(None, "--site-id", help="The declared site's id, if known"),
    evidence: list[Path] = typer.Option(
        ..., "--evidence", help="Evidence file(s): their SHA-256 is logged"
    ),
    what: str = typer.Option("", "--what", help="What was observed"),
    accord: str = typer.Option(None, "--accord", help="The accord it concerns"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Log an observation of a site, with its evidence files' digests (a log entry)."""
    from accordwatch.cli.accord import evidence_digests
    from accordwatch.declarations.observations import METHODS
    from accordwatch.timeutil import parse_date

    if method not in METHODS:
        raise InputError(f"--method must be {' or '.join(METHODS)}, not {method!r}")
    if program not in ("nuclear", "missile"):
        raise InputError(f"--program must be nuclear or missile, not {program!r}")
    day = parse_date(on, where="--on")
    location: dict[str, object] = {"latitude": latitude, "longitude": longitude, "place": place}
    if region is not None:
        location["region"] = region
    observed: dict[str, object] = {"name": site, "category": category, "location": location}
    if site_id is not None:
        observed["id"] = site_id
    payload = {
        "observation_id": observation_id,
        "observer": observer,
        "method": method,
        "observed_on": day.isoformat(),
        "program": program,
        "site": observed,
        "what": what,
        "evidence": evidence_digests(evidence),
        "accord_id": accord,
    }
    ws = workspace()
    ledger = ws.ledger()
    index = submit_as(
        ws, ledger, as_party, key_file, "observation", payload, where="observation"
    ).index
    console.print(
        f"{shown(as_party)}: observation {shown(observation_id)} of {shown(site)} on {day} "
        f"logged at entry {index}",
        highlight=False,
    )


@observation_app.command("list")
def list_observations(
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Every observation in the log."""
    from rich.table import Table

    from accordwatch.sources.escrow_status import logged_observations
    from accordwatch.sources.snapshot import Snapshot

    if fmt not in ("table", "json"):
        raise InputError(f"--format must be table or json, not {fmt!r}")
    found = logged_observations(Snapshot.default(workspace().ledger()))
    if fmt == "json":
        print_json(
            [
                {"index": o.index, "party": o.party, **o.record.model_dump(mode="json")}
                for o in found
            ]
        )
        return
    table = Table("entry", "id", "by", "method", "on", "site", "category", "where", "evidence")
    for o in found:
        r = o.record
        loc = r.site.location
        table.add_row(
            str(o.index),
            shown(r.observation_id),
            shown(r.observer),
            shown(r.method),
            str(r.observed_on),
            shown(r.site.name),
            shown(r.site.category),
            shown(f"{loc.latitude:.2f} {loc.longitude:.2f} {loc.region or loc.place}"),
            ", ".join(e.sha256[:12] for e in r.evidence),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(observation_app, name="observation")
