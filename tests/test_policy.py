"""tlog-policy files: the specification's example, every rule of its syntax, the quorum.

The quorum is also checked against an evaluator written here from the
specification's words ("at least k of its n members have witnessed"), and
`satisfied` must be monotone: more cosignatures never lose a quorum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.errors import InputError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import Algorithm, Cosigner
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import NoteSigner
from accordwatch.log.policy import Policy, policy_problems
from accordwatch.log.witnessed import witness_check
from tests import spec_cosignature as spec

LOG = NoteSigner("accords.example/log", SigningKey(bytes(32))).verifier.text()


def wkey(n: int, algorithm: Algorithm = Algorithm.ED25519, name: str = "") -> str:
    """A witness vkey, the same for the same `n`."""
    seed = n.to_bytes(32, "big")
    return Cosigner(name or f"witness.example/{n}", algorithm, seed).key.text()


EXAMPLE = f"""log {LOG}

witness X1 {wkey(1)}
witness X2 {wkey(2)}
witness X3 {wkey(3, Algorithm.ML_DSA_44)}
group X-witnesses 2 X1 X2 X3

witness Y1 {wkey(4)}
witness Y2 {wkey(5)}
witness Y3 {wkey(6, Algorithm.ML_DSA_44)}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def problems(text: str | bytes) -> list[tuple[int, str]]:
    return policy_problems(text)


def lines_of(text: str | bytes) -> list[int]:
    return [line for line, _ in policy_problems(text)]


# -- the example ------------------------------------------------------------------------


def test_the_example_policy_of_the_specification() -> None:
    policy = Policy.parse(EXAMPLE)
    assert [w.name for w in policy.witnesses] == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    assert policy.log_keys()[0].text() == LOG
    assert policy.quorum == "X-and-Y"
    assert policy.groups["X-witnesses"].threshold == 2
    assert policy.groups["Y-witnesses"].threshold == 1
    assert policy.groups["X-and-Y"].threshold == 2
    # "at least two of the X-witnesses, and at least one of the Y-witnesses"
    for x in range(4):
        for y in range(4):
            for xs in itertools.combinations(["X1", "X2", "X3"], x):
                for ys in itertools.combinations(["Y1", "Y2", "Y3"], y):
                    assert policy.satisfied(set(xs) | set(ys)) == (x >= 2 and y >= 1)
    assert policy.describe_quorum() == "all of (2 of X1, X2, X3), (any of Y1, Y2, Y3)"
    assert policy.witness("X3") is not None and policy.witness("Z") is None
    assert Policy.parse(EXAMPLE).digest == policy.digest
    assert Policy.parse(EXAMPLE + "# another\n").digest != policy.digest


# -- comments, whitespace, the character set --------------------------------------------


def test_comments_blank_lines_and_whitespace_of_spaces_and_tabs() -> None:
    text = (
        "# a policy\n"
        "   # an indented comment\n"
        "\t# a tab-indented comment\n"
        "\n"
        "   \t  \n"
        f"log\t{LOG}\thttps://log.example/\n"
        f"  witness \t A {wkey(1)}   https://a.example/  \n"
        f"\twitness B\t\t{wkey(2)}\n"
        "group\tG  any\tA \t B\t\n"
        "quorum G\t\n"
    )
    policy = Policy.parse(text)
    assert policy.logs[0].url == "https://log.example/"
    assert [(w.name, w.url) for w in policy.witnesses] == [("A", "https://a.example/"), ("B", None)]
    assert policy.groups["G"].members == ("A", "B")
    assert policy.satisfied({"B"}) and not policy.satisfied(set())


def test_a_hash_after_other_items_is_not_a_comment() -> None:
    text = f"witness A {wkey(1)}\nquorum A # the quorum\n"
    assert lines_of(text) == [2, 3]  # and so there is no quorum line


@pytest.mark.parametrize("octet", [b"\x00", b"\x01", b"\x0b", b"\x0c", b"\r", b"\x1b", b"\x7f"])
def test_control_characters_other_than_tab_and_newline_are_refused(octet: bytes) -> None:
    base = f"witness A {wkey(1)}\n# comment\nquorum A\n".encode()
    assert problems(base) == []
    text = base.replace(b"# comment", b"# com" + octet + b"ment")
    found = problems(text)
    assert [line for line, _ in found] == [2]
    assert "control character" in found[0][1]
    with pytest.raises(InputError, match="line 2"):
        Policy.parse(text)


def test_non_ascii_octets_are_allowed_and_names_are_compared_exactly() -> None:
    """The name K (0x4B) is another name than the Kelvin sign (0xE2 0x84 0xAA)."""
    text = (
        "# commentaire: témoin\n"
        f"witness K {wkey(1)}\n"
        f"witness \u212a {wkey(2)} https://témoin.example/\n"
        "group both all K \u212a\n"
        "quorum both\n"
    )
    policy = Policy.parse(text.encode("utf-8"))
    assert [w.name for w in policy.witnesses] == ["K", "\u212a"]
    assert not policy.satisfied({"K"}) and policy.satisfied({"K", "\u212a"})


def test_a_file_that_is_not_utf8_is_refused_without_a_traceback() -> None:
    # a deliberate limit: names are compared as text, so the file must be UTF-8
    assert problems(b"# \xff\nquorum none\n") == [(1, "the policy is not UTF-8 text")]


# -- logs and witnesses -----------------------------------------------------------------


def test_duplicate_keys_are_refused() -> None:
    same_key_other_name = wkey(1, name="witness.example/renamed")
    cases = {
        f"log {LOG}\nlog {LOG}\nquorum none\n": 2,
        f"witness A {wkey(1)}\nwitness B {wkey(1)}\nquorum A\n": 2,
        # duplicate even though the vkeys differ in name and key id
        f"witness A {wkey(1)}\nwitness B {same_key_other_name}\nquorum A\n": 2,
    }
    for text, line in cases.items():
        found = problems(text)
        assert [n for n, _ in found] == [line], found
        assert "twice" in found[0][1]


def test_keys_of_the_wrong_kind_or_malformed_are_refused() -> None:
    cases = [
        f"log {wkey(1)}\nquorum none\n",  # a cosigner key is not a log key
        f"witness A {LOG}\nquorum none\n",  # a log key is not a cosigner key
        f"witness A {wkey(1)[:-4]}AAAA\nquorum none\n",  # another key than its id says
        "witness A not-a-vkey\nquorum none\n",
        "log\nquorum none\n",
        f"log {LOG} https://x.example/ extra\nquorum none\n",
        "witness A\nquorum none\n",
        f"witness A {wkey(1)} https://x.example/ extra\nquorum none\n",
    ]
    for text in cases:
        assert lines_of(text) == [1], text


def test_duplicate_names_and_the_reserved_name_none() -> None:
    cases = [
        f"witness A {wkey(1)}\nwitness A {wkey(2)}\nquorum A\n",
        f"witness A {wkey(1)}\nwitness B {wkey(2)}\ngroup A any B\nquorum A\n",
        f"witness A {wkey(1)}\ngroup G any A\ngroup G any A\nquorum G\n",
        f"witness none {wkey(1)}\nquorum none\n",
        f"witness A {wkey(1)}\ngroup none any A\nquorum none\n",
    ]
    for text in cases:
        found = problems(text)
        assert len(found) == 1 and found[0][0] in (2, 3, 1), (text, found)
        assert (
            "defined twice" in found[0][1] or "reserved" in found[0][1] or "member" in found[0][1]
        )
    assert problems(f"witness A {wkey(1)}\ngroup G any A none\nquorum G\n")[0][0] == 2


# -- groups -----------------------------------------------------------------------------


def test_names_must_be_defined_on_earlier_lines() -> None:
    later = f"group G any A\nwitness A {wkey(1)}\nquorum G\n"
    assert lines_of(later) == [1, 3, 4]  # 4: no valid quorum line
    quorum_first = f"quorum A\nwitness A {wkey(1)}\n"
    found = problems(quorum_first)
    assert found[0][0] == 1 and "no earlier line" in found[0][1]
    assert found[-1] == (3, "the policy has no quorum line")
    itself = f"witness A {wkey(1)}\ngroup G any A G\nquorum G\n"
    assert lines_of(itself) == [2, 3, 4]


def test_a_member_is_listed_once_in_one_group_at_most() -> None:
    twice = f"witness A {wkey(1)}\nwitness B {wkey(2)}\ngroup G 2 A A\nquorum G\n"
    found = problems(twice)
    assert found[0][0] == 3 and "twice" in found[0][1]
    two_groups = (
        f"witness A {wkey(1)}\nwitness B {wkey(2)}\n"
        "group G any A B\ngroup H any A\ngroup Q all G H\nquorum Q\n"
    )
    found = problems(two_groups)
    assert found[0][0] == 4 and "already a member" in found[0][1]
    # a group that is a member may still be the quorum, and a witness may stand alone
    fine = f"witness A {wkey(1)}\nwitness B {wkey(2)}\ngroup G any A\ngroup H all G B\nquorum G\n"
    assert problems(fine) == []


@pytest.mark.parametrize(
    ("threshold", "needed"),
    [("all", 3), ("any", 1), ("1", 1), ("2", 2), ("3", 3)],
)
def test_thresholds_all_any_and_k(threshold: str, needed: int) -> None:
    text = (
        "".join(f"witness W{i} {wkey(i)}\n" for i in range(3))
        + f"group G {threshold} W0 W1 W2\nquorum G\n"
    )
    policy = Policy.parse(text)
    for count in range(4):
        for chosen in itertools.combinations(["W0", "W1", "W2"], count):
            assert policy.satisfied(set(chosen)) == (count >= needed)


@pytest.mark.parametrize("threshold", ["0", "4", "-1", "2.0", "two", "ALL", "Any", "+2", "1e0"])
def test_thresholds_outside_1_to_n_or_not_decimal_are_refused(threshold: str) -> None:
    text = (
        "".join(f"witness W{i} {wkey(i)}\n" for i in range(3))
        + f"group G {threshold} W0 W1 W2\nquorum G\n"
    )
    found = problems(text)
    assert found[0][0] == 4 and "threshold" in found[0][1]


def test_a_group_lists_at_least_one_member() -> None:
    for line in ("group G any", "group G all", "group G 1", "group G"):
        text = f"witness A {wkey(1)}\n{line}\nquorum A\n"
        assert lines_of(text) == [2], line


# -- the quorum line and every problem by line ------------------------------------------


def test_exactly_one_quorum_line() -> None:
    assert lines_of(f"witness A {wkey(1)}\n") == [2]
    found = problems(f"witness A {wkey(1)}\nquorum A\nquorum none\n")
    assert found == [(3, "a second quorum line (a policy has exactly one)")]
    assert lines_of("quorum\n") == [1, 2]
    assert lines_of("quorum a b\n") == [1, 2]
    policy = Policy.parse("quorum none\n")
    assert policy.satisfied(set()) and policy.describe_quorum() == "no witnesses"
    direct = Policy.parse(f"witness A {wkey(1)}\nquorum A\n")
    assert direct.satisfied({"A"}) and not direct.satisfied({"B"})


def test_every_problem_is_named_by_its_line() -> None:
    text = (
        "# problems on lines 2, 4, 5, 6, 7, 8 and 10\n"
        "witnes A x\n"
        f"witness A {wkey(1)}\n"
        f"witness A {wkey(2)}\n"
        "group G 5 A\n"
        "group H any Z\n"
        "quorum G\x01\n"
        "quorum H\n"
        "quorum A\n"
        "quorum A\n"
    )
    found = problems(text)
    assert [line for line, _ in found] == [2, 4, 5, 6, 7, 8, 10]
    assert "unknown keyword 'witnes'" in found[0][1]
    with pytest.raises(InputError, match=r"line 2: .*\(and 6 more problems\)"):
        Policy.parse(text, where="accord.policy")
    try:
        Policy.parse(text, where="accord.policy")
    except InputError as exc:
        assert exc.where == "accord.policy"
        assert "\n" not in exc.diagnostic()


def test_too_many_items_are_refused() -> None:
    many = "".join(f"witness W{i} {wkey(i)}\n" for i in range(257)) + "quorum W0\n"
    found = problems(many)
    assert found and found[0][0] == 257 and "more than 256" in found[0][1]
    enough = "".join(f"witness W{i} {wkey(i)}\n" for i in range(40)) + "quorum W0\n"
    assert problems(enough) == []


# -- the quorum, against the specification's words --------------------------------------


@dataclass
class Tree:
    """A random policy: witnesses W0..Wn-1 and groups over earlier names."""

    witnesses: int
    groups: list[tuple[str, list[str]]]  # (threshold word, members)

    def text(self) -> str:
        out = [f"witness W{i} {WKEYS[i]}" for i in range(self.witnesses)]
        out += [f"group G{i} {k} {' '.join(m)}" for i, (k, m) in enumerate(self.groups)]
        top = f"G{len(self.groups) - 1}" if self.groups else "W0"
        return "\n".join([*out, f"quorum {top}"]) + "\n"

    def holds(self, name: str, witnessed: set[str]) -> bool:
        """The spec's rule: a group witnesses if at least k of its n members have."""
        if name.startswith("W"):
            return name in witnessed
        word, members = self.groups[int(name[1:])]
        k = {"all": len(members), "any": 1}.get(word) or int(word)
        return sum(self.holds(m, witnessed) for m in members) >= k


WKEYS = [wkey(i) for i in range(8)]


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    n = draw(st.integers(1, 8))
    free = [f"W{i}" for i in range(n)]
    groups: list[tuple[str, list[str]]] = []
    for g in range(draw(st.integers(0, 5))):
        if not free:
            break
        members = draw(st.lists(st.sampled_from(free), min_size=1, max_size=4, unique=True))
        free = [f for f in free if f not in members] + [f"G{g}"]
        word = draw(st.sampled_from(["all", "any", *map(str, range(1, len(members) + 1))]))
        groups.append((word, members))
    return Tree(n, groups)


@settings(max_examples=200, deadline=None)
@given(tree=trees(), data=st.data())
def test_satisfied_is_the_spec_rule_and_monotone(tree: Tree, data: st.DataObject) -> None:
    policy = Policy.parse(tree.text())
    everyone = [f"W{i}" for i in range(tree.witnesses)]
    small = set(data.draw(st.lists(st.sampled_from(everyone), unique=True)))
    extra = set(data.draw(st.lists(st.sampled_from(everyone), unique=True)))
    big = small | extra
    assert policy.satisfied(small) == tree.holds(policy.quorum, small)
    assert policy.satisfied(big) == tree.holds(policy.quorum, big)
    if policy.satisfied(small):
        assert policy.satisfied(big)
    assert policy.satisfied(set(everyone))  # every threshold is at most n


@settings(max_examples=200, deadline=None)
@given(tree=trees(), data=st.data())
def test_witnessed_at_is_the_earliest_moment_the_quorum_holds(
    tree: Tree, data: st.DataObject
) -> None:
    policy = Policy.parse(tree.text())
    everyone = [f"W{i}" for i in range(tree.witnesses)]
    chosen = data.draw(st.lists(st.sampled_from(everyone), unique=True))
    times = {name: data.draw(st.integers(1, 20)) for name in chosen}
    moments = sorted(set(times.values()))
    earliest = next(
        (t for t in moments if policy.satisfied({n for n, s in times.items() if s <= t})), None
    )
    assert policy.witnessed_at(times) == earliest


def test_witnessed_at_examples() -> None:
    policy = Policy.parse(EXAMPLE)
    times = {"X1": 100, "Y2": 50, "X3": 300, "X2": 200}
    assert policy.witnessed_at(times) == 200  # X1 and X2 by 200, Y2 since 50
    assert policy.witnessed_at({"X1": 100, "X2": 200}) is None
    assert policy.witnessed_at({}) is None
    assert policy.witnessed_at({"X1": 7, "X2": 7, "Y1": 7}) == 7
    # no cosignature is needed, so there is no moment at which one met the quorum
    none = Policy.parse("quorum none\n")
    assert none.witnessed_at({}) is None
    assert none.witnessed_at({"A": 5}) is None


# -- a checkpoint under a policy --------------------------------------------------------


def test_witness_check_counts_cosignatures_made_from_the_spec_text() -> None:
    log = NoteSigner("accords.example/log", SigningKey(bytes(32)))
    x = [spec.SpecCosigner(f"x.example/{i}", spec.TYPE_ML_DSA_44, bytes([i]) * 32) for i in (1, 2)]
    y = spec.SpecCosigner("y.example/1", spec.TYPE_COSIGNATURE_V1, bytes([3]) * 32)
    policy = Policy.parse(
        f"log {log.verifier.text()}\n"
        f"witness X1 {x[0].key.vkey()}\nwitness X2 {x[1].key.vkey()}\n"
        f"witness Y1 {y.key.vkey()}\n"
        "group X any X1 X2\ngroup XY all X Y1\nquorum XY\n"
    )
    text = Checkpoint("accords.example/log", 5, bytes(32)).text()
    note = log.sign(text) + x[1].line(text, 300)
    partial = witness_check(note, policy)
    assert not partial.quorum_met and partial.witnessed_at is None
    assert partial.cosigned == {"X2": 300}
    assert partial.summary().startswith("NOT witnessed: cosigned by 1 of 3 (X2)")
    full = witness_check(note + y.line(text, 200) + x[0].line(text, 400), policy)
    assert full.quorum_met and full.witnessed_at == 300
    assert full.cosigned == {"X1": 400, "X2": 300, "Y1": 200}
    assert full.summary() == "witnessed by 3 of 3 (X1, X2, Y1) by 1970-01-01T00:05:00Z"
    none = Policy.parse(f"log {log.verifier.text()}\nquorum none\n")
    unwitnessed = witness_check(log.sign(text), none)
    assert unwitnessed.quorum_met and unwitnessed.witnessed_at is None
    assert unwitnessed.summary() == "witnessed by 0 of 0 (none)"
