"""The dashboard's charts can be read at the page's width.

Each chart the dashboard serves (road map timeline, violations by year,
material balance) is drawn no wider than the page shows it, so it is never
scaled down, with no text under 9 pt; its legends lie outside the plotting
area, so they never cover data; dates on an axis are whole, one line each;
the balance periods are labelled by their dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.reports.charts import balance_chart, compliance_chart, files, roadmap_chart
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace

AS_OF = "2021-03-01"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("charts") / "ws"
    main(["demo", "--home", str(log)])
    return Nodes(log).folder("iaea")  # the IAEA's node: it reads the balances


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Figure]]:
    """The figures the charts draw, caught as they are written."""
    figures: list[Figure] = []
    save, svg = files.save_chart, files.svg_bytes

    def catch_save(fig: Figure, *paths: Path) -> list[Path]:
        figures.append(fig)
        return save(fig, *paths)

    def catch_svg(fig: Figure) -> bytes:
        figures.append(fig)
        return svg(fig)

    monkeypatch.setattr(roadmap_chart, "save_chart", catch_save)
    monkeypatch.setattr(compliance_chart, "save_chart", catch_save)
    monkeypatch.setattr(balance_chart, "svg_bytes", catch_svg)
    yield figures


def _chart(home: Path, path: str, **kwargs: Any) -> None:
    # a fresh application: nothing drawn before is kept
    client = TestClient(create_app(Workspace.open(home)))
    response = client.get(path, **kwargs)
    assert response.status_code == 200 and b"<svg" in response.content


def _check_legible(fig: Figure) -> None:
    width, _ = fig.get_size_inches()
    assert width <= files.PAGE_WIDTH_IN
    assert files.smallest_text(fig) >= files.MIN_TEXT_PT
    canvas = FigureCanvasAgg(fig)  # the figure was closed once written: draw it again
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            assert not _overlaps(legend, ax, renderer), "a legend lies on the plot"
    for text in fig.findobj(lambda a: hasattr(a, "get_text")):
        label = text.get_text()  # type: ignore[attr-defined]
        if isinstance(label, str) and any(c.isdigit() for c in label) and "-" in label:
            assert "\n" not in label, label


def _overlaps(legend: Legend, ax: Axes, renderer: Any) -> bool:
    box = legend.get_window_extent(renderer)
    area = ax.get_window_extent(renderer)
    # touching the frame is not covering: a pixel of tolerance
    return bool(
        box.x0 < area.x1 - 1
        and box.x1 > area.x0 + 1
        and box.y0 < area.y1 - 1
        and box.y1 > area.y0 + 1
    )


@pytest.mark.parametrize("as_of", [AS_OF, None])
def test_roadmap_timeline_is_legible(home: Path, drawn: list[Figure], as_of: str | None) -> None:
    _chart(home, "/roadmap.svg", params={"as_of": as_of} if as_of else {})
    assert len(drawn) == 1
    _check_legible(drawn[0])


def test_compliance_chart_is_legible(home: Path, drawn: list[Figure]) -> None:
    _chart(home, "/compliance.svg")
    assert len(drawn) == 1
    _check_legible(drawn[0])


def test_balance_chart_is_legible_and_labels_periods_by_their_dates(
    home: Path, drawn: list[Figure]
) -> None:
    token = (home / "inspectorate.token").read_text().strip()
    client = TestClient(create_app(Workspace.open(home)))
    headers = {"Authorization": f"Bearer {token}"}
    balance = client.get("/safeguards.json", headers=headers).json()["balances"]["balances"][0]
    _chart(
        home,
        "/safeguards.svg",
        params={"mba": balance["mba"], "material": balance["material"]},
        headers=headers,
    )
    assert len(drawn) == 1
    fig = drawn[0]
    _check_legible(fig)
    bottom = fig.axes[3]
    labels = [t.get_text() for t in bottom.get_xticklabels()]
    assert labels == [p["end"] for p in balance["periods"]]
    assert balance["periods"][0]["start"] in bottom.get_xlabel()
