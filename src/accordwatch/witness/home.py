"""The witness's folder: its settings, its private key and its database.

    accordwatch-witness/      0700
      witness.toml            0600  name, algorithm, simulated_clock_file, durability
      witness.key             0600  the cosigning key, PKCS#8 PEM
      witness.db              0600  trusted logs, cosigned checkpoints, evidence (SQLite)

`witness.toml` is written last: a folder holds a witness once it holds that
file. `durability` is SQLite's `synchronous` for the database: `full`
(fsync at every commit: a cosigned checkpoint survives a power loss, the
default) or `normal` (it survives a crash of the process, not of the
machine; a witness that forgets what it cosigned may later cosign a fork).
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from accordwatch.errors import ConflictError, InputError, NotFoundError
from accordwatch.log.cosignature import Algorithm, Cosigner, parse_algorithm
from accordwatch.private_files import make_private_folder, write_private_text
from accordwatch.witness.clock import Clock, read_clock_file

DEFAULT_HOME = Path("accordwatch-witness")
CONFIG = "witness.toml"
KEY = "witness.key"
DATABASE = "witness.db"
DURABILITY = ("full", "normal")


@dataclass(frozen=True)
class WitnessConfig:
    name: str
    algorithm: Algorithm
    simulated_clock_file: Path | None = None
    durability: str = "full"

    def toml(self) -> str:
        lines = [
            f"name = {_toml_string(self.name)}",
            f"algorithm = {_toml_string(self.algorithm.value)}",
            f"durability = {_toml_string(self.durability)}",
        ]
        if self.simulated_clock_file is not None:
            lines.append(f"simulated_clock_file = {_toml_string(str(self.simulated_clock_file))}")
        return "\n".join(lines) + "\n"

    @classmethod
    def read(cls, path: Path) -> WitnessConfig:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read the settings: {exc.strerror}", where=str(path)) from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"the settings are not TOML: {exc}", where=str(path)) from None
        name, algorithm = data.get("name"), data.get("algorithm")
        clock, durability = data.get("simulated_clock_file"), data.get("durability", "full")
        if not isinstance(name, str) or not isinstance(algorithm, str):
            raise InputError("the settings need `name` and `algorithm`", where=str(path))
        if clock is not None and not isinstance(clock, str):
            raise InputError("simulated_clock_file must be a path", where=str(path))
        if durability not in DURABILITY:
            raise InputError(
                f"durability must be one of {', '.join(DURABILITY)}, not {durability!r}",
                where=str(path),
            )
        return cls(name, parse_algorithm(algorithm), Path(clock) if clock else None, durability)


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@dataclass(frozen=True)
class WitnessHome:
    """A witness's folder, and what it holds."""

    folder: Path

    @classmethod
    def at(cls, folder: Path | None) -> WitnessHome:
        return cls(folder if folder is not None else DEFAULT_HOME)

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG

    @property
    def key_path(self) -> Path:
        return self.folder / KEY

    @property
    def database_path(self) -> Path:
        return self.folder / DATABASE

    def exists(self) -> bool:
        return any(p.exists() for p in (self.config_path, self.key_path, self.database_path))

    def config(self) -> WitnessConfig:
        if not self.config_path.is_file():
            raise NotFoundError(
                f"no witness here (no {CONFIG}; make one with `accordwatch witness init "
                "--name NAME`, or give its folder with --home)",
                where=str(self.folder),
            )
        return WitnessConfig.read(self.config_path)

    def cosigner(self, config: WitnessConfig | None = None) -> Cosigner:
        config = config or self.config()
        cosigner = Cosigner.read(self.key_path, config.name)
        if cosigner.algorithm is not config.algorithm:
            raise InputError(
                f"the key is {cosigner.algorithm.value} but {CONFIG} says {config.algorithm.value}",
                where=str(self.key_path),
            )
        return cosigner

    def clock(self, config: WitnessConfig | None = None) -> Clock:
        config = config or self.config()
        return Clock(self.resolve(config.simulated_clock_file))

    def resolve(self, path: Path | None) -> Path | None:
        """A path from the settings: relative ones are relative to the folder."""
        return None if path is None else self.folder / path

    def init(self, config: WitnessConfig) -> Cosigner:
        """Make the folder, the key, the database and the settings; refuse an existing witness.

        On any error, what was made here is removed again.
        """
        from accordwatch.witness.state import WitnessState

        if self.exists():
            raise ConflictError(
                "a witness already exists here; refusing to overwrite it", where=str(self.folder)
            )
        if config.simulated_clock_file is not None:
            read_clock_file(self.resolve(config.simulated_clock_file) or Path())
        cosigner = Cosigner.generate(config.name, config.algorithm)
        made_folder = not self.folder.exists()
        try:
            make_private_folder(self.folder)
            cosigner.write(self.key_path)
            WitnessState.create(self.database_path, durability=config.durability).close()
            write_private_text(self.config_path, config.toml())
        except BaseException:
            for path in (self.config_path, self.key_path, *_database_files(self.database_path)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            if made_folder:
                with contextlib.suppress(OSError):
                    self.folder.rmdir()
            raise
        return cosigner


def _database_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
