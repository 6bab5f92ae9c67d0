"""Time-of-day placebo p-value of an intraday CAR (``car_p_tod``, ``n_tod`` in car.csv).

Intraday returns have a strong time-of-day pattern in their volatility: the U shape
across the session (Wood, McInish & Ord 1985, "An investigation of transactions data
for NYSE stocks", JF 40(3); Harris 1986, "A transaction data study of weekly and
intradaily patterns in stock returns", JFE 16(1)), and an overnight bar with the
variance of a whole night. A t statistic built on one residual variance for every bar
then overstates (at the open) or understates (at midday) the evidence. The placebo
compares the event's CAR only with CARs of the *same clock time* on other days, so it
holds whatever the volatility at that time of day (the single-firm logic of the
sample-quantile test of Gelbach, Helland & Klick 2013, "Valid inference in single-firm,
single-event studies", ALER 15(2), applied per clock time).

For one pair and CAR window ``[w0, w1]``:

* *placebo sessions* are the estimation window's sessions, other than the event's own,
  with a bar that starts at bar 0's clock time (exchange-local);
* on each, the placebo window ``[q + w0, q + w1]`` is anchored at that bar ``q`` and must
  lie wholly inside the estimation window (overnight bars inside it count, with their
  own returns, even when the fit left them out);
* the placebo CAR sums the abnormal returns of the pair's fitted model over the bars of
  that window that have one (a window without any, or one that holds bars masked around
  another event, is not a placebo session);
* ``car_p_tod = (1 + #{|placebo CAR| >= |CAR|}) / (1 + n)``, ``n`` (``n_tod``) being the
  number of placebo sessions: the two-sided permutation p-value, never below
  ``1 / (1 + n)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from eventstudy.models.abnormal import abnormal_returns
from eventstudy.models.estimation import Stacked
from eventstudy.models.fits import NormalFit

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BarClock:
    """Where each stacked bar sits in the day (same shape as the stacked returns).

    Attributes
    ----------
    session
        (N, L) a session number per bar (equal within a session, increasing).
    clock
        (N, L) exchange-local minutes after midnight of each bar start.
    overnight
        (N, L) True on each session's first bar.
    """

    session: NDArray[np.int64]
    clock: NDArray[np.int64]
    overnight: NDArray[np.bool_]

    def take(self, rows: NDArray[np.intp]) -> BarClock:
        """The given pairs only."""
        return BarClock(self.session[rows], self.clock[rows], self.overnight[rows])


def tod_pvalues(
    fit: NormalFit,
    data: Stacked,
    clock: BarClock,
    estimation_window: tuple[int, int],
    window: tuple[int, int],
    car: FloatArray,
    masked: NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """``car_p_tod`` and ``n_tod`` of every pair for one CAR window.

    Parameters
    ----------
    fit
        The pairs' fitted normal-return model.
    data
        The pairs' stacked returns with the overnight bars *kept* (the placebo CARs use
        every bar's return).
    clock
        Session, clock time and overnight flag of every stacked bar.
    estimation_window, window
        The estimation window and the CAR window, in bars relative to bar 0.
    car
        (N,) the pairs' CARs over ``window``.
    masked
        (N, L1) estimation bars masked around other events (``Estimates.masked``): a
        placebo window holding one is no placebo session (it holds another event).

    Returns
    -------
    tuple
        (N,) p-values (NaN without a CAR or without placebo sessions) and (N,) the
        number of placebo sessions.
    """
    design = fit.design(data.market, data.factors)
    ar = abnormal_returns(fit, data.returns, design)
    valid = np.isfinite(ar)
    running = np.concatenate(
        [np.zeros((len(ar), 1)), np.cumsum(np.where(valid, ar, 0.0), axis=1)], axis=1
    )
    counts = np.concatenate([np.zeros((len(ar), 1)), np.cumsum(valid, axis=1)], axis=1)
    est = data.cols(*estimation_window)
    other = np.zeros(ar.shape, dtype=bool)
    if masked is not None:
        other[:, est] = masked
    hits = np.concatenate([np.zeros((len(ar), 1)), np.cumsum(other, axis=1)], axis=1)
    bar0 = data.cols(0, 0).start
    w0, w1 = window
    # anchors q (columns) whose placebo window [q + w0, q + w1] lies inside the estimation window
    anchors = np.arange(max(est.start, est.start - w0), min(est.stop, est.stop - w1))
    p = np.full(len(ar), np.nan)
    n = np.zeros(len(ar), dtype=np.int64)
    if len(anchors) == 0:
        return p, n
    for i in range(len(ar)):
        same_time = clock.clock[i, anchors] == clock.clock[i, bar0]
        other_day = clock.session[i, anchors] != clock.session[i, bar0]
        q = anchors[same_time & other_day]
        lo, hi = q + w0, q + w1 + 1
        usable = (counts[i, hi] - counts[i, lo] > 0) & (hits[i, hi] - hits[i, lo] == 0)
        placebo = (running[i, hi] - running[i, lo])[usable]
        n[i] = len(placebo)
        if n[i] and np.isfinite(car[i]):
            extreme = np.count_nonzero(np.abs(placebo) >= np.abs(car[i]))
            p[i] = (1.0 + extreme) / (1.0 + n[i])
    return p, n
