"""Normal-return models fitted for many (event, security) pairs at once.

Every function works on stacked arrays, one row per pair, with NaN marking a missing
return; nothing loops over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MarketModelFit:
    """OLS market-model estimates, one entry per pair.

    The model is ``R_it = alpha_i + beta_i R_mt + e_it`` fitted on the estimation
    window by ordinary least squares.

    Attributes
    ----------
    alpha, beta
        Intercept and slope.
    sigma
        Residual standard deviation ``sqrt(SSR / (n_est - 2))`` (MacKinlay 1997, eq. 8).
    r2
        Coefficient of determination.
    n_est
        Valid estimation-window observations (both returns present).
    market_mean, market_sxx
        Mean of the benchmark return and ``sum (R_m - mean)^2`` over those
        observations; they enter the forecast-error variance.
    """

    alpha: FloatArray
    beta: FloatArray
    sigma: FloatArray
    r2: FloatArray
    n_est: NDArray[np.int64]
    market_mean: FloatArray
    market_sxx: FloatArray

    def take(self, rows: NDArray[np.intp]) -> MarketModelFit:
        """The estimates of the given rows only."""
        return MarketModelFit(
            *(getattr(self, f.name)[rows] for f in fields(self))  # type: ignore[arg-type]
        )

    def expected(self, market: FloatArray) -> FloatArray:
        """Normal (expected) returns given benchmark returns, rows = pairs."""
        return self.alpha[:, None] + self.beta[:, None] * market


def fit_market_model(returns: FloatArray, market: FloatArray) -> MarketModelFit:
    """Fit the market model by OLS for every row of ``returns`` against ``market``.

    Parameters
    ----------
    returns, market
        Arrays of shape (pairs, estimation days); NaN where a return is missing. A day
        counts only when both returns are present.

    Returns
    -------
    MarketModelFit
        Closed-form OLS estimates. Rows with fewer than 3 valid days or a constant
        benchmark get NaN estimates.
    """
    valid = np.isfinite(returns) & np.isfinite(market)
    n = valid.sum(axis=1)
    y = np.where(valid, returns, 0.0)
    x = np.where(valid, market, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = x.sum(axis=1) / n
        mean_y = y.sum(axis=1) / n
        dx = np.where(valid, x - mean_x[:, None], 0.0)
        dy = np.where(valid, y - mean_y[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        syy = (dy * dy).sum(axis=1)
        beta = (dx * dy).sum(axis=1) / sxx
        alpha = mean_y - beta * mean_x
        resid = np.where(valid, dy - beta[:, None] * dx, 0.0)
        ssr = (resid * resid).sum(axis=1)
        sigma = np.sqrt(ssr / (n - 2))
        r2 = 1.0 - ssr / syy
    bad = (n < 3) | ~(sxx > 0)
    for arr in (alpha, beta, sigma, r2):
        arr[bad] = np.nan
    return MarketModelFit(alpha, beta, sigma, r2, n.astype(np.int64), mean_x, sxx)
