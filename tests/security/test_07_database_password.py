"""Item 7: a database password given to `init` is never written to the settings file.

The attacker reads `accordwatch.toml` (a backup, a shared folder, a listing
pasted in a ticket). `init --database-url` with a password writes the URL
without it and says where later commands take the password from
(`ACCORDWATCH_DATABASE_URL`, `PGPASSWORD` or `~/.pgpass`). The local
PostgreSQL trusts its clients, so a URL with a made-up password still connects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from accordwatch.cli import main

PASSWORD = "s3cret-Pa55word"


def with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_init_keeps_the_password_out_of_the_settings(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "ws"
    secret_url = with_password(pg_url)
    assert PASSWORD in secret_url
    main(["--home", str(home), "init", "--database-url", secret_url])
    captured = capsys.readouterr()
    settings = (home / "accordwatch.toml").read_text("utf-8")
    assert PASSWORD not in settings
    assert PASSWORD not in captured.out + captured.err
    # the URL is kept, without its password
    stored = next(line for line in settings.splitlines() if line.startswith("database_url"))
    assert make_url(stored.split("=", 1)[1].strip().strip('"')).password is None
    assert "127.0.0.1" in stored
    # and the user is told where the password is read from
    note = [line for line in captured.err.splitlines() if "password" in line]
    assert len(note) == 1, captured.err
    for source in ("ACCORDWATCH_DATABASE_URL", "PGPASSWORD", ".pgpass"):
        assert source in note[0]
    # later commands connect with the stored URL (trust auth: no password needed here)
    main(["--home", str(home), "party", "add", "usa", "--role", "party"])
    assert "registered party usa" in capsys.readouterr().out


@pytest.mark.postgres
def test_a_password_from_the_environment_is_not_written_either(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "ws"
    monkeypatch.setenv("ACCORDWATCH_DATABASE_URL", with_password(pg_url))
    main(["--home", str(home), "init"])
    assert PASSWORD not in (home / "accordwatch.toml").read_text("utf-8")
    monkeypatch.delenv("ACCORDWATCH_DATABASE_URL")
    main(["--home", str(home), "log", "show"])
    assert "entries 0 to 0 of 1" in capsys.readouterr().out


def test_init_without_a_password_says_nothing_about_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--home", str(tmp_path / "ws"), "init"])
    assert "password" not in capsys.readouterr().err
