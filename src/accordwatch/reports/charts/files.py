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


def save_chart(fig: Figure, png: Path, svg: Path) -> list[Path]:
    """Write `fig` to `png` and `svg` (the SVG without a date, so that it is reproducible)."""
    make_private_folder(png.parent)
    make_private_folder(svg.parent)
    with open_private_binary(png) as fh:
        fig.savefig(fh, format="png", dpi=PNG_DPI)
    with open_private_binary(svg) as fh:
        fig.savefig(fh, format="svg", metadata={"Date": None})
    return [png, svg]
