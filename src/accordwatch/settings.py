"""One typed settings object, read from the workspace file and the environment.

Precedence: a command-line option, then an `ACCORDWATCH_*` environment
variable, then the workspace's `accordwatch.toml`, then the default.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from accordwatch.errors import InputError
from accordwatch.private_files import write_private_text
from accordwatch.validation_messages import reason

SETTINGS_FILE = "accordwatch.toml"
DEFAULT_HOME = Path("accordwatch-data")
ENV_PREFIX = "ACCORDWATCH_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

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
    """Settings for the workspace at `home` (or ACCORDWATCH_HOME, or the default).

    A bad value says, in one line, which environment variable or which key of
    the settings file holds it; an unknown key in the file is an error.
    """
    try:
        env = Settings().model_dump(exclude_unset=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ENV_PREFIX + str(error["loc"][0]).upper()
        raise InputError(
            f"environment variable {name}={error.get('input')!r}: {reason(error)}"
        ) from None
    base_home = Path(home) if home is not None else env.get("home", DEFAULT_HOME)
    path = base_home / SETTINGS_FILE
    stored: dict[str, Any] = {}
    text = ""
    if path.is_file():
        try:
            text = path.read_text("utf-8")
            stored = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"malformed settings file: {exc}", where=str(path)) from exc
    for key in stored:
        if key not in Settings.model_fields or key == "home":
            close = difflib.get_close_matches(key, _FILE_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"unknown setting {key!r}{hint}", where=_key_at(path, text, key))
    merged = {**stored, **env, "home": base_home}
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        value = error.get("input")
        if key in overrides and overrides[key] is not None:
            raise InputError(f"--{key.replace('_', '-')} {value!r}: {reason(error)}") from None
        if key in env:
            raise InputError(
                f"environment variable {ENV_PREFIX}{key.upper()}={value!r}: {reason(error)}"
            ) from None
        raise InputError(
            f"setting {key} = {value!r}: {reason(error)}", where=_key_at(path, text, key)
        ) from None


#: the keys a settings file may hold (the workspace is where the file is)
_FILE_KEYS = [name for name in Settings.model_fields if name != "home"]


def _key_at(path: Path, text: str, key: str) -> str:
    """`FILE:LINE` of `key = ...` in the settings file's text (`FILE` if not found)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return f"{path}:{number}"
    return str(path)


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
