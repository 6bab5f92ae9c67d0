"""The intraday demo dataset: synthetic 5-minute bars, regular and extended hours.

SPY, BABA and NVDA on the 60 New York sessions from 2025-02-03 to 2025-04-29, every
5-minute bar from 04:00 to 20:00 (pre-market, regular session, post-market), generated
from a fixed seed by a one-factor model with Student-t (4 df) shocks:

======  ===========  ======================  =====================  =================
ticker  market beta  shock, regular bar      shock, extended bar    shock, 04:00 bar
======  ===========  ======================  =====================  =================
SPY     1.0          0.10% (the market)      0.04%                  0.50%
BABA    0.9          0.20%                   0.08%                  0.80%
NVDA    1.7          0.25%                   0.10%                  0.80%
======  ===========  ======================  =====================  =================

The first bar of each session (04:00) carries the night's news, so its shocks are the
largest; with ``session: regular`` the night, the pre-market and the post-market all
fall into the 09:30 overnight bar. A few extended-hours bars of BABA are missing, as in
thin pre-market trading.

Jumps are planted in the security's return on one bar for each of the three timed demo
events of ``examples/intraday.yaml`` (:data:`PLANTED_JUMPS`):

* ``demo-midday`` 2025-03-26 11:02 ET, in regular hours: NVDA +1.5% on the 11:00 bar;
* ``demo-premarket`` 2025-04-02 07:15 ET, before the open: BABA +4% on the 07:15 bar,
  so bar 0 is the 07:15 bar with ``session: extended`` and the 09:30 overnight bar
  with ``session: regular``;
* ``demo-afterclose`` 2025-04-09 16:20 ET, after the close: NVDA -3% on the 16:20 bar
  (extended), which a regular-session study sees in the next morning's 09:30 bar.

BABA on ``demo-midday`` and NVDA on ``demo-premarket`` have no jump: they show what a
null looks like. Everything made from these bars is labelled SYNTHETIC.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.data.demo import heavy_tailed
from eventstudy.intraday.bars import bar_grid
from eventstudy.intraday.sources import BarTable, bar_table

SEED = 20250326
FIRST_SESSION = date(2025, 2, 3)
LAST_SESSION = date(2025, 4, 29)
DEMO_TICKERS = ("SPY", "BABA", "NVDA")
# (beta, regular-bar vol, extended-bar vol, overnight (04:00) vol, start price)
_LOADINGS = {
    "SPY": (1.0, 0.0010, 0.0004, 0.0050, 580.0),
    "BABA": (0.9, 0.0020, 0.0008, 0.0080, 130.0),
    "NVDA": (1.7, 0.0025, 0.0010, 0.0080, 120.0),
}
PLANTED_JUMPS: dict[tuple[str, str], float] = {
    ("NVDA", "2025-03-26T11:00:00-04:00"): 0.015,  # demo-midday
    ("BABA", "2025-04-02T07:15:00-04:00"): 0.04,  # demo-premarket
    ("NVDA", "2025-04-09T16:20:00-04:00"): -0.03,  # demo-afterclose
}
"""Jump added to the security's return, by (ticker, bar start in New York time)."""
_MISSING_SHARE_BABA = 0.03


@lru_cache(maxsize=1)
def demo_bars() -> pd.DataFrame:
    """The demo closes: tz-naive UTC bar starts, one column per :data:`DEMO_TICKERS`."""
    grid = bar_grid("XNYS", "5m", "extended", FIRST_SESSION, LAST_SESSION)
    n = len(grid.starts)
    rng = np.random.default_rng(SEED)
    regular = np.zeros(n, dtype=bool)
    local = grid.clock
    regular[(local >= 9 * 60 + 30) & (local < 16 * 60)] = True

    def scale(vols: tuple[float, float, float]) -> np.ndarray:
        reg, ext, night = vols
        return np.where(grid.overnight, night, np.where(regular, reg, ext))

    market = scale(_LOADINGS["SPY"][1:4]) * heavy_tailed(rng, n)
    returns = {"SPY": market}
    for ticker in ("BABA", "NVDA"):
        beta, *vols, _ = _LOADINGS[ticker]
        returns[ticker] = beta * market + scale(tuple(vols)) * heavy_tailed(rng, n)
    stamps = pd.DatetimeIndex(grid.starts)
    for (ticker, when), jump in PLANTED_JUMPS.items():
        at = stamps.get_loc(pd.Timestamp(when).tz_convert("UTC").tz_localize(None))
        returns[ticker][at] += jump
    closes = pd.DataFrame(
        {t: _LOADINGS[t][4] * np.cumprod(1.0 + returns[t]) for t in DEMO_TICKERS}, index=stamps
    )
    planted = np.zeros(n, dtype=bool)
    for _, when in PLANTED_JUMPS:
        at = stamps.get_loc(pd.Timestamp(when).tz_convert("UTC").tz_localize(None))
        planted[max(at - 2, 0) : at + 3] = True
    thin = (rng.random(n) < _MISSING_SHARE_BABA) & ~regular & ~grid.overnight & ~planted
    closes.loc[thin, "BABA"] = np.nan
    closes.index.name = "timestamp"
    return closes.round(4)


class DemoBarSource:
    """The synthetic intraday demo bars (see the module docstring); 5-minute bars only."""

    name = "demo"
    synthetic = True

    def __init__(self, interval: str = "5m") -> None:
        if interval != "5m":
            raise EventStudyError(
                f"the intraday demo data has 5-minute bars, not {interval}: use interval 5m",
                field="interval",
            )

    def load_bars(self, tickers: list[str], start: date, end: date) -> BarTable:
        """Demo closes of the known tickers among ``tickers`` over ``start .. end``."""
        frame = demo_bars()
        series = {t: frame[t] for t in frame.columns}
        return bar_table(
            series, tickers, start, end, self.name,
            detail=f"SYNTHETIC intraday demo data, seed {SEED}", synthetic=True,
        )  # fmt: skip
