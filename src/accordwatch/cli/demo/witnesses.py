"""The demo's witnesses: one per party and the inspectorate, each its own process on loopback.

Four `accordwatch witness serve` processes (DPRK, the United States, the
Republic of Korea, the IAEA), each with its own folder (in the party's) and
key and on the workspace's simulated clock, are named in a policy that every
party of the road map signs with its own key; the log gets its checkpoints
cosigned and shows them witnessed; then it signs a forked checkpoint for
DPRK's witness, which refuses it and keeps the evidence, and anyone can check
that evidence. At the end the log is cosigned again and a receipt is written
beside the policy and the log's key: those three files are all a reader
needs. Every process started here is stopped when the demo ends, however it
ends (`processes.Servers`).
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from pathlib import Path

from accordwatch.cli.context import console
from accordwatch.cli.demo.processes import Servers
from accordwatch.cli.demo.shell import Shell, step
from accordwatch.errors import StorageError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import Algorithm
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.note import Verifier
from accordwatch.log.witness_protocol import AddCheckpoint
from accordwatch.store.ledger import Ledger
from accordwatch.workspace import CLOCK_FILE

#: party, witness name, algorithm: ML-DSA-44 where the record must outlive today's signatures
WITNESSES = (
    ("dprk", "witness.dprk.demo", Algorithm.ML_DSA_44),
    ("usa", "witness.usa.demo", Algorithm.ED25519),
    ("rok", "witness.rok.demo", Algorithm.ED25519),
    ("iaea", "witness.iaea.demo", Algorithm.ML_DSA_44),
)
POLICY_FILE = "policy.txt"


class Witnesses:
    """The demo's witnesses of the log at `home`: started by `start` as processes of `servers`.

    `folders` names each party's witness folder [default: `home/witnesses/<party>`].
    """

    def __init__(
        self, home: Path, servers: Servers, folders: Callable[[str], Path] | None = None
    ) -> None:
        self.home = home
        self.servers = servers
        self._folders = folders
        self.urls: dict[str, str] = {}
        self.keys: dict[str, str] = {}

    def folder(self, party: str) -> Path:
        if self._folders is not None:
            return self._folders(party)
        return self.home / "witnesses" / party

    def start(self, log_key: str) -> None:
        """Make each witness (its key, its trust in the log) and serve it on a free port."""
        from accordwatch.witness.home import WitnessConfig, WitnessHome
        from accordwatch.witness.state import WitnessState

        clock = (self.home / CLOCK_FILE).resolve()
        for party, name, algorithm in WITNESSES:
            home = WitnessHome.at(self.folder(party))
            # durability "normal": the demo's witnesses need not outlive a power cut
            cosigner = home.init(WitnessConfig(name, algorithm, clock, "normal"))
            state = WitnessState.open(home.database_path, durability="normal")
            state.trust(Verifier.parse(log_key), f"{time.strftime('%Y-%m-%dT%H:%M:%SZ')}")
            state.close()
            self.keys[party] = cosigner.key.text()
        for party, _, _ in WITNESSES:
            self._serve(party)

    def _serve(self, party: str) -> None:
        self.urls[party] = self.servers.start(
            f"the witness of {party}", self.folder(party), "witness", "serve", ready="serving at"
        )

    def policy_text(self, log_key: str) -> str:
        lines = [
            "# The road map's witness policy: two of the three states, and the IAEA.",
            f"log {log_key}",
        ]
        lines += [f"witness {p} {self.keys[p]} {self.urls[p]}" for p, _, _ in WITNESSES]
        lines += [
            "group states 2 dprk usa rok",
            "group states-and-iaea all states iaea",
            "quorum states-and-iaea",
        ]
        return "\n".join(lines) + "\n"

    # -- the demo's steps ------------------------------------------------------------

    def run(self, shell: Shell, ledger: Ledger, key_files: Callable[[str], Path]) -> None:
        """Start the witnesses, have the parties sign the policy, witness the log, try a fork.

        Each party signs the policy with its key file `key_files(party)`.
        """
        step("Witnesses: each party's and the inspectorate's, every one its own process")
        log_key = ledger.signer.verifier.text()
        self.start(log_key)
        for party, name, algorithm in WITNESSES:
            console.print(
                f"  {party:5} {name} ({algorithm.value}) serving at {self.urls[party]}",
                highlight=False,
            )
        policy = self.home / POLICY_FILE
        policy.write_text(self.policy_text(log_key), "utf-8")
        shell.typed("policy", "check", str(policy))
        for party, _, _ in WITNESSES:
            key = str(key_files(party))
            shell.typed("accord", "policy", str(policy), "--as", party, "--key", key)
        shell.typed("log", "cosign")
        self.fork(shell, ledger)

    def fork(self, shell: Shell, ledger: Ledger) -> None:
        """The log signs another history of the witnessed size for DPRK's witness alone."""
        from accordwatch.sources.witnessing import log_policy

        policy = log_policy(ledger)
        found = ledger.latest_witnessed(policy) if policy is not None else None
        if found is None:
            raise StorageError("the log has no witnessed checkpoint to fork from")
        honest = found[1].checkpoint
        forked = Checkpoint(
            honest.origin, honest.size, leaf_hash(b"a history shown to one witness only")
        ).sign(ledger.signer)
        console.print(
            f"\n  The operator signs, with the log's key, another checkpoint of size "
            f"{honest.size} and sends it to DPRK's witness alone (a split view):"
        )
        status, answer = _post(self.urls["dprk"], AddCheckpoint(honest.size, (), forked).body())
        console.print(f"  the witness answers {status}: {answer.strip()}", highlight=False)
        evidence = self.folder("dprk").parent / "fork-evidence"
        shell.at(self.folder("dprk"), "witness", "evidence", "--out", str(evidence))
        for path in sorted(evidence.glob("*.json"))[:1]:
            shell.typed("fork", "verify", str(path))

    def close(self, shell: Shell, ledger: Ledger, index: int) -> Path:
        """Witness what the demo logged since, and write a receipt beside the policy and the key."""
        from accordwatch.sources.witnessing import log_policy

        step("Witnessed receipts: a receipt, the policy and the log's key are all a reader needs")
        shell.typed("log", "cosign")
        policy = log_policy(ledger)
        receipt = ledger.witnessed_receipt(index, policy)
        path = self.home / f"witnessed-receipt-{index}.json"
        path.write_text(json.dumps(receipt.to_json(), indent=2) + "\n", "utf-8")
        key = self.home / "log.vkey"
        key.write_text(ledger.signer.verifier.text() + "\n", "utf-8")
        log_key = ledger.signer.verifier.text()
        shell.typed(
            "receipt",
            "verify",
            str(path),
            "--log-key",
            log_key,
            "--policy",
            str(self.home / POLICY_FILE),
        )
        console.print(
            f"  Copy {path.name}, {POLICY_FILE} and {key.name} to any machine, where this "
            "checks them:",
            highlight=False,
        )
        # a command is copied: never wrapped
        console.print(
            f'    accordwatch receipt verify {path.name} --log-key "$(cat {key.name})" '
            f"--policy {POLICY_FILE}",
            highlight=False,
            soft_wrap=True,
        )
        return path


def _post(url: str, body: bytes) -> tuple[int, str]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/add-checkpoint", body=body)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()
