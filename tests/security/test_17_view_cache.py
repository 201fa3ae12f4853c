"""Item 17: expensive anonymous views are computed once per signed checkpoint.

An anonymous visitor asking again and again for `/compliance.json`,
`/overview.json`, `/compliance.svg` or `/roadmap.svg` (and the API's
evaluations) made the server read and evaluate the whole log each time.
Now a repeated request at the same checkpoint reads nothing from the log and
draws nothing: it is answered from the view cache. A new entry (a new signed
checkpoint) and a new day (`as_of` defaults to today) give a fresh answer.
What a signed-in inspectorate was shown is never served to anyone else.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.service.api.app import create_app
from accordwatch.service.view_cache import ViewCache
from accordwatch.service.web import accord_pages
from accordwatch.sources.snapshot import Snapshot
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log

EXPENSIVE = (
    "/compliance.json",
    "/overview.json",
    "/compliance.svg",
    "/roadmap.svg",
    "/roadmap.json",
    "/",
    "/compliance",
    "/roadmap",
    "/api/compliance/violations",
    "/api/compliance/report",
    "/api/roadmap/status",
    "/api/compliance/responses",
)
#: the clock the service reads: the demo's events are known from today on
NOW = utc_now()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "ws"
    main(["demo", "--home", str(home)])
    return home


class Counter:
    """How often views read the log's payloads and draw charts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        self.charts = 0
        payloads = Snapshot.payloads

        def counted_payloads(snapshot: Snapshot, types: tuple[str, ...]) -> Any:
            self.reads += 1
            return payloads(snapshot, types)

        monkeypatch.setattr(Snapshot, "payloads", counted_payloads)
        for name in ("draw_roadmap", "draw_compliance"):
            monkeypatch.setattr(accord_pages, name, self._counting(getattr(accord_pages, name)))

    def _counting(self, draw: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.charts += 1
            return draw(*args, **kwargs)

        return counted

    def work(self) -> tuple[int, int]:
        return self.reads, self.charts


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    yield Counter(monkeypatch)


def test_a_repeated_anonymous_request_is_served_from_the_cache(
    demo: Path, counter: Counter
) -> None:
    with TestClient(create_app(Workspace.open(demo), clock=lambda: NOW)) as client:
        for path in EXPENSIVE:
            first = client.get(path)
            assert first.status_code == 200, (path, first.text)
            done = counter.work()
            for _ in range(3):
                again = client.get(path)
                assert again.status_code == 200
                assert again.content == first.content, path
                assert again.headers["content-type"] == first.headers["content-type"]
            assert counter.work() == done, f"{path} was computed again at the same checkpoint"


def test_charts_and_pages_share_one_evaluation(demo: Path, counter: Counter) -> None:
    with TestClient(create_app(Workspace.open(demo), clock=lambda: NOW)) as client:
        assert client.get("/compliance.json").status_code == 200
        reads = counter.reads
        assert client.get("/compliance.svg").status_code == 200
        assert client.get("/compliance").status_code == 200
        assert counter.work() == (reads, 1), "the chart reuses the page's evaluation"


def test_a_new_checkpoint_or_a_new_day_gives_a_fresh_answer(
    demo: Path, tmp_path: Path, counter: Counter
) -> None:
    today = [NOW]
    ws = Workspace.open(demo)
    with TestClient(create_app(ws, clock=lambda: today[0])) as client:
        first = client.get("/overview.json").json()
        assert first["as_of"] == NOW.date().isoformat()
        client.get("/overview.json")
        client.get("/roadmap.svg")
        done = counter.work()
        assert client.get("/roadmap.svg").status_code == 200
        assert counter.work() == done

        # the next day: `as_of` defaults to it, so the answer is not yesterday's
        today[0] += timedelta(days=1)
        tomorrow = (NOW + timedelta(days=1)).date().isoformat()
        assert client.get("/overview.json").json()["as_of"] == tomorrow
        assert counter.reads > done[0]

        # a new entry signs a new checkpoint: the cached views are not served for it
        Log.open(ws).statement(ws.settings.registrar, "a new checkpoint")
        done = counter.work()
        fresh = client.get("/overview.json").json()
        assert fresh["log"]["size"] == first["log"]["size"] + 1
        assert counter.reads > done[0]
        assert client.get("/roadmap.svg").status_code == 200
        assert counter.charts == done[1] + 1


def _confidential_rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in page["declarations"] if d["confidential"]]


def test_confidential_views_never_cross_readers(demo: Path) -> None:
    # on the IAEA's node, which opens what is sealed to the IAEA, with a token of that node
    node = Nodes(demo).folder("iaea")
    token = (node / "inspectorate.token").read_text().strip()
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(Workspace.open(node))) as client:
        # the inspectorate reads first, signed in to the dashboard (its cookie) ...
        client.cookies.set("accordwatch_token", token)
        iaea = client.get("/declarations.json").json()
        first = _confidential_rows(iaea)[0]["index"]
        iaea_one = client.get("/declarations.json", params={"index": first}).json()
        iaea_safeguards = client.get("/safeguards.json").json()
        chart = client.get("/safeguards.svg", params={"mba": "yb-pu-store"})
        page = client.get("/declarations", params={"index": first})
        client.cookies.clear()
        # ... and over the API
        iaea_balances = client.get("/api/verification/balances", headers=bearer).json()
        assert all(d["readable"] for d in _confidential_rows(iaea))
        assert iaea_one["selected"]["readable"] and iaea_one["selected"]["header"]
        assert iaea_safeguards["balances"]["balances"] and iaea_balances["items"]
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        header = iaea_one["selected"]["header"]

        # then the same requests without a token: nothing of what the inspectorate saw
        anonymous = client.get("/declarations.json").json()
        rows = _confidential_rows(anonymous)
        assert rows and not any(d["readable"] for d in rows)
        assert not any("id" in d or "as_of" in d for d in rows)
        one = client.get("/declarations.json", params={"index": first}).json()
        assert not one["selected"]["readable"] and "header" not in one["selected"]
        html = client.get("/declarations", params={"index": first})
        assert html.status_code == 200 and page.status_code == 200
        for value in header.values():
            if len(value) > 6:
                assert value not in html.text
        assert client.get("/safeguards.json").json()["balances"]["balances"] == []
        assert client.get("/api/verification/balances").json()["items"] == []
        refused = client.get("/safeguards.svg", params={"mba": "yb-pu-store"})
        assert refused.status_code == 404

    # a public page kept for anonymous visitors never carries a signed-in visitor's header
    with TestClient(create_app(Workspace.open(node), clock=lambda: NOW)) as client:
        for path in ("/", "/compliance", "/roadmap"):
            client.cookies.set("accordwatch_token", token)
            assert "reading as <strong>iaea</strong>" in client.get(path).text
            client.cookies.clear()
            assert "reading as" not in client.get(path).text
            client.cookies.set("accordwatch_token", token)
            assert "reading as <strong>iaea</strong>" in client.get(path).text
            client.cookies.clear()

    # the other way round, on a fresh cache: the inspectorate is not served the public view
    with TestClient(create_app(Workspace.open(node))) as client:
        assert not any(
            d["readable"] for d in _confidential_rows(client.get("/declarations.json").json())
        )
        signed_in = client.get("/declarations.json", headers=bearer).json()
        assert all(d["readable"] for d in _confidential_rows(signed_in))


def _constant(value: object, _log: Snapshot) -> object:
    return value


def test_the_cache_is_bounded_and_keeps_only_the_latest_checkpoint(demo: Path) -> None:
    ws = Workspace.open(demo)
    ledger = ws.ledger()
    cache = ViewCache(max_bytes=100, max_objects=3)
    log = Snapshot.latest(ledger)

    def view(name: str, value: object, *params: int) -> object:
        return cache.view(log, name, params, None, functools.partial(_constant, value))

    # evaluations (objects): counted
    for i in range(5):
        assert view("object", i, i) == i
    assert cache.computed == 5
    assert view("object", -1, 4) == 4  # kept
    assert view("object", -1, 0) == -1  # least recently used: out
    # answers (bytes): weighed
    for i in range(3):
        assert view("answer", bytes(40), i) == bytes(40)
    assert cache.encoded_bytes == 80
    assert view("answer", b"again", 0) == b"again"  # pushed out by the third
    assert view("huge", bytes(101)) == bytes(101)  # answered, not kept
    assert cache.encoded_bytes == 85 and len(cache) == 3 + 3

    def fails(_log: Snapshot) -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.view(log, "failing", (), None, fails)
    assert view("failing", 7) == 7  # a failure is not kept

    Log.open(ws).statement(ws.settings.registrar, "the next checkpoint")
    newer = Snapshot.latest(ledger)
    assert cache.view(newer, "object", (4,), None, functools.partial(_constant, 44)) == 44
    assert len(cache) == 1 and cache.encoded_bytes == 0, "older checkpoints are forgotten"
    # a request still reading the older checkpoint is answered, and nothing is kept for it
    assert view("object", 8, 8) == 8
    assert len(cache) == 1


def test_concurrent_requests_compute_a_view_once(demo: Path) -> None:
    log = Snapshot.latest(Workspace.open(demo).ledger())
    cache = ViewCache()
    calls: list[int] = []
    start = threading.Barrier(8)

    def slow(_log: Snapshot) -> str:
        calls.append(1)
        time.sleep(0.2)
        return "drawn"

    def request() -> str:
        start.wait()
        return cache.view(log, "chart", (), None, slow)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: request(), range(8)))
    assert answers == ["drawn"] * 8 and len(calls) == 1


def test_a_signed_in_readers_view_is_computed_every_time(demo: Path) -> None:
    # What a token holder reads may hold confidential payloads: each is opened (and
    # written to the access log) for the request that reads it, never served from a cache.
    from accordwatch.log.access import Reader
    from accordwatch.log.roles import Role

    ledger = Workspace.open(demo).ledger()
    cache = ViewCache()
    log = Snapshot.latest(ledger)
    iaea = Reader("iaea", Role.INSPECTORATE)
    calls: list[int] = []

    def compute(_log: Snapshot) -> int:
        calls.append(1)
        return len(calls)

    assert [cache.view(log, "declarations", (), iaea, compute) for _ in range(3)] == [1, 2, 3]
    assert len(cache) == 0
