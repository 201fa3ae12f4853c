"""The demo's last step and closing words: the report, the inspectorate's token, what next.

The report is written through the user's command; the inspectorate is issued a
dashboard token, in a file only its owner may read; and the closing words say
how to look further, in a browser or from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path

from accordwatch.cli.context import console
from accordwatch.cli.demo.log_and_keys import Logged
from accordwatch.cli.demo.safeguards import STORE
from accordwatch.cli.demo.shell import Shell, step
from accordwatch.cli.token import issue_token
from accordwatch.store.ledger import Ledger

TOKEN_LIFETIME = "30d"  # of the inspectorate's dashboard token, written to the workspace


def run(shell: Shell, logged: Logged) -> None:
    home = shell.home
    step("12. A report anyone can check against the log")
    shell.typed("report", "--format", "html", "--out", str(home / "report"))
    token_file = _inspectorate_token(logged.ledger, home)

    step("Next")
    first = logged.first_entry
    console.print(
        f"The demo workspace is {home}. Open {home}/report/ in a browser, or serve the "
        "dashboard and API:"
    )
    # commands are copied: never wrapped, whatever the width
    console.print(
        f"  accordwatch --home {home} serve     # then http://127.0.0.1:8000/", soft_wrap=True
    )
    console.print(
        f"then sign in at /signin with the token in {token_file} to read, as the "
        f"inspectorate, the confidential declarations and their diff at /declarations "
        f"and the material balances and inspections at /safeguards.\n"
        f"Or from the command line:",
        soft_wrap=True,  # it names a file to open
    )
    console.print(
        f"  accordwatch --home {home} log show\n"
        f"  accordwatch --home {home} log prove {first}\n"
        f"  accordwatch --home {home} log audit\n"
        f"  accordwatch --home {home} clock show\n"
        f"  accordwatch --home {home} status --as-of 2021-03-01\n"
        f"  accordwatch --home {home} status --as-of 2021-03-01 --known-at 2020-12-31\n"
        f"  accordwatch --home {home} compliance report --by missile\n"
        f"  accordwatch --home {home} declaration list --as iaea\n"
        f"  accordwatch --home {home} accountancy show --mba {STORE} --history\n"
        f"  accordwatch receipt verify {home}/witnessed-receipt-{first}.json --log "
        f"{logged.export}",
        soft_wrap=True,
    )


def _inspectorate_token(ledger: Ledger, home: Path) -> Path:
    """A token reading as the IAEA, in a file only its owner may read."""
    token, _ = issue_token(ledger, "iaea", "inspectorate", TOKEN_LIFETIME)
    path = home / "inspectorate.token"
    # created with mode 0600, so the token is never readable by others, even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return path
