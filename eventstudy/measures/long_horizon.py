"""Long horizons: buy-and-hold abnormal returns (BHAR) of every pair.

For a pair with day 0 on its exchange's session grid and a window [a, b] of sessions
(``study.bhar_windows``), BHAR = Π(1 + R_i) - Π(1 + R_b) over the window's sessions,
R_i the security's simple return and R_b its benchmark's (``study.bhar_benchmark``,
default the pair's benchmark) on the same date. Sessions where either return is
missing are left out of both products. A window is skipped for the pair, with the
reason in ``skipped.csv``, when it runs past the exchange calendar or past the last
price of the security or benchmark (never cut short), or when fewer than 90% of its
sessions have both returns (:data:`MIN_COVERAGE`).

:func:`eventstudy.pipeline.run.with_long_horizon` adds :class:`LongHorizon` (``bhar.csv``,
the mean BHAR path, the calendar-time portfolios of
:mod:`eventstudy.measures.calendar_time`) to a study result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.sessions.calendar import sessions

if TYPE_CHECKING:
    from eventstudy.sessions.pairs import Pair

__all__ = ["BHAR_COLUMNS", "MIN_COVERAGE", "LongHorizon", "buy_and_hold"]

MIN_COVERAGE = 0.9
"""Share of a window's sessions that must have both returns for its BHAR."""
BHAR_COLUMNS = [
    "event_id",
    "ticker",
    "day0",
    "window_start",
    "window_end",
    "bhar",
    "ret_bh",
    "benchmark_bh",
    "n_days",
]
"""Columns of ``bhar.csv``: one row per pair and BHAR window."""


@dataclass(frozen=True)
class LongHorizon:
    """The long-horizon tables of a run.

    Attributes
    ----------
    bhar
        ``bhar.csv``: one row per pair and window (:data:`BHAR_COLUMNS`).
    path
        Mean BHAR per relative day of the longest window, with a 95% band
        (window_start, window_end, rel_day, mean_bhar, lower, upper, n).
    calendar_time
        ``calendar_time.csv`` (:func:`eventstudy.measures.calendar_time.calendar_time`).
    portfolio
        ``calendar_time_portfolio.csv``: the daily portfolio series.
    """

    bhar: pd.DataFrame
    path: pd.DataFrame
    calendar_time: pd.DataFrame
    portfolio: pd.DataFrame


def _compound(r: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Π(1 + r) - 1 along axis 1 over the valid cells, running (cumulative)."""
    return np.cumprod(np.where(valid, 1.0 + r, 1.0), axis=1) - 1.0


def buy_and_hold(
    pairs: list[Pair],
    returns: dict[str, pd.Series],
    windows: list[tuple[int, int]],
    benchmark: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str, str]]]:
    """BHARs of ``pairs`` over ``windows`` (see the module docstring).

    Parameters
    ----------
    pairs
        The estimated pairs.
    returns
        Simple returns by ticker, on each ticker's exchange sessions.
    windows
        BHAR windows in sessions relative to day 0.
    benchmark
        One benchmark for every pair (``study.bhar_benchmark``); None: each pair's own.

    Returns
    -------
    (bhar, path, skipped)
        ``bhar.csv`` rows, the mean BHAR path of the longest window, and
        ``(event_id, ticker, reason)`` of every pair and window left out.
    """
    rows, skipped, paths = [], [], []
    longest = max(windows, key=lambda w: (w[1] - w[0], w[1]))
    for mic in dict.fromkeys(p.alignment.exchange for p in pairs):
        group = [p for p in pairs if p.alignment.exchange == mic]
        grid = sessions(mic).to_numpy(dtype="M8[ns]")
        pos = grid.searchsorted(pd.DatetimeIndex([p.alignment.day0 for p in group]).to_numpy())
        # every ticker's returns on the exchange grid once; windows gather from it
        own = [p.ticker for p in group]
        bench = [benchmark or p.benchmark for p in group]
        names = list(dict.fromkeys(own + bench))
        series = {t: returns.get(t, pd.Series(dtype=float)) for t in names}
        on_grid = np.column_stack([series[t].reindex(grid).to_numpy(dtype=float) for t in names])
        last = {t: series[t].last_valid_index() for t in names}
        col = {t: k for k, t in enumerate(names)}
        own_col = np.array([col[t] for t in own])
        bench_col = np.array([col[t] for t in bench])
        ends = np.array(
            [min(last[o] or pd.NaT, last[b] or pd.NaT) for o, b in zip(own, bench, strict=True)],
            dtype="M8[ns]",
        )
        for a, b in windows:
            offsets = np.arange(a, b + 1)
            cells = pos[:, None] + offsets[None, :]
            inside = (cells[:, 0] >= 0) & (cells[:, -1] < len(grid))
            cells = np.clip(cells, 0, len(grid) - 1)
            dates = grid[cells]
            r_i = on_grid[cells, own_col[:, None]]
            r_b = on_grid[cells, bench_col[:, None]]
            valid = ~np.isnan(r_i) & ~np.isnan(r_b)
            n_days = valid.sum(axis=1)
            ret_bh = _compound(r_i, valid)[:, -1]
            bench_bh = _compound(r_b, valid)[:, -1]
            past = ~inside | np.isnat(ends) | (dates[:, -1] > ends)
            thin = n_days < MIN_COVERAGE * len(offsets)
            label = f"BHAR [{a}, {b}]"
            for k, pair in enumerate(group):
                if past[k]:
                    skipped.append(
                        (pair.event_id, pair.ticker, f"{label} {_past(inside[k], ends[k])}")
                    )
                elif thin[k]:
                    skipped.append((pair.event_id, pair.ticker,
                                    f"{label} has returns on {n_days[k]} of {len(offsets)} "
                                    f"sessions (under {MIN_COVERAGE:.0%})"))  # fmt: skip
                else:
                    rows.append((pair.event_id, pair.ticker, pair.alignment.day0.date().isoformat(),
                                 a, b, ret_bh[k] - bench_bh[k], ret_bh[k], bench_bh[k],
                                 int(n_days[k])))  # fmt: skip
            if (a, b) == longest:
                keep = ~past & ~thin
                running = _compound(r_i, valid) - _compound(r_b, valid)
                paths.append(running[keep])
    bhar = pd.DataFrame(rows, columns=BHAR_COLUMNS)
    return bhar, _mean_path(paths, longest), skipped


def _past(inside: bool, end: np.datetime64) -> str:
    """Why a window that does not fit was skipped."""
    if not inside:
        return "runs past the exchange calendar"
    if np.isnat(end):
        return "has no returns of the security or its benchmark"
    return f"runs past the end of the data (last return {pd.Timestamp(end):%Y-%m-%d})"


def _mean_path(parts: list[np.ndarray], window: tuple[int, int]) -> pd.DataFrame:
    """Mean running BHAR per relative day with mean ± t(0.975, n-1)·s/√n."""
    from scipy import special

    days = np.arange(window[0], window[1] + 1)
    paths = np.vstack(parts) if parts else np.empty((0, len(days)))
    n = len(paths)
    mean = paths.mean(axis=0) if n else np.full(len(days), np.nan)
    half = (
        special.stdtrit(n - 1, 0.975) * paths.std(axis=0, ddof=1) / np.sqrt(n)
        if n >= 2
        else np.full(len(days), np.nan)
    )
    return pd.DataFrame({
        "window_start": window[0], "window_end": window[1], "rel_day": days,
        "mean_bhar": mean, "lower": mean - half, "upper": mean + half, "n": n,
    })  # fmt: skip
