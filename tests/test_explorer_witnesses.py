"""The log explorer's in-browser witness check and kept checkpoints, in Chromium.

The vectors are made with the Python core: a log key, four witnesses (two
Ed25519, two ML-DSA-44) under a policy with a quorum of 3 of 4, and
`MemoryTree`s for the log's histories. The real `explorer.html` is rendered
through the service's Jinja environment and served, with `verify.js`, the
stylesheet and a `/api/log/consistency` answered from the current tree, by a
small `http.server` on 127.0.0.1. The page's verdicts are compared with
`witness_check` on the same notes. Skipped where Chromium or Playwright is
missing, except in CI (`CI=true`), where that fails the run.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import Algorithm, Cosigner
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import MemoryTree, leaf_hash
from accordwatch.log.note import NoteSigner, split_note
from accordwatch.log.policy import Policy, policy_problems
from accordwatch.log.witnessed import witness_check
from accordwatch.service.api.guard import POLICY as CONTENT_POLICY
from accordwatch.service.web.rendering import STATIC, templates
from tests.browser import CHROMIUM, LAUNCH_ARGS, playwright_or_skip

pytestmark = pytest.mark.slow

ORIGIN = "accord.example/log"
LOG = NoteSigner(ORIGIN, SigningKey(bytes([7]) * 32))
#: policy name -> cosigner; the key names differ from the policy's names on purpose
WITNESSES = {
    "dprk": Cosigner("witness.example/dprk", Algorithm.ED25519, bytes([1]) * 32),
    "usa": Cosigner("witness.example/usa", Algorithm.ED25519, bytes([2]) * 32),
    "rok": Cosigner("witness.example/rok", Algorithm.ML_DSA_44, bytes([3]) * 32),
    "iaea": Cosigner("witness.example/iaea", Algorithm.ML_DSA_44, bytes([4]) * 32),
}
#: when each witness cosigns: the quorum of 3 is met at the third of these
TIMES = {"dprk": 1_614_592_800, "usa": 1_614_592_860, "rok": 1_614_592_920, "iaea": 1_614_592_980}
OUTSIDER = Cosigner("witness.example/other", Algorithm.ED25519, bytes([9]) * 32)
ALL = tuple(WITNESSES)


def _policy_text(group: str = "3") -> str:
    lines = ["# the accord's witnesses", f"log {LOG.verifier.text()}", ""]
    lines += [f"witness {name} {c.key.text()}" for name, c in WITNESSES.items()]
    lines += [f"group parties {group} {' '.join(WITNESSES)}", "quorum parties"]
    return "\n".join(lines) + "\n"


POLICY_TEXT = _policy_text()
POLICY = Policy.parse(POLICY_TEXT)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _tree(label: str, size: int) -> MemoryTree:
    return MemoryTree(leaf_hash(f"{label} entry {i}".encode()) for i in range(size))


HISTORY_A, HISTORY_B = _tree("a", 12), _tree("b", 12)


def _note(tree: MemoryTree, size: int, cosigners: tuple[str, ...] = ALL) -> str:
    text = Checkpoint(ORIGIN, size, tree.root(size)).text()
    lines = "".join(WITNESSES[w].line(text, TIMES[w]) for w in cosigners)
    return LOG.sign(text) + lines


def _tampered(note: str, witness: str) -> str:
    """`note` with one bit of `witness`'s cosignature flipped (its timestamp left alone)."""
    name = WITNESSES[witness].name
    out = []
    for line in note.split("\n"):
        if line.startswith(f"\u2014 {name} "):
            raw = bytearray(base64.b64decode(line.split(" ")[2]))
            raw[-1] ^= 1
            line = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}"
        out.append(line)
    return "\n".join(out)


def _retimed(note: str, witness: str) -> str:
    """`note` with `witness`'s cosignature claiming another time than the one it signed."""
    name = WITNESSES[witness].name
    out = []
    for line in note.split("\n"):
        if line.startswith(f"\u2014 {name} "):
            raw = bytearray(base64.b64decode(line.split(" ")[2]))
            raw[4 + 7] ^= 1  # the timestamp's last byte, after the 4-byte key id
            line = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}"
        out.append(line)
    return "\n".join(out)


def _page(
    tree: MemoryTree, size: int, note: str, *, index: int = 3, policy: str | None = POLICY_TEXT
) -> str:
    """The real explorer page for entry `index` of `tree` at `size`, checkpoint `note`."""
    canonical = f"{'a' if tree is HISTORY_A else 'b'} entry {index}".encode()
    leaf = base64.b64encode(leaf_hash(canonical)).decode()
    log: dict[str, Any] = {
        "origin": ORIGIN,
        "size": size,
        "root": _b64(tree.root(size)),
        "log_key": LOG.verifier.text(),
        "checkpoint": note,
    }
    if policy is not None:
        log["policy"] = policy
    data = {
        "log": log,
        "index": index,
        "entry": {
            "index": index,
            "signed_at": "2021-03-01T10:00:00Z",
            "record_type": "statement",
            "party": "usa",
            "leaf_hash": leaf,
            "confidential": False,
            "commitment": None,
            "readable": True,
            "payload": {"subject": "entry", "text": canonical.decode()},
            "readers": "anyone",
            "canonical": _b64(canonical),
        },
        "receipt": {
            "index": index,
            "tree_size": size,
            "leaf_hash": leaf,
            "proof": [_b64(p) for p in tree.inclusion_proof(index, size)],
            "checkpoint": note,
        },
    }
    request = SimpleNamespace(url=SimpleNamespace(path="/explorer", query=f"index={index}"))
    template = templates.env.get_template("explorer.html")
    return template.render(data=data, twin="/explorer.json", visitor=None, request=request)


@dataclass
class FakeLog:
    """What the test server answers: pages by path and the log's current history."""

    base: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    tree: MemoryTree = field(default_factory=lambda: HISTORY_A)
    asked: list[tuple[int, int]] = field(default_factory=list)

    def show(self, name: str, html: str) -> str:
        self.pages[f"/{name}"] = html
        return f"{self.base}/{name}"

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        self.asked.append((first, second))
        return {
            "first": first,
            "second": second,
            "proof": [_b64(p) for p in self.tree.consistency_proof(first, second)],
            "first_root": _b64(self.tree.root(first)),
            "second_root": _b64(self.tree.root(second)),
        }


def _handler(log: FakeLog) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in log.pages:
                self._send(200, "text/html; charset=utf-8", log.pages[url.path].encode())
            elif url.path.startswith("/static/") and (STATIC / url.path[8:]).is_file():
                kind = "text/css" if url.path.endswith(".css") else "text/javascript"
                self._send(200, kind, (STATIC / url.path[8:]).read_bytes())
            elif url.path == "/api/log/consistency":
                query = parse_qs(url.query)
                first, second = int(query["first"][0]), int(query["second"][0])
                if not 0 < first < second <= log.tree.size:
                    self._send(404, "application/json", b'{"title": "no such sizes"}')
                    return
                body = json.dumps(log.consistency(first, second)).encode()
                self._send(200, "application/json", body)
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            # the service's policy: the page must keep working under it
            self.send_header("Content-Security-Policy", CONTENT_POLICY)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLog]:
    playwright_or_skip()
    log = FakeLog()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(log))
    log.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield log
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: FakeLog) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any, server: FakeLog) -> Iterator[Any]:
    """A fresh browser profile (its own localStorage), the log back on its first history."""
    server.tree = HISTORY_A
    server.asked.clear()
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@dataclass
class Checked:
    verdict: str
    verdict_class: str
    steps: list[tuple[str, str]]
    #: the witnesses table: (witness, algorithm, cosigned)
    table: list[tuple[str, str, str]]
    kept: dict[str, Any] | None
    #: the fork box's text, empty when it is hidden
    fork: str
    errors: list[str]

    def failed(self) -> list[str]:
        return [text for kind, text in self.steps if kind == "no"]

    def step(self, start: str) -> str:
        found = [text for _, text in self.steps if text.startswith(start)]
        assert len(found) == 1, (start, self.steps)
        return found[0]


def _check(context: Any, url: str) -> Checked:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    checked = _read(page, errors)
    page.close()
    return checked


def _read(page: Any, errors: list[str]) -> Checked:
    page.wait_for_selector("#verdict.verified, #verdict.failed", timeout=15_000)
    steps = page.eval_on_selector_all(
        "#steps li", "items => items.map(li => [li.className, li.textContent])"
    )
    table = page.eval_on_selector_all(
        "#witnesses tbody tr",
        "rows => rows.map(r => Array.from(r.children, td => td.textContent))",
    )
    kept = page.evaluate(f"localStorage.getItem('accordwatch:checkpoint:{ORIGIN}')")
    return Checked(
        verdict=page.inner_text("#verdict"),
        verdict_class=page.get_attribute("#verdict", "class") or "",
        steps=[(k, t) for k, t in steps],
        table=[(w, a, c) for w, a, c in table],
        kept=json.loads(kept) if kept else None,
        fork=page.text_content("#fork") if page.is_visible("#fork") else "",
        errors=errors,
    )


def _iso(seconds: int) -> str:
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%SZ}"


# -- witnesses -----------------------------------------------------------------------


def test_four_cosignatures_meet_the_quorum(server: FakeLog, context: Any) -> None:
    note = _note(HISTORY_A, 9)
    got = _check(context, server.show("all-four", _page(HISTORY_A, 9, note)))
    expected = witness_check(note, POLICY).summary()
    assert expected == f"witnessed by 4 of 4 (dprk, iaea, rok, usa) by {_iso(TIMES['rok'])}"
    assert got.verdict_class == "verdict verified", got.steps
    assert got.verdict.startswith("verified: entry 3 is in the log") and expected in got.verdict
    assert got.step("witnessed by") == f"{expected} — quorum: 3 of dprk, usa, rok, iaea"
    for name, cosigner in WITNESSES.items():
        algorithm = "Ed25519" if cosigner.algorithm is Algorithm.ED25519 else "ML-DSA-44"
        line = got.step(f"{algorithm} cosignature of witness {name} ({cosigner.name})")
        assert line.endswith(f"verifies: signed at {_iso(TIMES[name])}")
    assert got.table == [
        ("dprk", "Ed25519", _iso(TIMES["dprk"])),
        ("usa", "Ed25519", _iso(TIMES["usa"])),
        ("rok", "ML-DSA-44", _iso(TIMES["rok"])),
        ("iaea", "ML-DSA-44", _iso(TIMES["iaea"])),
    ]
    assert got.failed() == [] and got.errors == []
    assert got.kept is not None and got.kept["size"] == 9 and got.kept["note"] == note


def test_two_cosignatures_are_not_witnessed_until_the_policy_asks_for_two(
    server: FakeLog, context: Any
) -> None:
    note = _note(HISTORY_A, 9, ("usa", "iaea"))
    url = server.show("two", _page(HISTORY_A, 9, note))
    got = _check(context, url)
    expected = witness_check(note, POLICY).summary()
    assert expected.startswith("NOT witnessed: cosigned by 2 of 4 (iaea, usa)")
    assert got.verdict_class == "verdict failed"
    assert got.verdict.startswith("NOT witnessed") and "verified" not in got.verdict
    assert got.step("NOT witnessed") == expected
    assert ("dprk", "Ed25519", "did not cosign") in got.table
    assert got.step("ML-DSA-44 witness rok (witness.example/rok) did not cosign")
    assert ("iaea", "ML-DSA-44", _iso(TIMES["iaea"])) in got.table
    assert got.kept is None, "a checkpoint that is not witnessed is not kept"
    assert got.errors == []

    # the visitor checks against a policy got elsewhere: two of the four suffice there
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#verdict.failed", timeout=15_000)
    assert page.get_attribute("#policy", "readonly") is not None
    page.click("#edit-policy")
    page.fill("#policy", _policy_text("2"))
    page.click("#verify-again")
    page.wait_for_selector("#verdict.verified", timeout=15_000)
    assert "witnessed by 2 of 4 (iaea, usa)" in page.inner_text("#verdict")
    page.close()


@pytest.mark.parametrize("witness", ["usa", "iaea"])
def test_a_tampered_cosignature_fails(server: FakeLog, context: Any, witness: str) -> None:
    note = _tampered(_note(HISTORY_A, 9), witness)
    with pytest.raises(VerificationError, match="does not verify"):
        witness_check(note, POLICY)
    got = _check(context, server.show(f"tampered-{witness}", _page(HISTORY_A, 9, note)))
    assert got.verdict_class == "verdict failed" and got.verdict.startswith("failed")
    name = WITNESSES[witness].name
    assert [s for s in got.failed() if "cosignature" in s] == [
        f"{'Ed25519' if witness == 'usa' else 'ML-DSA-44'} cosignature of witness "
        f"{witness} ({name}) does not verify"
    ]
    assert (witness, got.table[ALL.index(witness)][1], "cosignature does not verify") in got.table
    assert got.kept is None and got.errors == []


def test_without_a_policy_the_checkpoint_is_only_the_logs_word(
    server: FakeLog, context: Any
) -> None:
    note = _note(HISTORY_A, 9)
    got = _check(context, server.show("no-policy", _page(HISTORY_A, 9, note, policy=None)))
    assert got.verdict.startswith("verified against the log's key only")
    assert "NOT witnessed (no witness policy)" in got.verdict
    assert "unwitnessed" in got.verdict_class
    assert got.step("not witnessed: there is no witness policy")
    assert got.table == [] and got.failed() == [] and got.errors == []


# -- what the JavaScript accepts is what the Python core accepts ---------------------


def _vectors() -> dict[str, str]:
    full = _note(HISTORY_A, 9)
    text, _ = split_note(full)
    other_text = Checkpoint(ORIGIN, 8, HISTORY_A.root(8)).text()
    wrong_checkpoint = (
        LOG.sign(text)
        + WITNESSES["dprk"].line(other_text, TIMES["dprk"])
        + "".join(WITNESSES[w].line(text, TIMES[w]) for w in ("usa", "rok"))
    )
    return {
        "all": full,
        "three": _note(HISTORY_A, 9, ("dprk", "rok", "iaea")),
        "ml-dsa-only": _note(HISTORY_A, 9, ("rok", "iaea")),
        "none": _note(HISTORY_A, 9, ()),
        "outsider": _note(HISTORY_A, 9, ("usa", "rok", "iaea")) + OUTSIDER.line(text, 1),
        "tampered-ed25519": _tampered(full, "dprk"),
        "tampered-ml-dsa": _tampered(full, "rok"),
        "retimed-ed25519": _retimed(full, "usa"),
        "retimed-ml-dsa": _retimed(full, "iaea"),
        "ed25519-on-another-checkpoint": wrong_checkpoint,
    }


def _python_rows(note: str) -> list[tuple[str, str, str]]:
    """The witnesses table as the Python core sees the note, line by line."""
    text, sigs = split_note(note)
    rows = []
    for witness in POLICY.witnesses:
        cosigned = "did not cosign"
        for sig in sigs:
            if witness.key.matches(sig):
                try:
                    cosigned = _iso(witness.key.verify(text, sig))
                except VerificationError as exc:
                    cosigned = "cosignature " + exc.message.split(f"{witness.key.name} ", 1)[1]
                break
        algorithm = "Ed25519" if witness.key.algorithm is Algorithm.ED25519 else "ML-DSA-44"
        rows.append((witness.name, algorithm, cosigned))
    return rows


def test_the_browser_accepts_the_cosignatures_the_python_core_accepts(
    server: FakeLog, browser: Any
) -> None:
    outcomes = []
    for name, note in _vectors().items():
        try:
            python = witness_check(note, POLICY).summary()
        except VerificationError:
            python = "rejected"
        context = browser.new_context()
        got = _check(context, server.show(f"vector-{name}", _page(HISTORY_A, 9, note)))
        context.close()
        rejected = [s for s in got.failed() if "cosignature of witness" in s]
        quorum = [t for _, t in got.steps if "witnessed by" in t or t.startswith("NOT witnessed")]
        js = "rejected" if rejected else quorum[0].split(" — quorum: ")[0]
        assert got.errors == [], name
        outcomes.append((name, python, js, _python_rows(note), got.table))
    for name, python, js, python_rows, js_rows in outcomes:
        assert js == python, name
        assert js_rows == python_rows, name
    assert {name for name, python, *_ in outcomes if python == "rejected"} == {
        "tampered-ed25519",
        "tampered-ml-dsa",
        "retimed-ed25519",
        "retimed-ml-dsa",
        "ed25519-on-another-checkpoint",
    }


# -- the checkpoints this browser keeps ----------------------------------------------


def test_a_kept_checkpoint_then_consistent_larger_and_smaller_ones(
    server: FakeLog, context: Any
) -> None:
    at4 = _check(context, server.show("at-4", _page(HISTORY_A, 4, _note(HISTORY_A, 4))))
    assert at4.step("this browser has not kept a checkpoint")
    assert at4.kept is not None and at4.kept["size"] == 4
    seen4 = at4.kept["seen"]

    # from a power of two the proof leaves the first root out: the verifier supplies it
    at9 = _check(context, server.show("at-9", _page(HISTORY_A, 9, _note(HISTORY_A, 9))))
    assert at9.verdict_class == "verdict verified", at9.steps
    assert at9.step(f"consistent with the checkpoint of size 4 this browser saw on {seen4}")
    assert at9.kept is not None and at9.kept["size"] == 9
    root9 = base64.b64encode(HISTORY_A.root(9)).decode()
    assert at9.kept["root"] == root9

    at5 = _check(context, server.show("at-5", _page(HISTORY_A, 5, _note(HISTORY_A, 5))))
    assert at5.verdict_class == "verdict verified", at5.steps
    assert at5.step("consistent with the checkpoint of size 9 this browser saw on")
    assert at5.kept is not None and at5.kept["size"] == 9, "never moved back"

    again = _check(context, server.show("at-9", _page(HISTORY_A, 9, _note(HISTORY_A, 9))))
    assert again.step("the same checkpoint (size 9) this browser saw on")
    assert server.asked == [(4, 9), (5, 9)]
    assert [c.errors for c in (at4, at9, at5, again)] == [[], [], [], []]


def test_two_roots_for_one_size_are_a_fork(server: FakeLog, context: Any) -> None:
    first = _note(HISTORY_A, 9)
    assert _check(context, server.show("a-9", _page(HISTORY_A, 9, first))).kept is not None
    other = _note(HISTORY_B, 9)
    got = _check(context, server.show("b-9", _page(HISTORY_B, 9, other)))
    _assert_fork(got, first, other)
    assert got.step("FORK: this log showed this browser two histories: the checkpoint of size 9")


def test_a_larger_checkpoint_the_log_cannot_prove_consistent_is_a_fork(
    server: FakeLog, context: Any
) -> None:
    first = _note(HISTORY_A, 5)
    assert _check(context, server.show("a-5", _page(HISTORY_A, 5, first))).kept is not None
    server.tree = HISTORY_B  # the log now serves another history
    other = _note(HISTORY_B, 9)
    got = _check(context, server.show("b-9", _page(HISTORY_B, 9, other)))
    _assert_fork(got, first, other)
    assert got.step("FORK: this log showed this browser two histories: the log cannot prove")
    assert server.asked == [(5, 9)]


def _assert_fork(got: Checked, kept: str, shown: str) -> None:
    assert got.verdict_class == "verdict failed"
    assert got.verdict.startswith("FORK: this log showed this browser two histories")
    assert got.kept is not None and got.kept["note"] == kept, "the kept checkpoint stays"
    # both checkpoints are on the page, as evidence
    assert got.fork.startswith("FORK: this log showed this browser two histories")
    assert kept.strip() in got.fork and shown.strip() in got.fork
    assert got.errors == []


# -- the pieces, against the Python core ---------------------------------------------


def _pieces(context: Any, server: FakeLog) -> Any:
    """A checked page, whose `accordwatchExplorer` holds the script's pieces."""
    page = context.new_page()
    page.goto(server.show("pieces", _page(HISTORY_A, 9, _note(HISTORY_A, 9))))
    page.wait_for_selector("#verdict.verified", timeout=15_000)
    return page


def test_consistency_proofs_agree_with_the_python_core(server: FakeLog, context: Any) -> None:
    tree = MemoryTree(leaf_hash(str(i).encode()) for i in range(33))
    roots = [_b64(tree.root(size)) if size else "" for size in range(tree.size + 1)]
    vectors = [
        [m, n, roots[m], roots[n], [_b64(p) for p in tree.consistency_proof(m, n)]]
        for n in range(2, tree.size + 1)
        for m in range(1, n)
    ]
    page = _pieces(context, server)
    # each vector verifies, and fails once its first root, a proof hash or its length is off
    outcome = page.evaluate(
        """async (vectors) => {
          const check = window.accordwatchExplorer.verifyConsistency;
          const d = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const flip = (b) => { const c = b.slice(); c[0] ^= 1; return c; };
          const wrong = [];
          for (const [m, n, r1, r2, p] of vectors) {
            const proof = p.map(d);
            const tries = [
              [true, d(r1), proof], [false, flip(d(r1)), proof],
              [false, d(r1), [flip(proof[0]), ...proof.slice(1)]],
              [false, d(r1), proof.slice(0, -1)], [false, d(r1), [...proof, proof[0]]],
            ];
            for (const [good, root, path] of tries) {
              const ok = await check(m, n, root, d(r2), path).then(() => true, () => false);
              if (ok !== good) wrong.push([m, n, good]);
            }
          }
          return wrong;
        }""",
        vectors,
    )
    page.close()
    assert len(vectors) == 528
    assert outcome == []


_KEYS = {name: c.key.text() for name, c in WITNESSES.items()}
POLICIES = {
    "the accord's": POLICY_TEXT,
    "none": "quorum none\n",
    "nested, tabs and comments": (
        f"  # two levels\nwitness a\t{_KEYS['dprk']}\nwitness b {_KEYS['rok']} https://w.example/b\n"
        f"witness c {_KEYS['usa']}\ngroup ab any a b\ngroup top all ab c\n\t\nquorum top"
    ),
    "one witness": f"witness a {_KEYS['iaea']}\nquorum a\n",
    "no quorum": f"witness a {_KEYS['iaea']}\n",
    "two quorums": f"witness a {_KEYS['iaea']}\nquorum a\nquorum none\n",
    "quorum of an unknown name": f"witness a {_KEYS['iaea']}\nquorum b\n",
    "group of a later name": f"group g any a\nwitness a {_KEYS['iaea']}\nquorum g\n",
    "a member of two groups": (
        f"witness a {_KEYS['usa']}\nwitness b {_KEYS['rok']}\n"
        "group g any a b\ngroup h any a\nquorum g\n"
    ),
    "a member twice": f"witness a {_KEYS['usa']}\ngroup g 1 a a\nquorum g\n",
    "threshold above the members": f"witness a {_KEYS['usa']}\ngroup g 2 a\nquorum g\n",
    "threshold 0": f"witness a {_KEYS['usa']}\ngroup g 0 a\nquorum g\n",
    "a witness named none": f"witness none {_KEYS['usa']}\nquorum none\n",
    "a name twice": f"witness a {_KEYS['usa']}\nwitness a {_KEYS['rok']}\nquorum a\n",
    "a key twice": f"witness a {_KEYS['usa']}\nwitness b {_KEYS['usa']}\nquorum a\n",
    "a log key as a witness's": f"witness a {LOG.verifier.text()}\nquorum a\n",
    "a witness key as the log's": f"log {_KEYS['usa']}\nquorum none\n",
    "a key id that does not match": (
        f"witness a {_KEYS['usa'].replace(_KEYS['usa'].split('+')[1], '00000000')}\nquorum a\n"
    ),
    "an unknown keyword": "witnesses a b\nquorum none\n",
    "a control character": "# bell \x07\nquorum none\n",
}


def test_policies_are_read_as_the_python_core_reads_them(server: FakeLog, context: Any) -> None:
    page = _pieces(context, server)
    for name, text in POLICIES.items():
        js = page.evaluate(
            """async (text) => {
              const pieces = window.accordwatchExplorer;
              try {
                const policy = await pieces.parsePolicy(text);
                return "quorum: " + pieces.describe(policy, policy.quorum);
              } catch (err) { return "refused: " + err.message; }
            }""",
            text,
        )
        problems = policy_problems(text)
        if not problems:
            assert js == f"quorum: {Policy.parse(text).describe_quorum()}", name
        else:
            line = problems[0][0]
            where = f"policy line {line}:" if line <= text.count("\n") else "the policy has no"
            assert js.startswith(f"refused: {where}"), (name, js, problems)
    page.close()
    assert sum(1 for t in POLICIES.values() if not policy_problems(t)) == 4


def test_without_a_consistency_proof_a_new_checkpoint_is_not_trusted(
    server: FakeLog, context: Any
) -> None:
    first = _note(HISTORY_A, 5)
    assert _check(context, server.show("a-5", _page(HISTORY_A, 5, first))).kept is not None
    server.tree = _tree("a", 6)  # the server's log is behind the page's checkpoint: a 404
    got = _check(context, server.show("a-9", _page(HISTORY_A, 9, _note(HISTORY_A, 9))))
    assert got.verdict_class == "verdict failed" and got.verdict.startswith("failed")
    assert got.step("could not get the log's consistency proof from size 5 to 9")
    assert got.fork == "" and got.kept is not None and got.kept["note"] == first
    assert [e for e in got.errors if "404" not in e] == [] and len(got.errors) == 1
