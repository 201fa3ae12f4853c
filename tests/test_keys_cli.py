"""Key files as the CLI writes them: mode 0600, optional passphrase, rotation by file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.log.keys import SigningKey
from accordwatch.workspace import Workspace


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_encrypted_key_file_signs_only_with_its_passphrase(
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = ["--home", str(workspace.home)]
    main([*home, "party", "add", "usa", "--role", "party"])
    key_file = tmp_path / "usa.key"
    monkeypatch.setenv("ACCORDWATCH_PASSPHRASE", "correct horse battery staple")
    main([*home, "key", "new", "--party", "usa", "--out", str(key_file), "--passphrase"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    draft = tmp_path / "draft.yaml"
    draft.write_text("record_type: statement\npayload: {subject: signed with a passphrase}\n")
    capsys.readouterr()
    main([*home, "submit", str(draft), "--as", "usa", "--key", str(key_file)])
    assert "logged statement by usa" in capsys.readouterr().out

    monkeypatch.setenv("ACCORDWATCH_PASSPHRASE", "wrong")
    with pytest.raises(SystemExit) as exc:
        main([*home, "submit", str(draft), "--as", "usa", "--key", str(key_file)])
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wrong passphrase" in err[0] and str(key_file) in err[0]


def test_key_files_are_written_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    key = SigningKey.generate()
    key.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.read(path).public_key == key.public_key
    with pytest.raises(Exception, match="refusing to overwrite"):
        SigningKey.generate().write(path)
