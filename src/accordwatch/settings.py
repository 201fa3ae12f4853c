"""One typed settings object, read from the workspace file and the environment.

Precedence: a command-line option, then an `ACCORDWATCH_*` environment
variable, then the workspace's `accordwatch.toml`, then the default.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from accordwatch.errors import InputError
from accordwatch.private_files import write_private_text

SETTINGS_FILE = "accordwatch.toml"
DEFAULT_HOME = Path("accordwatch-data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORDWATCH_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="the workspace folder")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the workspace"
    )
    origin: str | None = Field(default=None, description="the log's name (set by init)")
    registrar: str = Field(default="registrar", description="name of the log's registrar")
    max_entry_bytes: int = Field(default=1 << 20, ge=1024, description="largest submission")
    max_clock_skew_seconds: int = Field(
        default=300,
        ge=0,
        description="how far an envelope time may be from the log clock, before or after it",
    )
    simulated_clock_file: Path | None = Field(
        default=None,
        description=(
            "a file holding the time (ISO 8601, UTC) the workspace runs at, set by "
            "`accordwatch clock set`; relative to the workspace; unset: the system clock"
        ),
    )
    witness_timeout_seconds: float = Field(
        default=5.0, gt=0, le=300, description="how long the log waits for one witness's answer"
    )
    cosign_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        le=86_400,
        description="how often `serve` asks the witnesses to cosign the latest checkpoint",
    )
    sqlite_synchronous: str = Field(
        default="NORMAL",
        description="SQLite durability: NORMAL survives a crashed process, FULL a power loss",
    )

    @property
    def clock_path(self) -> Path | None:
        """The simulated clock's file, if the workspace runs on one (relative to the workspace)."""
        if self.simulated_clock_file is None:
            return None
        return self.home / self.simulated_clock_file

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'accordwatch.db').resolve()}"


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Settings for the workspace at `home` (or ACCORDWATCH_HOME, or the default)."""
    base = Settings() if home is None else Settings(home=home)
    path = base.home / SETTINGS_FILE
    stored: dict[str, Any] = {}
    if path.is_file():
        try:
            stored = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"malformed settings file: {exc}", where=str(path)) from exc
    env = Settings().model_dump(exclude_unset=True)
    merged = {**stored, **env, "home": base.home}
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            f"setting {'.'.join(map(str, first['loc']))}: {first['msg']}", where=str(path)
        ) from exc


def write_settings(path: Path, values: dict[str, Any]) -> None:
    """Write a flat TOML file (strings, paths and integers only), readable by its owner only."""
    lines = ["# accordwatch workspace settings; environment variables ACCORDWATCH_* override"]
    for key, value in values.items():
        if value is None:
            continue
        # A JSON string literal is a valid TOML basic string.
        if isinstance(value, Path):
            value = str(value)
        lines.append(f"{key} = {json.dumps(value) if isinstance(value, str) else value}")
    write_private_text(path, "\n".join(lines) + "\n")
