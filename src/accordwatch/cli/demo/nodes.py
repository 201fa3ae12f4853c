"""The parties' nodes of the demo: a folder per party beside the log's, and the log's server.

Each party (DPRK, the United States, the Republic of Korea, the IAEA, and the
CNS as observer) has a folder of its own in `<home>-nodes/<party>`: its keys,
made there (only their public halves go to the registrar), its witness, and,
once the log's server runs, its node: a verified copy of the log that it syncs
(`node sync`), writes from (signed with its own key, sent to the log) and
reads from (what is sealed to it opens with its own key). The log's folder
holds no party's private key, and nothing confidential in plaintext.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from accordwatch.cli.context import console
from accordwatch.cli.demo.processes import Servers
from accordwatch.cli.demo.shell import Shell, step
from accordwatch.errors import InputError, VerificationError
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.keys import SigningKey
from accordwatch.log.public_keys import PublicKeyFile
from accordwatch.private_files import make_private_folder, write_private_text
from accordwatch.workspace import CLOCK_FILE

#: a folder the demo made, and may remove when it runs again
MARKER = ".accordwatch-demo"
#: the parties that run a node and a witness; the observer runs a node only
WITNESSING = ("dprk", "usa", "rok", "iaea")
PARTIES = (*WITNESSING, "cns")


def prepare_folder(folder: Path) -> None:
    """Remove a folder an earlier demo made (it carries the marker); refuse any other."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise InputError(
                "folder exists and was not made by the demo; choose another --home",
                where=str(folder),
            )
        shutil.rmtree(folder)


def mark(folder: Path) -> None:
    make_private_folder(folder)
    (folder / MARKER).write_text("created by accordwatch demo; removed by the next demo run\n")


class Nodes:
    """The parties' folders, their keys, and the commands each party runs."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home.parent / f"{home.name}-nodes"
        #: each party's current signing key and encryption key id
        self.signing: dict[str, SigningKey] = {}
        self.encryption: dict[str, str] = {}
        self.log_url = ""

    def prepare(self) -> None:
        prepare_folder(self.root)
        mark(self.root)

    def folder(self, party: str) -> Path:
        return self.root / party

    def keys_dir(self, party: str) -> Path:
        return self.folder(party) / "keys" / party

    def witness_folder(self, party: str) -> Path:
        return self.folder(party) / "witness"

    def signing_file(self, party: str) -> Path:
        return self.keys_dir(party) / f"{self.signing[party].key_id}.key"

    # -- keys ----------------------------------------------------------------------

    def make_key(self, party: str, purpose: KeyPurpose) -> PublicKeyFile:
        """A new key of `party` in its own folder, as `key new` makes it; its public half.

        The private key is `keys/<party>/<key id>.key` (0600), the public one
        beside it with `.pub` added: the file the party gives the registrar.
        """
        key: SigningKey | EncryptionKey = (
            SigningKey.generate() if purpose is KeyPurpose.SIGNING else EncryptionKey.generate()
        )
        folder = self.keys_dir(party)
        make_private_folder(folder)
        path = folder / f"{key.key_id}.key"
        key.write(path)
        public = PublicKeyFile(party, purpose, key.public_key)
        write_private_text(path.with_name(path.name + ".pub"), public.to_json())
        if isinstance(key, SigningKey):
            self.signing[party] = key
        else:
            self.encryption[party] = key.key_id
        return public

    def public_file(self, public: PublicKeyFile) -> Path:
        return self.keys_dir(public.party) / f"{public.key_id}.key.pub"

    # -- the log's server and the nodes --------------------------------------------

    def start(self, shell: Shell, servers: Servers, log_key: str, policy: Path) -> None:
        """Serve the log, and make each party's node follow it, trusting the witness policy."""
        step("The log's server, and each party's node: its own verified copy of the log")
        self.log_url = servers.start("the log's server", self.home, "serve", ready="serving")
        console.print(
            f"  the registrar serves the log at {self.log_url} "
            f"(accordwatch --home {self.home} serve): the parties' nodes read it and write to it",
            highlight=False,
        )
        clock = (self.home / CLOCK_FILE).resolve()
        for n, party in enumerate(PARTIES):
            args = ["node", "init", "--log", self.log_url, "--log-key", log_key]
            args += ["--party", party, "--policy", str(policy)]
            # the demo's nodes sign at the time of the log's simulated clock
            args += ["--simulated-clock-file", str(clock)]
            if n == 0:
                shell.at(self.folder(party), *args)
            else:
                shell.quiet("--home", str(self.folder(party)), *args)
        console.print(
            "  ... and a node for each party the same way. Each folder is now a party's node: "
            "its keys, its witness (if it runs one) and its own copy of the log, which each "
            "sync checks entry by entry against witnessed checkpoints:",
            highlight=False,
        )
        self.sync(shell, *PARTIES)

    def sync(self, shell: Shell, *parties: str) -> None:
        """Bring the parties' nodes up to the log's latest witnessed checkpoint."""
        for party in parties:
            home = ["--home", str(self.folder(party))]
            shell.show(*home, "node", "sync")
            # as printed, less the line a progress bar leaves where there is no terminal
            for line in shell.output(*home, "node", "sync"):
                if line.strip():
                    console.print(line, markup=False, highlight=False)

    def write(self, shell: Shell, party: str, *args: str) -> None:
        """Run a command that writes, as `party`, from its node: signed with its own key there,
        sealed to the readers its copy of the registry names, sent to the log's server."""
        shell.at(self.folder(party), *args, "--as", party)

    def read(self, shell: Shell, party: str, *args: str) -> None:
        """Run a command that reads on `party`'s node: as that party, opening what is sealed
        to it with its own keys."""
        shell.at(self.folder(party), *args)

    def refused(self, shell: Shell, party: str, *args: str) -> None:
        """A read on `party`'s node that is refused (it holds no key the entry is sealed to)."""
        shell.refused("--home", str(self.folder(party)), *args)

    def read_line(self, shell: Shell, party: str, needle: str, *args: str) -> None:
        """A read on `party`'s node, of which only the first line holding `needle` is shown."""
        command = ["--home", str(self.folder(party)), *args]
        shell.show(*command)
        found = next((line for line in shell.output(*command) if needle in line), None)
        if found is None:
            raise VerificationError(f"{party} did not read {needle!r}", where=" ".join(args))
        # one line, cut to the terminal's width: what matters is that it was read
        console.print(
            f"  {found.strip()}", markup=False, highlight=False, no_wrap=True, overflow="ellipsis"
        )
