"""Sample-quantile (SQ) p-values for one firm on one event window.

Gelbach, Helland & Klick (2013), "Valid inference in single-firm, single-event
studies", *American Law and Economics Review* 15(2), 495-541: instead of assuming
normal abnormal returns, compare the event's CAR with the empirical distribution of
the same statistic in the estimation window.

For a pair with estimation residuals ``e_1 .. e_T`` (its valid estimation sessions in
session order; sessions masked around other events or without a return are missing)
and a CAR over ``L`` sessions, ``S_1 .. S_m`` are the sums of ``e`` over every run of
``L`` consecutive estimation sessions whose ``L`` residuals are all present
(overlapping runs; a missing session breaks every run through it). With
``lo = #{S_j <= CAR} / m`` and ``hi = #{S_j >= CAR} / m`` the two-sided p-value is
``min(1, 2 min(lo, hi))``.

The smallest attainable p-value is ``2 / m``: a CAR beyond every ``S_j`` (``lo`` or
``hi`` zero) gets ``2 / m``, the resolution of ``m`` sums, not 0. With the default
240-session estimation window no pair can reach p < 0.0083 for a one-day window.
The test treats the estimation residuals as draws from the event-day
distribution: it makes no correction for the estimation error of the model's
coefficients (unlike the MacKinlay ``car_se``), and overlapping sums are dependent,
which widens the quantiles' sampling error but does not bias them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MIN_SQ_SUMS = 20
"""Below this many estimation-window sums the SQ p-value is left empty."""


@dataclass(frozen=True)
class RunSums:
    """Running sums of each row's residuals and of its present sessions.

    Made once per set of residuals, they give the sums over runs of any length (one
    subtraction per run): every CAR window of a study shares one pass over the
    estimation residuals.

    Attributes
    ----------
    total, count
        (N, T + 1) sums of the residuals (0 where missing) and counts of the present
        ones over sessions ``0 .. j - 1``.
    """

    total: FloatArray
    count: NDArray[np.int32]

    @classmethod
    def of(cls, residuals: FloatArray) -> RunSums:
        """The running sums of ``residuals`` (N, T), NaN where masked or missing."""
        present = np.isfinite(residuals)
        total = np.zeros((len(residuals), residuals.shape[1] + 1))
        np.cumsum(np.where(present, residuals, 0.0), axis=1, out=total[:, 1:])
        count = np.zeros(total.shape, dtype=np.int32)
        np.cumsum(present, axis=1, out=count[:, 1:])
        return cls(total, count)

    def sums(
        self, length: int, rows: NDArray[np.intp] | None = None
    ) -> tuple[FloatArray, NDArray[np.bool_]]:
        """:func:`window_sums` of the rows (all by default) for runs of ``length``."""
        total = self.total if rows is None else self.total[rows]
        count = self.count if rows is None else self.count[rows]
        if length > total.shape[1] - 1:
            return np.zeros((len(total), 0)), np.zeros((len(total), 0), dtype=bool)
        sums = total[:, length:] - total[:, :-length]
        complete = (count[:, length:] - count[:, :-length]) == length
        return sums, complete


def window_sums(residuals: FloatArray, length: int) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Sums of ``length`` consecutive residuals of every row, and which runs are complete.

    Parameters
    ----------
    residuals
        (N, T) estimation residuals in session order, NaN where masked or missing.
    length
        Sessions per run (``L >= 1``).

    Returns
    -------
    sums, complete
        (N, T - L + 1) arrays (``(N, 0)`` when ``L > T``): the sum over sessions
        ``j .. j + L - 1`` and whether all ``L`` of them have a residual.
    """
    return RunSums.of(residuals).sums(length)


def sq_pvalue(
    car: FloatArray, residuals: FloatArray | RunSums, length: NDArray[np.int64] | int
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Gelbach-Helland-Klick (2013) sample-quantile p-value of each row's CAR.

    Parameters
    ----------
    car
        (N,) CAR of each pair over its window.
    residuals
        (N, T) estimation residuals (NaN where masked or missing), or their
        :class:`RunSums` (made once for several windows).
    length
        Sessions in each pair's CAR (one number, or one per pair).

    Returns
    -------
    p, m
        ``min(1, 2 max(min(lo, hi), 1/m))`` per pair, NaN where ``m <`` :data:`MIN_SQ_SUMS` or
        the CAR is missing; ``m``, the number of complete runs. The smallest attainable
        p is ``2 / m``; no estimation-error correction is made (see the module text).
    """
    runs = residuals if isinstance(residuals, RunSums) else RunSums.of(residuals)
    car = np.asarray(car, dtype=np.float64)
    lengths = np.broadcast_to(np.asarray(length, dtype=np.int64), car.shape)
    p = np.full(car.shape, np.nan)
    m = np.zeros(car.shape, dtype=np.int64)
    for size in np.unique(lengths):
        rows = np.flatnonzero(lengths == size)
        if size < 1:
            continue
        sums, complete = runs.sums(int(size), None if len(rows) == len(car) else rows)
        target = car[rows, None]
        lo = (complete & (sums <= target)).sum(axis=1)
        hi = (complete & (sums >= target)).sum(axis=1)
        m[rows] = complete.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            tail = np.maximum(np.minimum(lo, hi), 1) / m[rows]  # at least 1/m: see above
            p[rows] = np.minimum(1.0, 2.0 * tail)
    p[(m < MIN_SQ_SUMS) | ~np.isfinite(car)] = np.nan
    return p, m


def disagree(p_t: FloatArray, p_sq: FloatArray, level: float = 0.05) -> NDArray[np.bool_]:
    """True where the t-test and the SQ test disagree about significance at ``level``."""
    p_t, p_sq = np.asarray(p_t, dtype=np.float64), np.asarray(p_sq, dtype=np.float64)
    both = np.isfinite(p_t) & np.isfinite(p_sq)
    return both & ((p_t < level) != (p_sq < level))


def sq_summary_columns(table: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The summary ``table`` with ``p SQ`` beside ``p`` and a ``t/SQ`` flag column.

    ``rows`` are the car.csv rows the table shows (same order); the flag is ``≠`` where
    the two tests disagree at 5%.
    """
    table = table.copy()
    at = list(table.columns).index("p") + 1
    table.insert(at, "p SQ", rows["car_p_sq"].round(4).to_numpy())
    flags = disagree(rows["car_p"].to_numpy(), rows["car_p_sq"].to_numpy())
    table["t/SQ"] = np.where(flags, "≠", "")
    return table


def sq_notes(car: pd.DataFrame, rows: pd.DataFrame) -> list[str]:
    """Notes on the SQ p-values: where they are empty and why, and disagreements."""
    notes = []
    short = car["car"].notna() & (car["sq_m"] < MIN_SQ_SUMS)
    if short.any():
        notes.append(
            f"car_p_sq is empty for {int(short.sum())} pair-window rows of car.csv: fewer "
            f"than {MIN_SQ_SUMS} complete estimation-window runs of the window's length "
            "(sq_m), too few for sample quantiles."
        )
    flags = disagree(rows["car_p"].to_numpy(), rows["car_p_sq"].to_numpy())
    if flags.any():
        notes.append(
            f"≠: {int(flags.sum())} pairs where the t-test (p) and the sample-quantile test "
            "(p SQ, Gelbach-Helland-Klick 2013) disagree about significance at 5%."
        )
    return notes
