"""The log as C2SP tlog-tiles: paths and sizes from the spec, `log publish`, `/tlog/` over
HTTP on both databases, and every tile, bundle and proof checked by Go's
golang.org/x/mod/sumdb/tlog (Debian's golang-go and golang-golang-x-mod-dev)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.tiles import (
    Tile,
    TilePathError,
    bundle,
    index_path,
    large_bundle,
    parse_tile_path,
    read_bundle,
    read_tile,
    tiles_for,
)
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import Log

GO_SOURCE = Path(__file__).resolve().parent / "go" / "tlogcheck"
X_MOD = Path("/usr/share/gocode/src/golang.org/x/mod")


def test_index_paths_are_the_specs() -> None:
    assert index_path(1234067) == "x001/x234/067"
    assert index_path(0) == "000"
    assert index_path(999) == "999"
    assert index_path(1000) == "x001/000"
    assert Tile(0, 1234067).path() == "tile/0/x001/x234/067"
    assert Tile(2, 5, 17).path() == "tile/2/005.p/17"
    assert Tile(None, 3, 9).path() == "tile/entries/003.p/9"


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    found = list(tiles_for(70_000))
    level0 = [t for t in found if t.level == 0]
    assert sum(not t.partial for t in level0) == 273
    assert [t.width for t in level0 if t.partial] == [112]
    assert [(t.index, t.width) for t in found if t.level == 1] == [(0, 256), (1, 17)]
    assert [(t.index, t.width) for t in found if t.level == 2] == [(0, 1)]
    assert list(tiles_for(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles_for(0)) == []


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/00",  # two digits
        "tile/0/x001",  # the last element has no x
        "tile/00/000",  # a leading zero in the level
        "tile/64/000",  # level above 63
        "tile/0/000.p/256",  # a partial tile is narrower than 256
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/data/000",
        "tile/0/../000",
    ],
)
def test_paths_that_name_no_tile_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_paths_round_trip() -> None:
    for tile in (Tile(0, 0), Tile(3, 1234067, 5), Tile(None, 7, 255)):
        assert parse_tile_path(tile.path()) == (tile, None if tile.level is not None else "entries")
    assert parse_tile_path("tile/accordwatch-entries/001.p/3") == (
        Tile(None, 1, 3),
        "accordwatch-entries",
    )


def test_bundles_hold_their_entries_and_refuse_what_does_not_fit() -> None:
    entries = [b"", b"a", bytes(65_535)]
    assert read_bundle(bundle(entries)) == entries
    assert bundle([b"ab"]) == b"\x00\x02ab"
    big = [bytes(70_000), b"x"]
    with pytest.raises(ValueError, match="does not fit"):
        bundle(big)
    assert read_bundle(large_bundle(big), large=True) == big
    with pytest.raises(ValueError, match="ends inside"):
        read_bundle(b"\x00\x05ab")
    with pytest.raises(ValueError, match="not 64"):
        read_tile(bytes(63), Tile(0, 0, 2))


@pytest.fixture
def grown(workspace: Workspace) -> tuple[Log, int, bytes]:
    """A log of more than 256 entries (a full tile and a level-1 tile), and an earlier tree."""
    log = Log.open(workspace)
    log.add_party("usa", "party")
    early = log.ledger.opened(log.ledger.latest_checkpoint())
    subs = [log.seal("usa", "statement", {"subject": f"statement {i}"}) for i in range(300)]
    log.ledger.submit_many(subs)
    return log, early.size, early.root


def home(log: Log) -> str:
    return str(log.ws.settings.home)


def published(log: Log, folder: Path) -> Path:
    main(["--home", home(log), "log", "publish", str(folder)])
    return folder


def test_publish_writes_the_tiles_of_the_signed_tree(
    grown: tuple[Log, int, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = grown
    folder = published(log, tmp_path / "pub")
    note = (folder / "checkpoint").read_text("utf-8")
    cp = Checkpoint.open(note, log.ledger.signer.verifier)
    assert cp.size == log.ledger.size() > 256
    tile0 = read_tile((folder / "tile/0/000").read_bytes(), Tile(0, 0))
    entries = read_bundle((folder / "tile/entries/000").read_bytes())
    assert [leaf_hash(e) for e in entries] == tile0
    assert entries[5] == log.ledger.entry(5).envelope
    partial = cp.size - 256
    assert (folder / f"tile/0/001.p/{partial}").stat().st_size == 32 * partial
    assert (folder / "tile/1/000.p/1").read_bytes() == log.ledger.root(256)
    assert "written" in capsys.readouterr().out
    # Again: nothing to write, everything kept.
    main(["--home", home(log), "log", "publish", str(folder)])
    assert "0 file(s) written" in capsys.readouterr().out


def test_publish_refuses_a_folder_of_another_log(
    grown: tuple[Log, int, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = grown
    other = init_workspace(tmp_path / "other", origin="other.local/log")
    Log.open(other).add_party("usa", "party")
    folder = tmp_path / "pub"
    main(["--home", str(other.settings.home), "log", "publish", str(folder)])
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["--home", home(log), "log", "publish", str(folder)])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "not one this log signed" in err and len(err.splitlines()) == 1
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    # A tile that differs from what this log would write stops it too, with nothing changed.
    mine = published(log, tmp_path / "mine")
    tile = mine / "tile/0/000"
    tile.write_bytes(bytes(32) + tile.read_bytes()[32:])
    before = {p: p.read_bytes() for p in mine.rglob("*") if p.is_file()}
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["--home", home(log), "log", "publish", str(mine)])
    assert "holds other bytes than this log's tile/0/000" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in mine.rglob("*") if p.is_file()} == before


def test_tlog_over_http_serves_what_publish_writes(
    grown: tuple[Log, int, bytes], tmp_path: Path
) -> None:
    log, _, _ = grown
    folder = published(log, tmp_path / "pub")
    client = TestClient(create_app(log.ws))
    response = client.get("/tlog/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "max-age=5" in response.headers["cache-control"]
    assert response.text == (folder / "checkpoint").read_text("utf-8")
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "checkpoint"):
        name = path.relative_to(folder).as_posix()
        got = client.get(f"/tlog/{name}")
        assert got.status_code == 200, name
        assert got.content == path.read_bytes(), name
        assert "immutable" in got.headers["cache-control"]
        assert got.headers["content-type"] == "application/octet-stream"
    size = log.ledger.size()
    for missing in ("tile/0/002", "tile/0/000.p/5", f"tile/0/001.p/{size - 255}", "tile/9/000"):
        response = client.get(f"/tlog/{missing}")
        assert response.status_code == 404, missing
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/tlog/tile/0/../../etc/passwd").status_code == 404


def go_tool() -> Path | None:
    go = shutil.which("go")
    if go is None or not X_MOD.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI needs Go and golang.org/x/mod: apt-get install golang-go "
                "golang-golang-x-mod-dev (.ci/run installs them)"
            )
        pytest.skip("Go or Debian's golang.org/x/mod is not installed")
    return Path(go)


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Go's checker, built offline against Debian's packaged golang.org/x/mod."""
    go = go_tool()
    assert go is not None
    build = tmp_path_factory.mktemp("go")
    shutil.copy(GO_SOURCE / "main.go", build / "main.go")
    (build / "go.mod").write_text(
        "module accordwatch.test/tlogcheck\n\ngo 1.19\n\nrequire golang.org/x/mod v0.7.0\n\n"
        f"replace golang.org/x/mod => {X_MOD}\n"
    )
    env = {
        **os.environ,
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(build / "cache"),
        "GOPATH": str(build / "gopath"),
        "GOTOOLCHAIN": "local",
    }
    subprocess.run(
        [str(go), "build", "-o", "tlogcheck", "."],
        cwd=build,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return build / "tlogcheck"


def test_go_checks_every_tile_entry_and_proof(
    grown: tuple[Log, int, bytes], tmp_path: Path, tlogcheck: Path
) -> None:
    log, early_size, early_root = grown
    folder = published(log, tmp_path / "pub")
    vkey = log.ledger.signer.verifier.text()
    run = subprocess.run(
        [str(tlogcheck), str(folder), vkey, str(early_size), base64.b64encode(early_root).decode()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result == {
        "origin": log.ledger.origin,
        "size": log.ledger.size(),
        "entries_checked": log.ledger.size(),
        "consistent_with": early_size,
    }
    # A byte changed in a tile, or an entry changed in a bundle: Go refuses the folder.
    for name in ("tile/0/000", "tile/entries/000"):
        copy = tmp_path / f"bad-{name.replace('/', '-')}"
        shutil.copytree(folder, copy)
        data = bytearray((copy / name).read_bytes())
        data[40] ^= 1
        (copy / name).write_bytes(bytes(data))
        bad = subprocess.run(
            [str(tlogcheck), str(copy), vkey], capture_output=True, text=True, timeout=120
        )
        assert bad.returncode == 1 and "tlogcheck:" in bad.stderr, name
