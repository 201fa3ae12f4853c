"""A process that appends to a shared log, for the fault tests in test_faults.py.

    python tests/_fault_worker.py race HOME URL KEYFILE PARTY TAG \
        --singles 50 --batches 2 --batch-size 5 --out OUT --ready READY --go GO
    python tests/_fault_worker.py crash HOME URL KEYFILE PARTY TAG --acks ACKS

URL is `-` for the workspace's own database. `race` waits for the GO file,
then appends its singles with the batches spread among them and writes every
(index, leaf hash) it was given, and when it started and ended, to OUT as JSON.
`crash` appends singles and batches until it is killed, appending one
`index leafhex` line per acknowledged entry to ACKS and fsyncing it before the
next append.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from accordwatch.log.envelope import Submission, seal
from accordwatch.log.keys import SigningKey
from accordwatch.store.ledger import Ledger
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace


class Signer:
    def __init__(self, ledger: Ledger, key: SigningKey, party: str, tag: str) -> None:
        self.ledger, self.key, self.party, self.tag = ledger, key, party, tag
        self.count = 0

    def next(self) -> Submission:
        self.count += 1
        return seal(
            log=self.ledger.origin,
            record_type="statement",
            party=self.party,
            key=self.key,
            time=utc_now(),
            payload={"subject": f"{self.tag} statement {self.count}"},
        )


def race(signer: Signer, args: argparse.Namespace) -> None:
    ledger = signer.ledger
    ledger.size()  # connect before the start signal
    Path(args.ready).touch()
    go = Path(args.go)
    while not go.exists():
        time.sleep(0.001)
    started = time.time()
    got: list[tuple[int, str]] = []
    every = max(1, args.singles // (args.batches + 1))
    batches_left = args.batches
    for n in range(args.singles):
        submission = signer.next()
        receipt = ledger.submit(submission)
        if receipt.leaf_hash != submission.envelope.leaf_hash:
            raise SystemExit(f"receipt for index {receipt.index} has another leaf hash")
        got.append((receipt.index, submission.envelope.leaf_hash.hex()))
        if batches_left and (n + 1) % every == 0:
            batches_left -= 1
            batch = [signer.next() for _ in range(args.batch_size)]
            result = ledger.append(batch)
            for appended, sent in zip(result.entries, batch, strict=True):
                if appended.duplicate or appended.leaf_hash != sent.envelope.leaf_hash:
                    raise SystemExit(f"batch entry {appended.index} is not what was sent")
                got.append((appended.index, appended.leaf_hash.hex()))
    out = {"started": started, "ended": time.time(), "got": got}
    Path(args.out).write_text(json.dumps(out), "utf-8")


def crash(signer: Signer, args: argparse.Namespace) -> None:
    ledger = signer.ledger
    fd = os.open(args.acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    round_ = 0
    while True:
        round_ += 1
        size = 1 if round_ % 3 else 1 + round_ % 17
        batch = [signer.next() for _ in range(size)]
        if size == 1:
            receipt = ledger.submit(batch[0])
            indices = [receipt.index]
        else:
            indices = [a.index for a in ledger.append(batch).entries]
        lines = "".join(
            f"{index} {sent.envelope.leaf_hash.hex()}\n"
            for index, sent in zip(indices, batch, strict=True)
        )
        os.write(fd, lines.encode())
        os.fsync(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["race", "crash"])
    parser.add_argument("home")
    parser.add_argument("url")
    parser.add_argument("keyfile")
    parser.add_argument("party")
    parser.add_argument("tag")
    parser.add_argument("--singles", type=int, default=50)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=5)
    parser.add_argument("--out")
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--acks")
    args = parser.parse_args()
    ws = Workspace.open(Path(args.home), database_url=None if args.url == "-" else args.url)
    signer = Signer(ws.ledger(), SigningKey.read(Path(args.keyfile)), args.party, args.tag)
    if args.mode == "race":
        race(signer, args)
    else:
        crash(signer, args)


if __name__ == "__main__":
    main()
