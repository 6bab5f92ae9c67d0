"""The thin-trading and factor fits, and :func:`fit_model`, which picks a study's model.

Scholes & Williams (1977) and Dimson (1979) betas from benchmark returns padded around
the estimation window, the multi-factor model by OLS, and the dispatcher every engine
calls; the conventions are those of :mod:`eventstudy.models.fits`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from eventstudy.models.fits import (
    FloatArray,
    NormalFit,
    finish_fit,
    fit_constant_mean,
    fit_market_adjusted,
    fit_market_model,
    moments,
    moments_of,
)


def _shifted(market: FloatArray, lag: int, width: int) -> FloatArray:
    """``R_m,t+lag`` for the ``width`` estimation columns that start at column ``pad``."""
    pad = (market.shape[1] - width) // 2
    return market[:, pad + lag : pad + lag + width]


def fit_scholes_williams(returns: FloatArray, market_padded: FloatArray) -> NormalFit:
    """Scholes & Williams (1977) beta; see :mod:`eventstudy.models.fits` for the convention.

    Parameters
    ----------
    returns
        (N, L) estimation-window security returns.
    market_padded
        (N, L + 2 p) benchmark returns from ``p >= 1`` sessions before to ``p`` after
        the estimation window, so ``R_m,t-1`` and ``R_m,t+1`` exist at its edges.
    """
    width = returns.shape[1]
    lag, now, lead = (_shifted(market_padded, k, width) for k in (-1, 0, 1))
    valid = np.isfinite(returns) & np.isfinite(lag) & np.isfinite(now) & np.isfinite(lead)
    slopes = []
    for x in (lag, now, lead):
        _, _, _, sxx, sxy, _ = moments(returns, x, valid)
        with np.errstate(invalid="ignore", divide="ignore"):
            slopes.append(sxy / sxx)
    _, _, _, s_now, s_cross, s_lag = moments(now, lag, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = s_cross / np.sqrt(s_now * s_lag)
        beta = (slopes[0] + slopes[1] + slopes[2]) / (1.0 + 2.0 * rho)
    m = moments_of(returns, now, valid)
    alpha = m.mean_y - beta * m.mean_x
    return finish_fit("scholes-williams", returns, now, valid, alpha, beta, m)


def ols(
    y: FloatArray, design: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """Batched OLS of ``y`` (N, L) on ``design`` (N, L, k); rows with any NaN are dropped.

    Returns ``(coef (N, k), (X'X)^{-1} (N, k, k), residuals (N, L) NaN where dropped,
    valid (N, L))``. Singular systems give NaN coefficients.
    """
    valid = np.isfinite(y) & np.isfinite(design).all(axis=2)
    X = np.where(valid[..., None], design, 0.0)
    yv = np.where(valid, y, 0.0)
    xtx = np.einsum("nlk,nlj->nkj", X, X)
    xty = np.einsum("nlk,nl->nk", X, yv)
    k = design.shape[2]
    ok = np.linalg.matrix_rank(xtx) == k
    inv = np.full_like(xtx, np.nan)
    inv[ok] = np.linalg.inv(xtx[ok])
    coef = np.einsum("nkj,nj->nk", inv, xty)
    resid = np.where(valid, y - np.einsum("nlk,nk->nl", design, coef), np.nan)
    return coef, inv, resid, valid


def _regression_fit(model: str, y: FloatArray, design: FloatArray) -> tuple[NormalFit, FloatArray]:
    coef, inv, resid, valid = ols(y, design)
    n = valid.sum(axis=1)
    k = design.shape[2]
    with np.errstate(invalid="ignore", divide="ignore"):
        ssr = np.nansum(resid**2, axis=1)
        mean_y = np.where(valid, y, 0.0).sum(axis=1) / n
        syy = np.where(valid, (y - mean_y[:, None]) ** 2, 0.0).sum(axis=1)
        sigma = np.sqrt(ssr / (n - k))
        r2 = 1.0 - ssr / syy
    bad = (n <= k) | ~np.isfinite(coef).all(axis=1)
    sigma[bad] = r2[bad] = np.nan
    coef[bad] = np.nan
    fit = NormalFit(
        model, coef, inv, coef[:, 0].copy(), coef[:, 1].copy(), sigma, (n - k).astype(np.int64),
        r2, n.astype(np.int64), coef[:, 2:].copy(),
    )  # fmt: skip
    return fit, valid


def fit_factor_model(returns: FloatArray, market: FloatArray, factors: FloatArray) -> NormalFit:
    """Multi-factor model: OLS of ``R`` on ``[1, R_m, F_1 .. F_f]`` (``factors`` (N, L, f))."""
    ones = np.ones_like(market)
    design = np.concatenate([np.stack([ones, market], axis=-1), factors], axis=-1)
    return _regression_fit("factor", returns, design)[0]


def fit_dimson(returns: FloatArray, market_padded: FloatArray, lags: int = 1) -> NormalFit:
    """Dimson (1979) beta: sum of the slopes on ``R_m,t-K .. R_m,t+K`` (K = ``lags``).

    ``market_padded`` holds ``p >= lags`` extra sessions on each side of the window.
    """
    width = returns.shape[1]
    shifted = [_shifted(market_padded, k, width) for k in range(-lags, lags + 1)]
    design = np.stack([np.ones_like(returns), *shifted], axis=-1)
    fit, valid = _regression_fit("dimson", returns, design)
    alpha = fit.coef[:, 0].copy()
    beta = fit.coef[:, 1:].sum(axis=1)
    now = shifted[lags]
    return finish_fit("dimson", returns, now, valid, alpha, beta)


def fit_model(
    model: str,
    returns: FloatArray,
    market_padded: FloatArray,
    factors: FloatArray | None = None,
    *,
    dimson_lags: int = 1,
) -> NormalFit:
    """Fit ``model`` on the estimation window.

    Parameters
    ----------
    model
        One of :data:`MODEL_NAMES`.
    returns
        (N, L) security returns on the estimation days.
    market_padded
        (N, L + 2 p) benchmark returns with ``p`` sessions of padding on each side
        (needed by the thin-trading betas; the others use the middle L columns).
    factors
        (N, L, f) extra factor returns on the estimation days (factor model).
    dimson_lags
        K for the Dimson model.
    """
    width = returns.shape[1]
    market = _shifted(market_padded, 0, width)
    if model == "market":
        return fit_market_model(returns, market)
    if model == "constant-mean":
        return fit_constant_mean(returns)
    if model == "market-adjusted":
        return fit_market_adjusted(returns, market)
    if model == "factor":
        if factors is None or factors.shape[-1] == 0:
            raise ValueError("the factor model needs factor returns (study.factors)")
        return fit_factor_model(returns, market, factors)
    if model == "scholes-williams":
        return fit_scholes_williams(returns, market_padded)
    if model == "dimson":
        return fit_dimson(returns, market_padded, dimson_lags)
    raise ValueError(f"unknown model {model!r}")
