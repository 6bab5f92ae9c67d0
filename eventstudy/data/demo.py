"""The built-in demo dataset: synthetic, deterministic daily prices, no network.

Five tickers (SPY, KWEB, BABA, MPNGY, NVDA) on New York sessions from 2021-01-04 to
2025-12-31, generated from a fixed seed by a two-factor model with heavy-tailed
(Student t, 4 degrees of freedom) shocks:

=======  ===========  ===========  ===================
ticker   market beta  China beta   idiosyncratic vol
=======  ===========  ===========  ===================
SPY      1.0          0            0 (it *is* the market)
KWEB     1.0          1.0          0.6% a day
BABA     0.9          0.9          1.5% a day
MPNGY    0.8          1.0          2.0% a day, thinly traded
NVDA     1.7          0            2.4% a day
=======  ===========  ===========  ===================

The market factor has 1.1% daily volatility, the China factor 1.6%. A few prices are
missing (as in real feeds), and MPNGY has stale days with zero volume and an unchanged
price, as an OTC ADR does.

Abnormal returns are planted on the day-0 sessions of some study events so that a
run visibly recovers them; :data:`PLANTED_EFFECTS` lists them. On a planted day the
security's own noise (China factor and idiosyncratic shock) is switched off, so its
return is ``drift + beta_m * market + effect`` and a market model should find an
abnormal return equal to the effect up to the estimation error of alpha and beta.

Volumes are log-normal around each security's level with a weekly pattern; jumps in
``ln(1 + volume)`` are planted on some day-0 sessions (:data:`PLANTED_VOLUME`), and
the return variance is raised around others (:data:`PLANTED_VARIANCE`). Volumes come
from the same random stream after the returns, so the returns do not depend on them.

Every output made from these prices is labelled SYNTHETIC: they are not market data,
and the planted effects are not estimates of what the news did.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from eventstudy.core.prices import PriceTable, provenance_for

SEED = 20241118
FIRST_DAY = "2021-01-04"
LAST_DAY = "2025-12-31"
DEMO_TICKERS = ("SPY", "KWEB", "BABA", "MPNGY", "NVDA")

# (market beta, China beta, idiosyncratic daily vol, daily drift, starting price)
_LOADINGS: dict[str, tuple[float, float, float, float, float]] = {
    "KWEB": (1.0, 1.0, 0.006, 0.0002, 45.0),
    "BABA": (0.9, 0.9, 0.015, 0.0002, 220.0),
    "MPNGY": (0.8, 1.0, 0.020, 0.0004, 75.0),
    "NVDA": (1.7, 0.0, 0.024, 0.0025, 13.0),
}
_MARKET_VOL, _CHINA_VOL, _MARKET_DRIFT, _SPY_START = 0.011, 0.016, 0.0003, 370.0
_T_DOF = 4

#: Abnormal returns added to the demo returns, by (ticker, session date).
#: They sit on the day-0 sessions of study events in ``events.yaml``.
PLANTED_EFFECTS: dict[tuple[str, str], float] = {
    ("BABA", "2024-11-06"): -0.06,  # election-2024
    ("MPNGY", "2024-11-06"): -0.07,
    ("NVDA", "2024-11-06"): 0.05,
    ("BABA", "2024-11-18"): -0.05,  # ft-ai-talent
    ("MPNGY", "2024-11-18"): -0.06,
    ("BABA", "2024-11-26"): -0.05,  # tariff-truth-10pct
    ("MPNGY", "2024-11-26"): -0.06,
    ("NVDA", "2024-12-02"): -0.06,  # export-ctrl-2024-12
    ("NVDA", "2025-01-27"): -0.15,  # deepseek-r1
}
#: Log-volume increases, ``ln(1 + V)`` up by this much, by (ticker, session date):
#: day-0 sessions of study events (the volume measure recovers them as CAV(0, 0)).
PLANTED_VOLUME: dict[tuple[str, str], float] = {
    ("BABA", "2024-11-06"): 1.0,  # election-2024
    ("MPNGY", "2024-11-18"): 3.0,  # ft-ai-talent (a thin ADR: noisy volume)
    ("NVDA", "2025-01-27"): 1.5,  # deepseek-r1
    ("BABA", "2025-04-03"): 0.8,  # liberation-day
}
#: Return-variance increases: the security's own noise (China factor and idiosyncratic
#: shock) is multiplied by this factor on day 0 and the two sessions after, by (ticker,
#: day-0 session) of study events without a planted return (the volatility measure
#: recovers them as Beaver's U well above 1).
PLANTED_VARIANCE: dict[tuple[str, str], float] = {
    ("BABA", "2025-04-03"): 3.0,  # liberation-day
    ("NVDA", "2023-10-17"): 3.0,  # export-ctrl-2023
}
_VARIANCE_DAYS = 3
_WEEKDAY_LOG_VOLUME = (-0.10, 0.0, 0.0, 0.02, 0.06)  # Monday .. Friday, added to ln V
_MISSING_PER_TICKER = 3
_STALE_SHARE_MPNGY = 0.02


def heavy_tailed(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance."""
    return rng.standard_t(_T_DOF, size) / np.sqrt(_T_DOF / (_T_DOF - 2))


@lru_cache(maxsize=1)
def demo_prices() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the demo adjusted closes and volumes.

    Returns
    -------
    (adj_close, volume)
        Wide frames on New York sessions, one column per ticker in
        :data:`DEMO_TICKERS`; NaN where a price is missing.
    """
    from eventstudy.sessions.calendar import sessions

    days = sessions("XNYS")
    days = days[(days >= FIRST_DAY) & (days <= LAST_DAY)]
    n = len(days)
    rng = np.random.default_rng(SEED)
    market = _MARKET_DRIFT + _MARKET_VOL * heavy_tailed(rng, n)
    china = _CHINA_VOL * heavy_tailed(rng, n)
    returns = {"SPY": market}
    scale = pd.DataFrame(1.0, index=days, columns=list(_LOADINGS))
    for (ticker, day), factor in PLANTED_VARIANCE.items():
        at = days.get_loc(pd.Timestamp(day))
        scale.iloc[at : at + _VARIANCE_DAYS, scale.columns.get_loc(ticker)] = factor
    for ticker, (b_m, b_c, vol, drift, _) in _LOADINGS.items():
        noise = b_c * china + vol * heavy_tailed(rng, n)
        returns[ticker] = drift + b_m * market + scale[ticker].to_numpy() * noise
    ret = pd.DataFrame(returns, index=days)[list(DEMO_TICKERS)]
    for (ticker, day), effect in PLANTED_EFFECTS.items():
        b_m, _, _, drift, _ = _LOADINGS[ticker]
        at = pd.Timestamp(day)
        ret.loc[at, ticker] = drift + b_m * ret.loc[at, "SPY"] + effect

    volume = pd.DataFrame(
        {
            "SPY": rng.lognormal(np.log(7e7), 0.3, n),
            "KWEB": rng.lognormal(np.log(2e7), 0.4, n),
            "BABA": rng.lognormal(np.log(1.5e7), 0.4, n),
            "MPNGY": rng.lognormal(np.log(6e4), 0.8, n),
            "NVDA": rng.lognormal(np.log(3e8), 0.3, n),
        },
        index=days,
    )
    weekday = np.asarray(_WEEKDAY_LOG_VOLUME)[days.day_of_week]
    volume = volume.mul(np.exp(weekday), axis=0)
    for (ticker, day), jump in PLANTED_VOLUME.items():
        at = pd.Timestamp(day)
        volume.loc[at, ticker] = np.expm1(np.log1p(volume.loc[at, ticker]) + jump)
    volume = volume.round()
    protected = {pd.Timestamp(d) for _, d in PLANTED_EFFECTS}
    near_planted = np.zeros(n, dtype=bool)
    for d in protected:
        pos = days.get_loc(d)
        near_planted[max(pos - 2, 0) : pos + 3] = True
    stale = (rng.random(n) < _STALE_SHARE_MPNGY) & ~near_planted
    ret.loc[stale, "MPNGY"] = 0.0
    volume.loc[stale, "MPNGY"] = 0.0

    starts = {"SPY": _SPY_START} | {t: v[4] for t, v in _LOADINGS.items()}
    prices = (1.0 + ret).cumprod() * pd.Series(starts)
    for ticker in DEMO_TICKERS:
        candidates = np.flatnonzero(~near_planted)
        gaps = rng.choice(candidates, size=_MISSING_PER_TICKER, replace=False)
        prices.iloc[gaps, prices.columns.get_loc(ticker)] = np.nan
        volume.iloc[gaps, volume.columns.get_loc(ticker)] = np.nan
    prices.index.name = volume.index.name = "date"
    return prices.round(6), volume


class DemoSource:
    """Price source serving the synthetic demo dataset (see the module docstring)."""

    name = "demo"
    synthetic = True

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Demo prices for the known tickers among ``tickers``, ``start``..``end``.

        Tickers outside :data:`DEMO_TICKERS` are left out of the table.
        """
        prices, volume = demo_prices()
        known = [t for t in dict.fromkeys(tickers) if t in prices.columns]
        rows = (prices.index >= pd.Timestamp(start)) & (prices.index <= pd.Timestamp(end))
        adj = prices.loc[rows, known]
        return PriceTable(
            adj_close=adj,
            source=self.name,
            synthetic=True,
            provenance=provenance_for(adj, self.name, detail=f"SYNTHETIC demo data, seed {SEED}"),
            volume=volume.loc[rows, known],
        )
