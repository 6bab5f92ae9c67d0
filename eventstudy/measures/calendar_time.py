"""Calendar-time portfolios of the pairs in a long window (Fama 1998; Mitchell & Stafford 2000).

For each BHAR window [a, b] and each session t of the study benchmark, the portfolio
holds, equally weighted, every security with a pair whose day 0 + a ≤ t ≤ day 0 + b
(sessions of the pair's exchange; a security held by two pairs counts once) and a
return on t. Its excess return R_p - rf (rf from ``factors_file``'s risk-free column,
zero without one) is regressed on the market excess return R_m - rf (the study
benchmark) and on the ``factors_file`` factors when given:

    R_p,t - rf_t = alpha + beta (R_m,t - rf_t) + Σ s_j F_j,t + e_t

by OLS with Newey-West (1987) standard errors: statsmodels' HAC covariance, Bartlett
kernel, L = ⌊4 (T/100)^(2/9)⌋ lags (Newey & West 1994's rule), with its small-sample
correction. alpha is the mean daily abnormal return of the event portfolio; its t uses the
normal reference, as statsmodels' HAC does. Sessions with fewer than
``study.min_portfolio`` securities are left out. Unlike BHARs, calendar-time alphas
allow for the cross-correlation of overlapping events (Mitchell & Stafford 2000).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.sessions.calendar import sessions

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.sessions.pairs import Pair

__all__ = ["CALENDAR_TIME_COLUMNS", "calendar_time", "newey_west_lags"]

CALENDAR_TIME_COLUMNS = [
    "window_start",
    "window_end",
    "model",
    "alpha",
    "alpha_se",
    "alpha_t",
    "alpha_p",
    "n_days",
    "mean_n_securities",
    "cov_type",
]
"""Columns of ``calendar_time.csv``: one row per window."""


def newey_west_lags(n: int) -> int:
    """⌊4 (n/100)^(2/9)⌋: Newey & West's (1994) lag rule for a Bartlett kernel."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def portfolio_series(
    study: StudySpec, pairs: list[Pair], returns: dict[str, pd.Series], window: tuple[int, int]
) -> pd.DataFrame:
    """The daily portfolio of one window: date, portfolio_ret, n_securities, rf, factors."""
    settings = study.study
    no_dates = pd.Series(dtype=float, index=pd.DatetimeIndex([], name="date"))
    market = returns.get(settings.benchmark, no_dates).dropna()  # none: an empty series
    dates = market.index
    tickers = sorted({p.ticker for p in pairs})
    column = {t: k for k, t in enumerate(tickers)}
    held = np.zeros((len(dates) + 1, len(tickers)), dtype=np.int64)
    for mic in dict.fromkeys(p.alignment.exchange for p in pairs):
        group = [p for p in pairs if p.alignment.exchange == mic]
        grid = sessions(mic).to_numpy()
        pos = grid.searchsorted(pd.DatetimeIndex([p.alignment.day0 for p in group]).to_numpy())
        first = grid[np.clip(pos + window[0], 0, len(grid) - 1)]
        last = grid[np.clip(pos + window[1], 0, len(grid) - 1)]
        start = dates.searchsorted(first)
        stop = dates.searchsorted(last, side="right")
        cols = np.array([column[p.ticker] for p in group])
        np.add.at(held, (start, cols), 1)
        np.add.at(held, (stop, cols), -1)
    member = np.cumsum(held, axis=0)[:-1] > 0
    empty = pd.Series(dtype=float)
    r = np.column_stack(
        [returns.get(t, empty).reindex(dates).to_numpy(dtype=float) for t in tickers]
    ) if tickers else np.empty((len(dates), 0))  # fmt: skip
    inside = member & ~np.isnan(r)
    n = inside.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        port = np.where(inside, r, 0.0).sum(axis=1) / n
    spec = settings.factors_file
    rf_name = spec.risk_free if spec is not None else None
    rf = returns[rf_name].reindex(dates).to_numpy(dtype=float) if rf_name else np.zeros(len(dates))
    frame = pd.DataFrame({
        "date": dates.strftime("%Y-%m-%d"), "window_start": window[0], "window_end": window[1],
        "portfolio_ret": port, "rf": rf, "market_excess": market.to_numpy() - rf,
        "n_securities": n,
    })  # fmt: skip
    for name in spec.columns if spec is not None else []:
        frame[name] = returns[name].reindex(dates).to_numpy(dtype=float)
    keep = n >= max(settings.min_portfolio, 1)
    return frame[keep].dropna().reset_index(drop=True)


def calendar_time(
    study: StudySpec,
    pairs: list[Pair],
    returns: dict[str, pd.Series],
    windows: list[tuple[int, int]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``calendar_time.csv`` and ``calendar_time_portfolio.csv`` of every window.

    Returns
    -------
    (table, portfolio)
        One row per window (:data:`CALENDAR_TIME_COLUMNS`); the daily series of all
        windows (date, window_start, window_end, portfolio_ret, rf, market_excess,
        n_securities, the factors).
    """
    from statsmodels.regression.linear_model import OLS

    spec = study.study.factors_file
    factors = list(spec.columns) if spec is not None else []
    model = " + ".join(["market", *factors])
    rows, series = [], []
    for window in windows:
        daily = portfolio_series(study, pairs, returns, window)
        series.append(daily)
        row = dict.fromkeys(CALENDAR_TIME_COLUMNS, np.nan)
        row |= {"window_start": window[0], "window_end": window[1], "model": model,
                "n_days": len(daily), "cov_type": ""}  # fmt: skip
        if len(daily) > len(factors) + 3:  # more sessions than coefficients + 1
            regressors = daily[["market_excess", *factors]].to_numpy()
            x = np.column_stack([np.ones(len(regressors)), regressors])  # the intercept first
            y = (daily["portfolio_ret"] - daily["rf"]).to_numpy()
            lags = newey_west_lags(len(daily))
            fit = OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
            row |= {"alpha": fit.params[0], "alpha_se": fit.bse[0], "alpha_t": fit.tvalues[0],
                    "alpha_p": fit.pvalues[0], "mean_n_securities": daily["n_securities"].mean(),
                    "cov_type": f"HAC Newey-West {lags} lags"}  # fmt: skip
        rows.append(row)
    portfolio = pd.concat(series, ignore_index=True) if series else pd.DataFrame()
    return pd.DataFrame(rows, columns=CALENDAR_TIME_COLUMNS), portfolio
