"""Keys stay with their party: made on its machine, registered by their public half.

A party makes its key outside any workspace (`key new --out`), the registrar
registers only the public file (`key register`) and both read the same
fingerprint; the party rotates and revokes its own keys by signing with its
current key. Encryption keys are made and registered the same way.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.log import hpke
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.keys import SigningKey
from accordwatch.workspace import Workspace
from tests.helpers import ANSI, Run, one_line_error

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    capsys.readouterr()
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return Run(code, ANSI.sub("", out), ANSI.sub("", err))


def fingerprint_in(output: str) -> str:
    line = next(x for x in output.splitlines() if x.strip().startswith("fingerprint"))
    return " ".join(line.split()[1:9])


@pytest.fixture
def party_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on the party's own machine: no workspace in it or named by the environment."""
    folder = tmp_path / "dprk-machine"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("ACCORDWATCH_HOME", raising=False)
    monkeypatch.delenv("ACCORDWATCH_PASSPHRASE", raising=False)
    return folder


@pytest.fixture
def cli(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> tuple[list[str], pytest.CaptureFixture[str]]:
    home = ["--home", str(workspace.home)]
    for name, role in (("dprk", "declarant"), ("usa", "party")):
        assert run(capsys, *home, "party", "add", name, "--role", role).code == 0
    return home, capsys


def make_key(
    capsys: pytest.CaptureFixture[str], out: Path, party: str = "dprk", *extra: str
) -> tuple[Run, str]:
    made = run(capsys, "key", "new", "--party", party, "--out", out, *extra)
    assert made.code == 0, made.err
    return made, fingerprint_in(made.out)


def test_key_new_out_writes_the_key_pair_outside_any_workspace(
    party_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORDWATCH_PASSPHRASE", "correct horse battery staple")
    made, shown_print = make_key(capsys, party_dir / "dprk.key", "dprk", "--passphrase")
    private, public = party_dir / "dprk.key", party_dir / "dprk.key.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    doc = json.loads(public.read_text())
    key = SigningKey.read(private, "correct horse battery staple")
    assert doc["party"] == "dprk" and doc["purpose"] == "signing"
    assert doc["key_id"] == key.key_id and doc["fingerprint"] == shown_print
    assert doc["public_key"] in made.out and b"PRIVATE" not in public.read_bytes()
    assert shown_print.replace(" ", "").startswith(key.key_id)
    assert sorted(p.name for p in party_dir.iterdir()) == ["dprk.key", "dprk.key.pub"]

    again = run(capsys, "key", "new", "--party", "dprk", "--out", private)
    one_line_error(again, "refusing to overwrite", str(private))
    assert SigningKey.read(private, "correct horse battery staple") == key


@sqlite_only
def test_registrar_registers_the_public_file_with_the_same_fingerprint(
    party_dir: Path,
    cli: tuple[list[str], pytest.CaptureFixture[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, capsys = cli
    monkeypatch.setenv("ACCORDWATCH_PASSPHRASE", "correct horse battery staple")
    _, party_print = make_key(capsys, party_dir / "usa.key", "usa", "--passphrase")
    registered = run(capsys, *home, "key", "register", "--party", "usa", party_dir / "usa.key.pub")
    assert registered.code == 0, registered.err
    assert fingerprint_in(registered.out) == party_print

    draft = party_dir / "draft.yaml"
    draft.write_text("record_type: statement\npayload: {subject: signed with a passphrase}\n")
    signed = run(capsys, *home, "submit", draft, "--as", "usa", "--key", party_dir / "usa.key")
    assert "logged statement by usa" in signed.out
    monkeypatch.setenv("ACCORDWATCH_PASSPHRASE", "wrong")
    refused = run(capsys, *home, "submit", draft, "--as", "usa", "--key", party_dir / "usa.key")
    one_line_error(refused, "wrong passphrase", str(party_dir / "usa.key"))


@sqlite_only
def test_register_refuses_what_is_not_that_party_s_public_key_file(
    party_dir: Path, cli: tuple[list[str], pytest.CaptureFixture[str]]
) -> None:
    home, capsys = cli
    make_key(capsys, party_dir / "dprk.key")
    make_key(capsys, party_dir / "cns.key", "cns")
    pub = party_dir / "dprk.key.pub"

    def register(party: str, path: Path) -> Run:
        return run(capsys, *home, "key", "register", "--party", party, path)

    one_line_error(register("dprk", party_dir / "dprk.key"), "private key file", "dprk.key")
    one_line_error(register("usa", pub), "for party 'dprk', not 'usa'", str(pub))
    one_line_error(register("cns", party_dir / "cns.key.pub"), "unknown party 'cns'")
    (party_dir / "notes.txt").write_text("the key is on the USB stick\n")
    one_line_error(register("dprk", party_dir / "notes.txt"), "not a public key file")
    one_line_error(register("dprk", party_dir / "missing.pub"), "cannot read", "missing.pub")
    doc = json.loads(pub.read_text())
    swapped = SigningKey.generate().public_key
    doc["public_key"] = base64.b64encode(swapped).decode()
    altered = party_dir / "altered.pub"
    altered.write_text(json.dumps(doc))
    one_line_error(register("dprk", altered), "key_id", "does not match its public key")
    doc["public_key"] = "AAAA"
    altered.write_text(json.dumps(doc))
    one_line_error(register("dprk", altered), "no signing public key")
    listed = run(capsys, *home, "key", "list", "--party", "dprk", "--format", "json")
    assert json.loads(listed.out) == []


@sqlite_only
def test_a_party_rotates_and_revokes_its_own_keys_without_the_registrar(
    party_dir: Path, cli: tuple[list[str], pytest.CaptureFixture[str]], workspace: Workspace
) -> None:
    home, capsys = cli
    first = party_dir / "dprk-1.key"
    make_key(capsys, first)
    assert run(capsys, *home, "key", "register", "--party", "dprk", f"{first}.pub").code == 0
    old = SigningKey.read(first).key_id
    second = party_dir / "dprk-2.key"
    _, new_print = make_key(capsys, second)
    new = SigningKey.read(second).key_id

    rotated = run(capsys, *home, "key", "rotate", old, "--new", f"{second}.pub", "--key", first)
    assert rotated.code == 0, rotated.err
    assert f"rotated to {new}" in rotated.out and fingerprint_in(rotated.out) == new_print
    at = rotated.flat.split("at log entry ")[1].split()[0]
    entry = json.loads(run(capsys, *home, "log", "get", at, "--format", "json").out)
    assert entry["envelope"]["record_type"] == "key.rotate"
    assert entry["envelope"]["party"] == "dprk" and entry["envelope"]["key_id"] == old

    # the rotated-out key signs nothing more, not even another rotation
    third = party_dir / "dprk-3.key"
    make_key(capsys, third)
    by_revoked = run(capsys, *home, "key", "rotate", new, "--new", f"{third}.pub", "--key", first)
    one_line_error(by_revoked, f"key {old} of party 'dprk' was revoked at log entry {at}")
    # another party's key cannot rotate it
    usa = party_dir / "usa.key"
    make_key(capsys, usa, "usa")
    assert run(capsys, *home, "key", "register", "--party", "usa", f"{usa}.pub").code == 0
    by_other = run(capsys, *home, "key", "rotate", new, "--new", f"{third}.pub", "--key", usa)
    one_line_error(by_other, "unknown key", "for party 'dprk'")
    # nor another key of the party's own: a signing key is rotated by itself
    spare = party_dir / "dprk-spare.key"
    make_key(capsys, spare)
    assert run(capsys, *home, "key", "register", "--party", "dprk", f"{spare}.pub").code == 0
    by_spare = run(capsys, *home, "key", "rotate", new, "--new", f"{third}.pub", "--key", spare)
    one_line_error(by_spare, f"signing key {new} of party 'dprk' is rotated by its own signature")

    spare_id = SigningKey.read(spare).key_id
    revoked = run(
        capsys,
        *home,
        "key",
        "revoke",
        spare_id,
        "--as",
        "dprk",
        "--key",
        second,
        "--reason",
        "gone",
    )
    assert revoked.code == 0, revoked.err
    keys = {k.key_id: k for k in workspace.ledger().registry().keys.values() if k.party == "dprk"}
    assert keys[old].reason == f"rotated to {new}" and keys[new].active
    assert not keys[spare_id].active and keys[spare_id].reason == "gone"
    audit = run(capsys, *home, "log", "audit")
    assert audit.code == 0, audit.out + audit.err
    assert run(capsys, *home, "rebuild").out.strip().endswith("identical")


@sqlite_only
def test_encryption_keys_are_made_registered_and_rotated_the_same_way(
    party_dir: Path, cli: tuple[list[str], pytest.CaptureFixture[str]], workspace: Workspace
) -> None:
    home, capsys = cli
    signing = party_dir / "dprk.key"
    make_key(capsys, signing)
    assert run(capsys, *home, "key", "register", "--party", "dprk", f"{signing}.pub").code == 0
    enc = party_dir / "dprk-enc.key"
    _, enc_print = make_key(capsys, enc, "dprk", "--purpose", "encryption")
    assert json.loads(Path(f"{enc}.pub").read_text())["purpose"] == "encryption"
    registered = run(capsys, *home, "key", "register", "--party", "dprk", f"{enc}.pub")
    assert "encryption key" in registered.out and fingerprint_in(registered.out) == enc_print

    current = workspace.ledger().registry().current_key("dprk", KeyPurpose.ENCRYPTION)
    private = hpke.EncryptionKey.read(enc)
    assert current is not None and current.key_id == private.key_id
    sealed = hpke.seal(current.public_key, b"info", b"aad", b"only dprk reads this")
    assert hpke.open(private, b"info", b"aad", sealed) == b"only dprk reads this"

    # an encryption key file cannot sign
    draft = party_dir / "draft.yaml"
    draft.write_text("record_type: statement\npayload: {subject: hello}\n")
    one_line_error(
        run(capsys, *home, "submit", draft, "--as", "dprk", "--key", enc), "not an Ed25519 key"
    )
    # the party's signing key rotates its encryption key; a signing key cannot replace it
    enc2 = party_dir / "dprk-enc2.key"
    make_key(capsys, enc2, "dprk", "--purpose", "encryption")
    mixed = run(capsys, *home, "key", "rotate", current.key_id, "--new", f"{signing}.pub")
    one_line_error(mixed, f"key {current.key_id} is for encryption", "cannot replace")
    rotated = run(
        capsys, *home, "key", "rotate", current.key_id, "--new", f"{enc2}.pub", "--key", signing
    )
    assert rotated.code == 0, rotated.err
    registry = workspace.ledger().registry()
    now = registry.current_key("dprk", KeyPurpose.ENCRYPTION)
    assert now is not None and now.key_id == hpke.EncryptionKey.read(enc2).key_id
    assert registry.current_key("usa", KeyPurpose.ENCRYPTION) is None
    listed = json.loads(run(capsys, *home, "key", "list", "--format", "json").out)
    assert {(k["key_id"], k["purpose"]) for k in listed if k["party"] == "dprk"} == {
        (SigningKey.read(signing).key_id, "signing"),
        (current.key_id, "encryption"),
        (now.key_id, "encryption"),
    }
    only = run(capsys, *home, "key", "list", "--purpose", "encryption", "--current", "--json")
    assert [(k["party"], k["key_id"], k["current"]) for k in json.loads(only.out)] == [
        ("dprk", now.key_id, "true")
    ]
    assert run(capsys, *home, "log", "audit").code == 0
    assert run(capsys, *home, "rebuild").out.strip().endswith("identical")


def test_key_help_lists_what_exists(capsys: pytest.CaptureFixture[str]) -> None:
    shown = run(capsys, "key", "--help").out
    for command in ("new", "register", "rotate", "revoke", "list"):
        assert f" {command} " in shown


def test_key_files_are_written_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    key = SigningKey.generate()
    key.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.read(path).public_key == key.public_key
    with pytest.raises(Exception, match="refusing to overwrite"):
        SigningKey.generate().write(path)
