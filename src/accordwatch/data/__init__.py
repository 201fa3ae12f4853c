"""Data files shipped with accordwatch, among them:

- `unsc-dprk-obligations.yaml`: the DPRK's conduct obligations under the UN
  Security Council resolutions 1695 to 2397, written from public summaries
  (sources named in the file);
- `demo-events.json`: a few DPRK launches and nuclear tests, and every launch
  of 2019, for the demo and the tutorial, citing their sources;
- `measurement_methods.yaml`: the measurement error table of
  `accordwatch.safeguards.measurement`.
"""

from __future__ import annotations

from importlib.resources import files

DEMO_EVENTS = "demo-events.json"


def data_text(name: str) -> str:
    """The text of a data file of this package."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
