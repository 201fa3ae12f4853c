"""The command line's exit codes: one table, one meaning per code.

Every way the command line ends maps to exactly one code here: a command that
ran and answered "no" (a check that found problems), a command line that
Click could not parse, and each kind of `AccordwatchError`. The README's
table of exit codes is this one; `tests/test_cli_conventions.py` checks that
they agree and that no two meanings share a code.
"""

from __future__ import annotations

from enum import IntEnum

from accordwatch.errors import (
    AccordwatchError,
    AddressInUseError,
    AuthorityError,
    ConflictError,
    InputError,
    NotFoundError,
    SignatureError,
    StorageError,
    VerificationError,
)


class ExitCode(IntEnum):
    """Why the command line ended; `MEANINGS` says it in words."""

    OK = 0
    PROBLEMS_FOUND = 1
    USAGE = 2
    BAD_INPUT = 3
    NOT_FOUND = 4
    CONFLICT = 5
    STORAGE = 6
    NOT_VERIFIED = 7
    NOT_WITNESSED = 8
    BAD_SIGNATURE = 9
    NOT_ALLOWED = 10
    ADDRESS_IN_USE = 11
    ERROR = 12
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.PROBLEMS_FOUND: (
        "a check ran and found problems (`accord check`, `policy check`, `declaration review`)"
    ),
    ExitCode.USAGE: "the command line is wrong: unknown command or option, missing argument",
    ExitCode.BAD_INPUT: (
        "a file, value, setting or request cannot be read or does not fit its schema"
    ),
    ExitCode.NOT_FOUND: "a party, key, step, entry or workspace does not exist",
    ExitCode.CONFLICT: (
        "the request contradicts what the log holds (already logged, a step report by "
        "another party, a verification of a step never reported)"
    ),
    ExitCode.STORAGE: "the database cannot be reached or is not in the expected state",
    ExitCode.NOT_VERIFIED: "a proof, checkpoint, receipt or log does not verify",
    ExitCode.NOT_WITNESSED: (
        "`receipt verify`, `log audit --policy`: proofs hold, but the checkpoint lacks "
        "its quorum of witness cosignatures"
    ),
    ExitCode.BAD_SIGNATURE: "a signature is missing, malformed or does not verify",
    ExitCode.NOT_ALLOWED: "a party acting outside its role, or a key unknown or revoked",
    ExitCode.ADDRESS_IN_USE: "`serve`, `witness serve`: the address and port are already in use",
    ExitCode.ERROR: "any other error, named on standard error",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}

#: each kind of error and its code; a subclass takes its nearest listed ancestor's
ERROR_CODES: dict[type[AccordwatchError], ExitCode] = {
    InputError: ExitCode.BAD_INPUT,
    NotFoundError: ExitCode.NOT_FOUND,
    ConflictError: ExitCode.CONFLICT,
    StorageError: ExitCode.STORAGE,
    VerificationError: ExitCode.NOT_VERIFIED,
    SignatureError: ExitCode.BAD_SIGNATURE,
    AuthorityError: ExitCode.NOT_ALLOWED,
    AddressInUseError: ExitCode.ADDRESS_IN_USE,
    AccordwatchError: ExitCode.ERROR,
}


def exit_code(error: AccordwatchError) -> ExitCode:
    """The code the command line ends with for `error`."""
    return code_of(type(error))


def code_of(kind: type[AccordwatchError]) -> ExitCode:
    """The code of a kind of error: its own, or its nearest listed ancestor's."""
    for ancestor in kind.__mro__:
        if ancestor in ERROR_CODES:
            return ERROR_CODES[ancestor]
    return ExitCode.ERROR


def markdown_table() -> str:
    """The table as the README shows it."""
    rows = ["| Code | Meaning |", "| ---: | --- |"]
    rows += [f"| {code.value} | {MEANINGS[code]} |" for code in ExitCode]
    return "\n".join(rows)
