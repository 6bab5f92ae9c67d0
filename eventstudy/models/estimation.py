"""From aligned pairs and returns to fitted models, ARs, CARs and the result tables.

All pairs are stacked into arrays (one row per pair, one column per relative day) and
each normal-return model is fitted for all its pairs at once. Pairs that cannot be
estimated are screened out with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.models.abnormal import (
    abnormal_returns,
)
from eventstudy.models.engine import fit_pairs
from eventstudy.models.fits import NormalFit
from eventstudy.models.garch import GarchFit, fit_garch
from eventstudy.sessions.calendar import exchange_for, sessions
from eventstudy.sessions.confounders import Neighbours, estimation_mask
from eventstudy.sessions.pairs import LAG_PAD
from eventstudy.sessions.returns import trade_to_trade

if TYPE_CHECKING:
    from distributed import Client

    from eventstudy.core.settings import StudySettings
    from eventstudy.sessions.pairs import Pair

FloatArray = NDArray[np.float64]
GARCH_COLUMNS = ("omega", "garch_alpha", "garch_beta", "persistence")
"""models.csv columns of the GARCH(1,1) variance equation (:mod:`eventstudy.models.garch`)."""


@dataclass(frozen=True)
class Stacked:
    """Returns of N pairs at relative days ``first .. last`` (one row per pair)."""

    returns: FloatArray
    market: FloatArray
    factors: FloatArray
    stale: NDArray[np.bool_]
    dates: NDArray[np.datetime64]
    first: int

    def cols(self, start: int, end: int) -> slice:
        """Columns of relative days ``start .. end``."""
        return slice(start - self.first, end - self.first + 1)

    def take(self, rows: NDArray[np.intp]) -> Stacked:
        """The given pairs only (this object when they are all its pairs, in order)."""
        if len(rows) == len(self.returns) and (rows == np.arange(len(rows))).all():
            return self
        return Stacked(
            self.returns[rows], self.market[rows], self.factors[rows], self.stale[rows],
            self.dates[rows], self.first,
        )  # fmt: skip


class _OnGrid:
    """Return series placed on an exchange's full session grid, each made once."""

    def __init__(self, returns: dict[str, pd.Series]) -> None:
        self.returns = returns
        self.grids: dict[str, NDArray[np.datetime64]] = {}
        self.placed: dict[tuple[str, str], FloatArray] = {}

    def grid(self, mic: str) -> NDArray[np.datetime64]:
        """The exchange's sessions as ``datetime64[ns]``."""
        if mic not in self.grids:
            self.grids[mic] = sessions(mic).to_numpy(dtype="M8[ns]")
        return self.grids[mic]

    def __call__(self, ticker: str, mic: str) -> FloatArray:
        """``returns[ticker]`` on every session of ``mic`` (NaN where it has none)."""
        key = (ticker, mic)
        if key not in self.placed:
            self.placed[key] = self.place(self.returns[ticker], mic, np.nan, np.float64)
        return self.placed[key]

    def place(self, series: pd.Series, mic: str, fill: float | bool, dtype: type) -> np.ndarray:
        """``series`` as ``dtype`` on every session of ``mic``, ``fill`` where it has none."""
        grid = self.grid(mic)
        dates = series.index.to_numpy(dtype="M8[ns]")
        at = grid.searchsorted(dates)
        values = series.to_numpy(dtype=dtype)
        placed = np.full(len(grid), fill, dtype=dtype)
        hit = at < len(grid)
        hit[hit] = grid[at[hit]] == dates[hit]  # dates that are sessions of mic
        placed[at[hit]] = values[hit]
        return placed


def stack_pairs(
    pairs: list[Pair],
    returns: dict[str, pd.Series],
    stale: dict[str, pd.Series],
    factors: list[str],
    first: int,
    last: int,
    *,
    trade_to_trade_returns: bool = False,
) -> Stacked:
    """Stack returns of every pair at relative days ``first .. last``.

    Benchmarks and factors are matched to the security's sessions by date, never by
    position. With ``trade_to_trade_returns`` stale sessions are dropped and returns
    run from trade to trade (:func:`eventstudy.sessions.returns.trade_to_trade`).
    """
    offsets = np.arange(first, last + 1)
    shape = (len(pairs), len(offsets))
    y, x = np.full(shape, np.nan), np.full(shape, np.nan)
    f = np.full((*shape, len(factors)), np.nan)
    s = np.zeros(shape, dtype=bool)
    dates = np.empty(shape, dtype="datetime64[ns]")
    groups: dict[tuple[str, str], list[int]] = {}
    for row, pair in enumerate(pairs):
        groups.setdefault((pair.ticker, pair.benchmark), []).append(row)
    on_grid = _OnGrid(returns)
    for (ticker, benchmark), rows in groups.items():
        mic = exchange_for(ticker)
        grid = on_grid.grid(mic)
        day0 = np.array([pairs[r].alignment.day0.to_datetime64() for r in rows], "M8[ns]")
        pos = grid.searchsorted(day0)[:, None] + offsets
        flags = (
            on_grid.place(stale[ticker], mic, False, np.bool_)
            if ticker in stale
            else np.zeros(len(grid), dtype=bool)
        )
        sec, bench = on_grid(ticker, mic), on_grid(benchmark, mic)
        if trade_to_trade_returns:
            traded = trade_to_trade(
                pd.Series(sec, grid), pd.Series(flags, grid), pd.Series(bench, grid)
            )
            sec, bench = (series.to_numpy(dtype="float64") for series in traded)
        y[rows], x[rows] = sec[pos], bench[pos]
        s[rows] = flags[pos]
        for j, factor in enumerate(factors):
            f[rows, :, j] = on_grid(factor, mic)[pos]
        dates[rows] = grid[pos]
    return Stacked(y, x, f, s, dates, first)


@dataclass(frozen=True)
class Estimates:
    """One model fitted for a group of pairs, with everything inference needs."""

    pairs: list[Pair]
    fit: NormalFit
    data: Stacked
    estimation_window: tuple[int, int]
    event_window: tuple[int, int]
    near: Neighbours
    masked: NDArray[np.bool_]

    @property
    def est(self) -> slice:
        """Estimation-window columns of :attr:`data`."""
        return self.data.cols(*self.estimation_window)

    @property
    def evt(self) -> slice:
        """Event-window columns of :attr:`data`."""
        return self.data.cols(*self.event_window)

    @cached_property
    def design_evt(self) -> FloatArray:
        """Prediction design on the event days (N, L2, k)."""
        factors = self.data.factors[:, self.evt]
        return self.fit.design(self.data.market[:, self.evt], factors)

    @cached_property
    def ar(self) -> FloatArray:
        """Event-window abnormal returns (N, L2)."""
        return abnormal_returns(self.fit, self.data.returns[:, self.evt], self.design_evt)

    @cached_property
    def residuals(self) -> FloatArray:
        """Estimation-window abnormal returns (N, L1); NaN where masked or missing."""
        factors = self.data.factors[:, self.est]
        design = self.fit.design(self.data.market[:, self.est], factors)
        y = np.where(self.masked, np.nan, self.data.returns[:, self.est])
        return abnormal_returns(self.fit, y, design)

    @cached_property
    def ar_var(self) -> FloatArray | None:
        """Conditional variances of the event-window ARs (N, L2): the GARCH forecasts.

        None for the models with one variance ``sigma^2`` per pair.
        """
        if not isinstance(self.fit, GarchFit):
            return None
        first = self.event_window[0] - self.estimation_window[1] - 1
        return self.fit.forecast_var[:, first:]

    @cached_property
    def resid_var(self) -> FloatArray | None:
        """Fitted conditional variances on the estimation days (N, L1; GARCH), else None."""
        if not isinstance(self.fit, GarchFit):
            return None
        return np.where(self.masked, np.nan, self.fit.est_var)


def estimate(
    pairs: list[Pair],
    data: Stacked,
    settings: StudySettings,
    model: str,
    near: Neighbours,
    skipped: list[tuple[str, str, str]],
    *,
    engine: str = "local",
    client: Client | None = None,
) -> Estimates | None:
    """Fit ``model`` for ``pairs``; screen out (into ``skipped``) those that cannot be used.

    ``engine`` and ``client`` choose where the fit runs
    (:func:`eventstudy.models.engine.fit_pairs`).
    """
    est = data.cols(*settings.estimation_window)
    pad = data.cols(
        settings.estimation_window[0] - LAG_PAD, settings.estimation_window[1] + LAG_PAD
    )
    masked = (
        estimation_mask(near, settings.estimation_window, settings.mask_window)
        if settings.mask_other_events
        else np.zeros((len(pairs), est.stop - est.start), dtype=bool)
    )
    y_est = np.where(masked, np.nan, data.returns[:, est])
    failed = np.zeros(len(pairs), dtype=bool)
    if model == "garch":  # fitted pair by pair in a process pool (eventstudy.models.garch)
        if engine != "local":
            import warnings

            warnings.warn(
                f"engine {engine!r} has no effect on the garch model: its fits run pair "
                "by pair in a local process pool",
                UserWarning,
                stacklevel=2,
            )
        ahead = settings.event_window[1] - settings.estimation_window[1]
        fit: NormalFit = fit_garch(y_est, data.market[:, est], ahead)
        failed = fit.message != ""
    else:
        fit = fit_pairs(
            model, y_est, data.market[:, pad], data.factors[:, est],
            dimson_lags=settings.dimson_lags, engine=engine, client=client,
        )  # fmt: skip
    day0 = data.cols(0, 0).start
    few = fit.n_est < settings.min_estimation_returns
    degenerate = ~np.isfinite(fit.sigma) | ~np.isfinite(fit.coef).all(axis=1)
    no_return = ~np.isfinite(data.returns[:, day0])
    no_market = ~np.isfinite(data.market[:, day0]) & (model != "constant-mean")
    keep = ~(few | failed | degenerate | no_return | no_market)
    for i in np.flatnonzero(~keep):  # reasons for the few pairs screened out
        pair = pairs[i]
        when = f"{pair.alignment.day0:%Y-%m-%d}"
        if few[i]:
            reason = (
                f"only {fit.n_est[i]} valid estimation returns "
                f"(minimum {settings.min_estimation_returns})"
            )
        elif failed[i]:
            reason = str(fit.message[i])  # type: ignore[attr-defined]
        elif degenerate[i]:
            reason = f"the {model} model cannot be estimated (constant or collinear regressors)"
        elif no_return[i]:
            reason = f"no return for {pair.ticker} on day 0 ({when}): price missing"
        else:
            reason = f"no return for benchmark {pair.benchmark} on day 0 ({when})"
        skipped.append((pair.event_id, pair.ticker, reason))
    if not keep.any():
        return None
    rows = np.flatnonzero(keep)
    return Estimates(
        [pairs[i] for i in rows], fit.take(rows), data.take(rows), settings.estimation_window,
        settings.event_window, near.take(rows), masked[rows],
    )  # fmt: skip
