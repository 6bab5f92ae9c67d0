"""Ranks of each pair's series, made once per study panel: the rank tests' inputs.

Average ranks for ties, NaN left out (the same as :func:`scipy.stats.rankdata`),
vectorised over pairs: of the combined series (estimation residuals, then the event
window's ARs) for the Corrado tests and of the estimation SARs for GRANK-T, the second
read off the first's sort order where it can be (:func:`estimation_ranks`).
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.panel import BoolArray, EventPanel, FloatArray
from eventstudy.inference.views import WindowView, estimation_sar


def average_ranks(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) along the rows, NaN left out.

    ``axis=1`` ranks each row of a 2-D array; ``axis=None`` ranks a 1-D array. Equal to
    ``scipy.stats.rankdata(x, axis=axis, nan_policy="omit")``: NaN sort last, so the
    valid values of a row take ranks 1..k and NaN stays NaN.
    """
    rows = np.atleast_2d(np.asarray(x, dtype=np.float64))
    ranks = ranks_in_order(rows, np.argsort(rows, axis=1))
    return ranks if axis is not None else ranks[0]


def ranks_in_order(rows: FloatArray, order: np.ndarray) -> FloatArray:
    """:func:`average_ranks` of each row of ``rows`` given ``order``, a sort order of each row
    (NaN last); the average ranks do not depend on which sort order of ties it is."""
    n, m = rows.shape
    ordered = np.take_along_axis(rows, order, axis=1)
    tied = ordered[:, 1:] == ordered[:, :-1]  # NaN never ties
    position = np.arange(1, m + 1, dtype=np.float64)
    average = np.broadcast_to(position, (n, m))
    if tied.any():  # each run of equal values gets the mean of its first and last position
        starts = np.ones((n, m), dtype=bool)
        starts[:, 1:] = ~tied
        ends = np.ones((n, m), dtype=bool)
        ends[:, :-1] = ~tied
        first = np.maximum.accumulate(np.where(starts, position, 0.0), axis=1)
        last = np.minimum.accumulate(np.where(ends, position, m + 1.0)[:, ::-1], axis=1)
        average = (first + last[:, ::-1]) / 2.0
    ranks = np.empty((n, m))
    ranks[np.arange(n)[:, None], order] = average
    ranks[np.isnan(rows)] = np.nan
    return ranks


def combined_series(panel: EventPanel) -> FloatArray:
    """Estimation residuals followed by the full event window's ARs, one row per pair.

    Made once per study panel (:meth:`EventPanel.per_pair`), read-only.
    """
    return panel.per_pair("combined", lambda p: np.hstack([p.residuals, p.ar]))


def combined_valid(panel: EventPanel) -> BoolArray:
    """Which days of each pair's combined series (:func:`combined_series`) have a value."""
    return panel.per_pair("combined_valid", lambda p: np.isfinite(combined_series(p)))


def combined_order(panel: EventPanel) -> np.ndarray:
    """A sort order of each pair's combined series (:func:`combined_series`), NaN last."""
    return panel.per_pair("combined_order", lambda p: np.argsort(combined_series(p), axis=1))


def combined_ranks(panel: EventPanel) -> FloatArray:
    """Each pair's average ranks over its combined series (:func:`combined_series`), NaN
    left out."""
    return panel.per_pair(
        "combined_ranks", lambda p: ranks_in_order(combined_series(p), combined_order(p))
    )


def estimation_ranks(panel: EventPanel) -> FloatArray:
    """Each pair's average ranks of its estimation SARs (:func:`estimation_sar`), NaN left out.

    With one positive ``s_i`` per pair (no conditional variances) ``e_it / s_i`` sorts
    as ``e_it``: the estimation columns of the combined series' sort order
    (:func:`combined_order`, which the Corrado tests make anyway) are a sort order of
    the SARs, so the rows are not sorted a second time (20,000 pairs: one argsort of
    0.45 s less). Otherwise the SARs are sorted.
    """

    def compute(p: EventPanel) -> FloatArray:
        sar = estimation_sar(p)
        if p.resid_var is not None or not (p.sigma > 0).all() or not np.isfinite(p.sigma).all():
            return average_ranks(sar, axis=1)
        order = combined_order(p)
        l1 = sar.shape[1]
        return ranks_in_order(sar, order[order < l1].reshape(order.shape[0], l1))

    return panel.per_pair("sar_est_ranks", compute)


def window_columns(panel: EventPanel, w: WindowView) -> np.ndarray:
    """Columns of the combined (estimation + event) series that lie in the window."""
    l1 = panel.residuals.shape[1]
    return np.concatenate([np.zeros(l1, dtype=bool), w.in_window])
