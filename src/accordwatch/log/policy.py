"""C2SP tlog-policy: which logs and witnesses count, and the quorum of witnesses.

A policy file is lines of `log <vkey> [url]`, `witness <name> <vkey> [url]`,
`group <name> all|any|<k> <member>...` and exactly one `quorum <name>`
(`none` asks for no cosignatures). Groups and the quorum name only what
earlier lines define, and a name is a member of one group at most, so each
witness counts toward the quorum in one way only. `policy_problems` reads a
whole file and names every problem by its line; `Policy.parse` refuses a
file with any.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from accordwatch.errors import AccordwatchError, InputError
from accordwatch.log.cosignature import CosignerKey
from accordwatch.log.note import Verifier

NONE = "none"
#: the spec asks for at least 32 of each; more than this is refused as a likely mistake
MAX_ITEMS = 256
_WHITESPACE = re.compile(r"[ \t]+")
_NUMBER = re.compile(r"[1-9][0-9]*")
_BAD_OCTET = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class PolicyLog:
    key: Verifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    key: CosignerKey
    url: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """A parsed policy: its logs, witnesses, groups and quorum, and the text it was read from."""

    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: Mapping[str, Group]
    quorum: str
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str | bytes, *, where: str = "policy") -> Policy:
        """The policy `text` states; `InputError` naming the first problem and its line."""
        policy, problems = _read(text)
        if problems:
            line, message = problems[0]
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise InputError(f"line {line}: {message}{more}", where=where)
        assert policy is not None
        return policy

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's text, as the parties sign it."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def witness(self, name: str) -> PolicyWitness | None:
        return next((w for w in self.witnesses if w.name == name), None)

    def log_keys(self) -> list[Verifier]:
        return [entry.key for entry in self.logs]

    def satisfied(self, witnessed: set[str] | frozenset[str]) -> bool:
        """Whether cosignatures by the witnesses named in `witnessed` meet the quorum."""
        return self._holds(self.quorum, witnessed)

    def _holds(self, name: str, witnessed: set[str] | frozenset[str]) -> bool:
        if name == NONE:
            return True
        group = self.groups.get(name)
        if group is None:
            return name in witnessed
        count = sum(1 for m in group.members if self._holds(m, witnessed))
        return count >= group.threshold

    def witnessed_at(self, times: Mapping[str, int]) -> int | None:
        """The earliest time by which cosignatures dated `times` (by witness) met the quorum.

        None if they never meet it, and for `quorum none`: no cosignature is
        needed, so no moment of one says when it was met.
        """
        if self.quorum == NONE:
            return None
        so_far: set[str] = set()
        for name, moment in sorted(times.items(), key=lambda item: item[1]):
            so_far.add(name)
            if self.satisfied(so_far):
                return moment
        return None

    def describe_quorum(self) -> str:
        """The quorum in words, e.g. `3 of dprk, us, rok, iaea` or `all of (...) and iaea`."""
        return self._describe(self.quorum, top=True)

    def _describe(self, name: str, *, top: bool = False) -> str:
        if name == NONE:
            return "no witnesses"
        group = self.groups.get(name)
        if group is None:
            return name
        parts = ", ".join(self._describe(m) for m in group.members)
        n = len(group.members)
        k = "all" if group.threshold == n else "any" if group.threshold == 1 else group.threshold
        words = f"{k} of {parts}"
        return words if top else f"({words})"


def policy_problems(text: str | bytes) -> list[tuple[int, str]]:
    """Every problem of a policy file, as (line number, message); empty when it is valid."""
    return _read(text)[1]


def _read(text: str | bytes) -> tuple[Policy | None, list[tuple[int, str]]]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    problems: list[tuple[int, str]] = []
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        # non-ASCII octets are opaque to the policy, but names are compared as text here
        return None, [(1, "the policy is not UTF-8 text")]
    logs: list[PolicyLog] = []
    witnesses: list[PolicyWitness] = []
    groups: dict[str, Group] = {}
    names: set[str] = set()
    used_as_member: set[str] = set()
    keys_seen: set[bytes] = set()
    quorum: str | None = None
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line_bytes in enumerate(lines, start=1):
        if _BAD_OCTET.search(line_bytes):
            problems.append((number, "holds a control character (only tab and newline allowed)"))
            continue
        line = line_bytes.decode("utf-8").strip(" \t")
        if not line or line.startswith("#"):
            continue
        word, *rest = _WHITESPACE.split(line)

        def problem(message: str, number: int = number) -> None:
            problems.append((number, message))

        try:
            if word == "log":
                if len(rest) not in (1, 2):
                    problem("a log line is `log <vkey> [<url>]`")
                    continue
                key = Verifier.parse(rest[0])
                if key.public_key in keys_seen:
                    problem(f"log key {key.name!r} is listed twice")
                    continue
                keys_seen.add(key.public_key)
                logs.append(PolicyLog(key, rest[1] if len(rest) == 2 else None))
            elif word == "witness":
                if len(rest) not in (2, 3):
                    problem("a witness line is `witness <name> <vkey> [<url>]`")
                    continue
                name = rest[0]
                if name == NONE or name in names:
                    problem(_taken(name))
                    continue
                wkey = CosignerKey.parse(rest[1])
                if wkey.public_key in keys_seen:
                    problem(f"witness {name!r}: its key is listed twice")
                    continue
                keys_seen.add(wkey.public_key)
                names.add(name)
                witnesses.append(PolicyWitness(name, wkey, rest[2] if len(rest) == 3 else None))
            elif word == "group":
                if len(rest) < 3:
                    problem("a group line is `group <name> all|any|<k> <member>...`")
                    continue
                name, k, members = rest[0], rest[1], rest[2:]
                if name == NONE or name in names:
                    problem(_taken(name))
                    continue
                bad = [m for m in members if m not in names]
                if bad:
                    problem(f"group {name!r} names {bad[0]!r}, which no earlier line defines")
                    continue
                if len(set(members)) != len(members):
                    problem(f"group {name!r} lists a member twice")
                    continue
                again = [m for m in members if m in used_as_member]
                if again:
                    problem(f"{again[0]!r} is already a member of another group")
                    continue
                if k == "all":
                    threshold = len(members)
                elif k == "any":
                    threshold = 1
                elif _NUMBER.fullmatch(k) and int(k) <= len(members):
                    threshold = int(k)
                else:
                    problem(
                        f"group {name!r}: threshold {k!r} must be all, any or a number "
                        f"from 1 to {len(members)}"
                    )
                    continue
                names.add(name)
                used_as_member.update(members)
                groups[name] = Group(name, threshold, tuple(members))
            elif word == "quorum":
                if len(rest) != 1:
                    problem("a quorum line is `quorum <name>`")
                elif quorum is not None:
                    problem("a second quorum line (a policy has exactly one)")
                elif rest[0] != NONE and rest[0] not in names:
                    problem(f"the quorum names {rest[0]!r}, which no earlier line defines")
                else:
                    quorum = rest[0]
            else:
                problem(f"unknown keyword {word!r} (log, witness, group or quorum)")
        except AccordwatchError as exc:
            problem(exc.message)
        if len(logs) > MAX_ITEMS or len(witnesses) > MAX_ITEMS or len(groups) > MAX_ITEMS:
            problem(f"more than {MAX_ITEMS} logs, witnesses or groups")
            break
    if quorum is None:
        problems.append((len(lines) + 1, "the policy has no quorum line"))
    if problems:
        return None, problems
    assert quorum is not None
    return Policy(tuple(logs), tuple(witnesses), groups, quorum, decoded), []


def _taken(name: str) -> str:
    return f"the name {name!r} is {'reserved' if name == NONE else 'defined twice'}"
