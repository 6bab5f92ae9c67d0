"""Abnormal returns, cumulative abnormal returns and their standard errors.

Conventions (MacKinlay 1997, "Event Studies in Economics and Finance", JEL 35(1)
13-39, eqs. 7-14; Campbell, Lo & MacKinlay 1997, ch. 4):

* ``AR_t = R_t - alpha - beta R_mt`` on each event-window day.
* ``CAR(t1, t2)`` sums the ARs of the days in the window where the return exists.
* Under the null the event-window ARs have covariance
  ``V = s^2 (I + X* (X'X)^{-1} X*')`` (estimation error included), so for the L valid
  days of a window
  ``Var(CAR) = s^2 [ L + L^2 / n + (sum_t (R_mt - mean R_m))^2 / S_mm ]``
  where *n* is the number of estimation returns, ``mean R_m`` and ``S_mm`` the
  benchmark's estimation-window mean and sum of squared deviations.
* ``t = CAR / se`` follows Student's t with ``n - 2`` degrees of freedom; the p-value
  is two-sided.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from eventstudy.models import FloatArray, MarketModelFit


def abnormal_returns(fit: MarketModelFit, returns: FloatArray, market: FloatArray) -> FloatArray:
    """``R - (alpha + beta R_m)`` for every pair (row) and event day (column)."""
    return returns - fit.expected(market)


def car_variance(
    fit: MarketModelFit, market: FloatArray, included: NDArray[np.bool_]
) -> FloatArray:
    """MacKinlay (1997) variance of the CAR over the ``included`` days of each row.

    Parameters
    ----------
    fit
        The market-model estimates (sigma, n_est, benchmark mean and S_mm).
    market
        Benchmark returns on the event days, shape (pairs, days).
    included
        Which days enter the CAR (in the window and with a valid AR).

    Returns
    -------
    FloatArray
        ``s^2 [L + L^2/n + (sum (R_m - mean R_m))^2 / S_mm]`` per row; NaN where
        no day is included.
    """
    days = included.sum(axis=1).astype(np.float64)
    centred = np.where(included, market - fit.market_mean[:, None], 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = fit.sigma**2 * (days + days**2 / fit.n_est + centred**2 / fit.market_sxx)
    var[days == 0] = np.nan
    return var


def cumulative_car_variance(
    fit: MarketModelFit, market: FloatArray, valid: NDArray[np.bool_]
) -> FloatArray:
    """Variance of the running CAR from the first event day to each day (same formula)."""
    days = np.cumsum(valid, axis=1).astype(np.float64)
    centred = np.cumsum(np.where(valid, market - fit.market_mean[:, None], 0.0), axis=1)
    s2 = (fit.sigma**2)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = s2 * (days + days**2 / fit.n_est[:, None] + centred**2 / fit.market_sxx[:, None])
    var[days == 0] = np.nan
    return var


def ar_variance(fit: MarketModelFit, market: FloatArray) -> FloatArray:
    """One-day forecast-error variance ``s^2 (1 + 1/n + (R_m - mean R_m)^2 / S_mm)``."""
    dev = market - fit.market_mean[:, None]
    s2 = (fit.sigma**2)[:, None]
    return s2 * (1.0 + 1.0 / fit.n_est[:, None] + dev**2 / fit.market_sxx[:, None])


def t_test(
    estimate: FloatArray, se: FloatArray, df: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """t statistic ``estimate / se`` and its two-sided p-value under Student t(df)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = estimate / se
    p = 2.0 * special.stdtr(df, -np.abs(t))
    return t, p
