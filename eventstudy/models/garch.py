"""The market model with GARCH(1,1) errors (``model: garch``), fitted pair by pair.

Bollerslev (1986), "Generalized autoregressive conditional heteroskedasticity",
*Journal of Econometrics* 31(3), 307-327. On the estimation window

``R_t = alpha + beta R_mt + e_t``,  ``e_t | past ~ N(0, h_t)``,
``h_t = omega + a e_{t-1}^2 + b h_{t-1}``

is fitted by (Gaussian) maximum likelihood with the ``arch`` package
(``arch_model(100 R, x=100 R_m, mean="LS", vol="GARCH", p=1, q=1, dist="normal")``:
arch advises returns in per cent for a well-scaled optimisation). Every parameter and
variance is reported in return units: ``alpha = Const / 100``, ``omega = omega_% /
10^4``, variances ``/ 10^4``; ``beta``, ``a`` (``garch_alpha``) and ``b``
(``garch_beta``) have no unit. The estimation series is the pair's valid estimation
sessions in session order (days masked around other events or without a return are
left out, so the recursion runs over them as if adjacent).

Event window. No event-window data enters the model: the conditional variance of
the ``k``-th session after the last valid estimation session is the multi-step
forecast ``h_{T+1} = omega + a e_T^2 + b h_T``, ``h_{T+k} = omega + (a + b) h_{T+k-1}``
(what ``ARCHModelResult.forecast`` gives). ``AR_t = R_t - alpha - beta R_mt``; the
CAR over the window's valid days has ``car_se = sqrt(sum of their forecast
variances)``: the ARs are treated as independent with known variances, so the
estimation error of the parameters is ignored (no MacKinlay term; the fit's
``(X'X)^{-1}`` is zero). Accordingly ``car_t = CAR / car_se`` is referred to the
standard normal (``car_p`` two-sided).

Inference in ``tests.csv``: every test that standardizes by the model's variance uses
the day's conditional variance instead of ``sigma^2`` (estimation days: the fitted
``h_t``; event days: the forecasts), see :class:`eventstudy.inference.EventPanel`.
``sigma`` (models.csv, car.csv) is the residual standard deviation
``sqrt(SSR / (n - 2))`` of the fitted mean equation, a summary only, and ``df = n -
2`` (the Patell-type tests' ``df / (df - 2)`` factor then makes them conservative by
``O(1/n)``, since the GARCH variances are treated as known). The Binder (1985) joint
test re-estimates an OLS market model and is reported as not defined for ``garch``.

A fit that does not converge (arch's convergence flag, or a non-finite or
non-positive variance) leaves the pair out, with the optimizer's message.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from eventstudy.models.fits import FloatArray, NormalFit

SCALE = 100.0
"""Returns are fitted in per cent (x 100)."""
SERIAL_PAIRS = 8
"""Up to this many pairs are fitted in this process (a pool costs more to start)."""
_N_PARAMS = 5  # Const, beta, omega, alpha[1], beta[1]


@dataclass(frozen=True)
class GarchFit(NormalFit):
    """A :class:`NormalFit` of the GARCH(1,1) market model, with its variances.

    Attributes
    ----------
    omega, garch_alpha, garch_beta
        (N,) variance-equation parameters (``omega`` in squared return units).
    est_var
        (N, L1) fitted conditional variances on the estimation days (NaN where the
        day has no return or is masked).
    forecast_var
        (N, H) forecast variances of the ``H`` sessions after the estimation window's
        last session (column ``j`` = relative day ``est_end + 1 + j``).
    message
        (N,) the optimizer's message for fits that failed, else ``""``.
    """

    omega: FloatArray
    garch_alpha: FloatArray
    garch_beta: FloatArray
    est_var: FloatArray
    forecast_var: FloatArray
    message: NDArray[np.object_]

    @property
    def persistence(self) -> FloatArray:
        """``a + b``: how slowly a variance shock dies out (1 = integrated)."""
        return self.garch_alpha + self.garch_beta


def fit_one(y: FloatArray, x: FloatArray, ahead: int) -> tuple[FloatArray, FloatArray, str]:
    """Fit one pair's GARCH(1,1) market model on its valid estimation days.

    Parameters
    ----------
    y, x
        (L1,) security and benchmark returns on the estimation days (NaN = missing).
    ahead
        Forecast variances wanted for this many sessions after the window's end.

    Returns
    -------
    params, variances, message
        ``[alpha, beta, omega, a, b]`` in return units; the fitted conditional
        variances on the L1 days (NaN off the valid days) followed by the ``ahead``
        forecasts; and ``""``, or why the fit failed (then everything is NaN).
    """
    from arch import arch_model
    from arch.utility.exceptions import ConvergenceWarning

    valid = np.isfinite(y) & np.isfinite(x)
    out = np.full(len(y) + ahead, np.nan)
    nan = np.full(_N_PARAMS, np.nan)
    if valid.sum() < 10:
        return nan, out, f"only {int(valid.sum())} valid estimation returns for GARCH(1,1)"
    model = arch_model(
        SCALE * y[valid], x=SCALE * x[valid, None], mean="LS", vol="GARCH", p=1, q=1,
        dist="normal",
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(disp="off")
    failed = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    if res.convergence_flag != 0 or failed:
        why = str(res.optimization_result.message) or "; ".join(failed)
        return nan, out, f"GARCH(1,1) fit did not converge: {why}"
    const, beta, omega, a, b = (float(v) for v in res.params.to_numpy())
    h = np.asarray(res.conditional_volatility, dtype=np.float64) ** 2
    e_last = float(np.asarray(res.resid)[-1])
    gap = len(y) - 1 - int(np.flatnonzero(valid)[-1])  # sessions after the last valid one
    steps = np.empty(gap + ahead)
    prev = omega + a * e_last**2 + b * h[-1]
    for k in range(gap + ahead):
        steps[k] = prev
        prev = omega + (a + b) * prev
    if not (np.isfinite(h).all() and (h > 0).all() and np.isfinite(steps).all()):
        return nan, out, "GARCH(1,1) fit gave a non-finite or zero conditional variance"
    out[: len(y)][valid] = h / SCALE**2
    out[len(y) :] = steps[gap:] / SCALE**2
    params = np.array([const / SCALE, beta, omega / SCALE**2, a, b])
    return params, out, ""


def _fit_rows(args: tuple[FloatArray, FloatArray, int]) -> list[tuple[FloatArray, FloatArray, str]]:
    """:func:`fit_one` for each row of a block (one pool task)."""
    y, x, ahead = args
    return [fit_one(y[i], x[i], ahead) for i in range(len(y))]


def fit_garch(
    returns: FloatArray, market: FloatArray, ahead: int, *, workers: int | None = None
) -> GarchFit:
    """Fit the GARCH(1,1) market model for every row (pair).

    Parameters
    ----------
    returns, market
        (N, L1) estimation-window returns (NaN where missing or masked).
    ahead
        Sessions after the estimation window to forecast (up to the event window's end).
    workers
        Processes of the pool (default: one per CPU). With at most
        :data:`SERIAL_PAIRS` pairs, or ``workers=1``, the fits run in this process.

    Returns
    -------
    GarchFit
        Failed rows have NaN estimates and their ``message``.
    """
    n, width = returns.shape
    workers = workers or os.cpu_count() or 1
    if n <= SERIAL_PAIRS or workers == 1:
        results = _fit_rows((returns, market, ahead))
    else:
        size = max(1, -(-n // (4 * workers)))  # ~4 tasks per worker balance the load
        blocks = [(returns[i : i + size], market[i : i + size], ahead) for i in range(0, n, size)]
        with ProcessPoolExecutor(max_workers=min(workers, len(blocks))) as pool:
            results = [r for part in pool.map(_fit_rows, blocks) for r in part]
    params = np.array([r[0] for r in results]).reshape(n, _N_PARAMS)
    variances = np.array([r[1] for r in results]).reshape(n, width + ahead)
    message = np.array([r[2] for r in results], dtype=object)
    alpha, beta = params[:, 0].copy(), params[:, 1].copy()
    valid = np.isfinite(returns) & np.isfinite(market)
    n_est = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(valid, returns - alpha[:, None] - beta[:, None] * market, 0.0)
        ssr = (resid * resid).sum(axis=1)
        sigma = np.sqrt(ssr / (n_est - 2))
        mean_y = np.where(valid, returns, 0.0).sum(axis=1) / n_est
        syy = np.where(valid, (returns - mean_y[:, None]) ** 2, 0.0).sum(axis=1)
        r2 = 1.0 - ssr / syy
    sigma[message != ""] = np.nan
    r2[message != ""] = np.nan
    return GarchFit(
        model="garch",
        coef=np.column_stack([alpha, beta]),
        xtx_inv=np.zeros((n, 2, 2)),  # parameter estimation error ignored (module text)
        alpha=alpha,
        beta=beta,
        sigma=sigma,
        df=(n_est - 2).astype(np.int64),
        r2=r2,
        n_est=n_est.astype(np.int64),
        factor_coef=np.empty((n, 0)),
        omega=params[:, 2].copy(),
        garch_alpha=params[:, 3].copy(),
        garch_beta=params[:, 4].copy(),
        est_var=variances[:, :width].copy(),
        forecast_var=variances[:, width:].copy(),
        message=message,
    )


def normal_test(car: FloatArray, se: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``z = CAR / car_se`` and its two-sided standard-normal p-value (known variances)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = car / se
    return z, 2.0 * special.ndtr(-np.abs(z))
