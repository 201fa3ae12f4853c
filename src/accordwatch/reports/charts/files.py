"""Writing a drawn chart: its PNG and SVG files, readable by their owner only.

A chart may draw confidential figures (a material balance, a declaration's
totals), so its files are written like every other file accordwatch writes:
0600, in folders created 0700 (`accordwatch.private_files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from accordwatch.private_files import make_private_folder, open_private_binary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_DPI = 130
#: the widest a chart is drawn, in inches: 1056 CSS pixels, which the dashboard's content
#: column (1100 pixels at desktop width) shows at full size, never scaled down
PAGE_WIDTH_IN = 11.0
#: the smallest text on a chart, in points, at that width
MIN_TEXT_PT = 9.0


def smallest_text(fig: Figure) -> float:
    """The size in points of the smallest visible, non-empty text of `fig` (tick labels too)."""
    from matplotlib.text import Text

    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return min(sizes, default=MIN_TEXT_PT)


def svg_bytes(fig: Figure) -> bytes:
    """`fig` as SVG (without a date, so that it is reproducible)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def save_chart(fig: Figure, png: Path, svg: Path) -> list[Path]:
    """Write `fig` to `png` and `svg` (the SVG without a date, so that it is reproducible)."""
    make_private_folder(png.parent)
    make_private_folder(svg.parent)
    with open_private_binary(png) as fh:
        fig.savefig(fh, format="png", dpi=PNG_DPI)
    with open_private_binary(svg) as fh:
        fh.write(svg_bytes(fig))
    return [png, svg]
