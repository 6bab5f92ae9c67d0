"""Normal-return models fitted for many (event, security) pairs at once.

Every estimator works on stacked arrays, one row per pair, with NaN marking a missing
return; nothing loops over pairs. Each returns a :class:`NormalFit`, which predicts
normal returns from a *prediction design* (one row of regressors per day) and carries
what the forecast-error variance needs: ``AR = R - design @ coef`` and, for the L
included days of a window with summed design rows ``a``,
``Var(CAR) = s^2 (L + a' (X'X)^{-1} a)`` (MacKinlay 1997, eqs. 9-12).

Models (``model:`` in events.yaml; conventions from ``research/conventions.md``):

``constant-mean``
    ``AR = R - mean(R_est)``; ``s^2`` with ``n - 1`` df; design ``[1]``, so
    ``Var(CAR) = s^2 (L + L^2 / n)``.
``market-adjusted``
    ``AR = R - R_m``; nothing estimated; ``s^2`` = variance of ``R - R_m`` over the
    estimation window (``n - 1`` df); ``Var(CAR) = s^2 L``.
``market``
    OLS of ``R`` on ``[1, R_m]``; ``s^2 = SSR / (n - 2)``.
``factor``
    OLS of ``R`` on ``[1, R_m, F_1 .. F_f]`` (factor returns, e.g. KWEB);
    ``s^2 = SSR / (n - k)``.
``scholes-williams``
    Scholes & Williams (1977): ``beta = (b_-1 + b_0 + b_+1) / (1 + 2 rho)``, the
    ``b_k`` being OLS slopes of ``R_t`` on ``R_m,t+k`` and ``rho`` the first-order
    autocorrelation of ``R_m``; ``alpha = mean(R) - beta mean(R_m)``.
``dimson``
    Dimson (1979): OLS of ``R_t`` on ``R_m,t-K .. R_m,t+K``; ``beta`` = sum of the
    slopes, ``alpha`` = the intercept.

For the two thin-trading betas ``AR = R - alpha - beta R_m`` and ``s^2`` is the
mean square of those abnormal returns over the estimation window with ``n - 2`` df;
their forecast-error term uses the market-model ``(X'X)^{-1}`` of ``[1, R_m]`` (an
approximation: the estimators' exact sampling variance is not that of OLS).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
ModelName = Literal[
    "constant-mean", "market-adjusted", "market", "factor", "scholes-williams", "dimson"
]
MODEL_NAMES: tuple[str, ...] = (
    "constant-mean", "market-adjusted", "market", "factor", "scholes-williams", "dimson",
)  # fmt: skip


@dataclass(frozen=True)
class NormalFit:
    """Estimates of one normal-return model, one entry (row) per pair.

    Attributes
    ----------
    model
        The model's name.
    coef
        (N, k) coefficients of the prediction design (see :meth:`design`).
    xtx_inv
        (N, k, k) ``(X'X)^{-1}`` of the prediction design over the estimation window,
        or None when nothing was estimated (market-adjusted).
    alpha, beta
        (N,) intercept and market beta as reported in ``models.csv`` (market-adjusted:
        0 and 1; constant-mean: the mean and NaN).
    sigma
        (N,) residual standard deviation ``sqrt(SSR / df)``.
    df
        (N,) residual degrees of freedom (``n_est - k``); t-tests use them.
    r2
        (N,) coefficient of determination of the estimation fit (NaN where undefined).
    n_est
        (N,) valid estimation-window observations.
    factor_coef
        (N, f) slopes on the extra factors (factor model), else (N, 0).
    """

    model: str
    coef: FloatArray
    xtx_inv: FloatArray | None
    alpha: FloatArray
    beta: FloatArray
    sigma: FloatArray
    df: NDArray[np.int64]
    r2: FloatArray
    n_est: NDArray[np.int64]
    factor_coef: FloatArray

    def design(self, market: FloatArray, factors: FloatArray | None = None) -> FloatArray:
        """Prediction design (N, L, k) from benchmark returns (N, L) and factors (N, L, f)."""
        ones = np.ones_like(market)
        if self.model == "constant-mean":
            return ones[..., None]
        if self.model == "market-adjusted":
            return market[..., None]
        columns = [ones, market]
        if self.model == "factor" and factors is not None:
            columns += [factors[..., j] for j in range(factors.shape[-1])]
        return np.stack(columns, axis=-1)

    def expected(self, market: FloatArray, factors: FloatArray | None = None) -> FloatArray:
        """Normal (expected) returns (N, L)."""
        if self.model not in ("constant-mean", "market-adjusted", "factor"):
            return self.coef[:, :1] + self.coef[:, 1:2] * market  # design [1, R_m]
        return np.einsum("nlk,nk->nl", self.design(market, factors), self.coef)

    def forecast_term(self, summed_design: FloatArray) -> FloatArray:
        """``a' (X'X)^{-1} a`` per row for summed design rows ``a`` (N, k) or (N, L, k)."""
        if self.xtx_inv is None:
            return np.zeros(summed_design.shape[:-1])
        if summed_design.ndim == 2:
            return np.einsum("nk,nkj,nj->n", summed_design, self.xtx_inv, summed_design)
        return np.einsum("nlk,nkj,nlj->nl", summed_design, self.xtx_inv, summed_design)

    def take(self, rows: NDArray[np.intp]) -> NormalFit:
        """The estimates of the given rows only."""
        values = {
            f.name: (v if f.name == "model" or v is None else v[rows])
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }
        return type(self)(**values)

    @property
    def market_mean(self) -> FloatArray:
        """Estimation-window mean of ``R_m`` (designs ``[1, R_m, ...]``), from ``(X'X)^{-1}``."""
        return -self.xtx_inv[:, 0, 1] / self.xtx_inv[:, 1, 1]  # type: ignore[index]

    @property
    def market_sxx(self) -> FloatArray:
        """``sum (R_m - mean)^2`` over the estimation window (market-model designs)."""
        return 1.0 / self.xtx_inv[:, 1, 1]  # type: ignore[index]


MarketModelFit = NormalFit  # the market model's fit is a NormalFit with design [1, R_m]


def _market_inverse(n: FloatArray, mean_x: FloatArray, sxx: FloatArray) -> FloatArray:
    """``(X'X)^{-1}`` of ``[1, x]``: ``[[1/n + m^2/S, -m/S], [-m/S, 1/S]]``."""
    inv = np.empty((len(n), 2, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        inv[:, 0, 0] = 1.0 / n + mean_x**2 / sxx
        inv[:, 0, 1] = inv[:, 1, 0] = -mean_x / sxx
        inv[:, 1, 1] = 1.0 / sxx
    return inv


@dataclass(frozen=True)
class _Moments:
    """Per-row moments of y on x over the valid days (centred deviations kept)."""

    n: FloatArray
    mean_x: FloatArray
    mean_y: FloatArray
    sxx: FloatArray
    sxy: FloatArray
    syy: FloatArray
    dx: FloatArray
    dy: FloatArray


def _rowdot(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise dot products without a temporary (N, L) array."""
    return np.einsum("ij,ij->i", a, b)


def moments_of(y: FloatArray, x: FloatArray, valid: NDArray[np.bool_]) -> _Moments:
    """n, means and centred cross-products of y on x over the valid days."""
    n = valid.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = np.where(valid, x, 0.0).sum(axis=1) / n
        mean_y = np.where(valid, y, 0.0).sum(axis=1) / n
        dx = np.where(valid, x - mean_x[:, None], 0.0)
        dy = np.where(valid, y - mean_y[:, None], 0.0)
    return _Moments(n, mean_x, mean_y, _rowdot(dx, dx), _rowdot(dx, dy), _rowdot(dy, dy), dx, dy)


def moments(y: FloatArray, x: FloatArray, valid: NDArray[np.bool_]) -> tuple[FloatArray, ...]:
    """n, means, centred cross-products of y on x over the valid days."""
    m = moments_of(y, x, valid)
    return m.n, m.mean_x, m.mean_y, m.sxx, m.sxy, m.syy


def finish_fit(
    model: str,
    y: FloatArray,
    x: FloatArray,
    valid: NDArray[np.bool_],
    alpha: FloatArray,
    beta: FloatArray,
    moments: _Moments | None = None,
) -> NormalFit:
    """A ``[1, R_m]``-design fit from alpha and beta: sigma, r2, (X'X)^{-1}.

    ``moments`` (of y on x over ``valid``) may be passed when ``alpha = mean(y) - beta
    mean(x)``: the residuals are then ``dy - beta dx`` and nothing is recomputed.
    """
    own = moments is None
    m = moments_of(y, x, valid) if own else moments
    with np.errstate(invalid="ignore", divide="ignore"):
        if own:
            resid = np.where(valid, y - alpha[:, None] - beta[:, None] * x, 0.0)
        else:
            resid = m.dy - beta[:, None] * m.dx  # zero off the valid days already
        ssr = _rowdot(resid, resid)
        sigma = np.sqrt(ssr / (m.n - 2))
        r2 = 1.0 - ssr / m.syy
    n, mean_x, sxx = m.n, m.mean_x, m.sxx
    bad = (n < 3) | ~(sxx > 0) | ~np.isfinite(beta)
    for arr in (alpha, beta, sigma, r2):
        arr[bad] = np.nan
    return NormalFit(
        model=model,
        coef=np.column_stack([alpha, beta]),
        xtx_inv=_market_inverse(n, mean_x, sxx),
        alpha=alpha,
        beta=beta,
        sigma=sigma,
        df=(n - 2).astype(np.int64),
        r2=r2,
        n_est=n.astype(np.int64),
        factor_coef=np.empty((len(n), 0)),
    )


def fit_market_model(returns: FloatArray, market: FloatArray) -> NormalFit:
    """Fit the market model by OLS for every row of ``returns`` against ``market``.

    Parameters
    ----------
    returns, market
        Arrays of shape (pairs, estimation days); NaN where a return is missing. A day
        counts only when both returns are present.

    Returns
    -------
    NormalFit
        Closed-form OLS estimates (``sigma = sqrt(SSR / (n - 2))``, MacKinlay 1997,
        eq. 8). Rows with fewer than 3 valid days or a constant benchmark get NaN.
    """
    valid = np.isfinite(returns) & np.isfinite(market)
    m = moments_of(returns, market, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = m.sxy / m.sxx
    alpha = m.mean_y - beta * m.mean_x
    return finish_fit("market", returns, market, valid, alpha, beta, m)


def fit_constant_mean(returns: FloatArray) -> NormalFit:
    """Constant-mean model: ``AR = R - mean(R_est)``, ``s^2 = SS / (n - 1)``."""
    valid = np.isfinite(returns)
    n = valid.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, returns, 0.0).sum(axis=1) / n
        dev = np.where(valid, returns - mean[:, None], 0.0)
        sigma = np.sqrt((dev * dev).sum(axis=1) / (n - 1))
    bad = n < 3
    mean[bad] = sigma[bad] = np.nan
    with np.errstate(divide="ignore"):
        inv = (1.0 / n)[:, None, None]
    return NormalFit(
        "constant-mean", mean[:, None], inv, mean, np.full_like(mean, np.nan), sigma,
        (n - 1).astype(np.int64), np.full_like(mean, np.nan), n.astype(np.int64),
        np.empty((len(n), 0)),
    )  # fmt: skip


def fit_market_adjusted(returns: FloatArray, market: FloatArray) -> NormalFit:
    """Market-adjusted model: ``AR = R - R_m``; ``s^2`` = variance of ``R - R_m`` (n - 1 df)."""
    excess = returns - market
    base = fit_constant_mean(excess)
    ones = np.ones_like(base.alpha)
    return replace(
        base, model="market-adjusted", coef=ones[:, None], xtx_inv=None,
        alpha=np.zeros_like(ones), beta=ones,
    )  # fmt: skip
