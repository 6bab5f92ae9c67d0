"""The per-pair rows of estimated groups: ``abnormal_returns``, ``car`` and ``models``.

:func:`tables` turns :class:`~eventstudy.models.estimation.Estimates` into the rows of
the output contract's tables (one per pair x relative day, pair x CAR window, pair).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.models.abnormal import (
    ar_variance,
    car_variance,
    cumulative_car_variance,
    t_test,
)
from eventstudy.models.estimation import GARCH_COLUMNS
from eventstudy.models.garch import GarchFit, normal_test
from eventstudy.models.sample_quantile import RunSums, sq_pvalue
from eventstudy.sessions.confounders import in_window

if TYPE_CHECKING:
    from eventstudy.models.estimation import Estimates


def _strings(values: list[str]) -> pd.api.extensions.ExtensionArray:
    """A string column (pandas ``str``); repeat rows with ``.take`` (no per-row work)."""
    return pd.array(values, dtype="str")


def _iso_days(dates: NDArray[np.datetime64]) -> pd.api.extensions.ExtensionArray:
    """``YYYY-MM-DD`` of each date (missing for NaT), formatting each distinct day once."""
    days, inverse = np.unique(dates.astype("M8[D]"), return_inverse=True)
    text = [None if np.isnat(day) else str(day) for day in days]
    return _strings(text).take(inverse.ravel())  # type: ignore[arg-type]


def tables(
    group: Estimates, car_windows: list[tuple[int, int]], factor_names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ``abnormal_returns``, ``car`` and ``models`` rows of one fitted group.

    Beyond the contract columns, ``car`` has ``n_days``, ``benchmark``, ``model`` and
    ``confounders`` (other events whose day 0 lies in the window), ``car_p_sq`` and
    ``sq_m`` (the sample-quantile p-value over the window's ``n_days`` sessions and its
    number of estimation-window sums, :mod:`eventstudy.models.sample_quantile`);
    ``models`` has
    ``df``, ``n_masked`` (estimation days masked around other events), ``thin_share``
    (share of estimation sessions without trading), ``beta_<FACTOR>`` per factor and
    :data:`GARCH_COLUMNS` (NaN unless ``model: garch``, whose ``ar_se``/``car_se`` use
    the forecast variances and whose ``car_p`` is standard normal, see
    :mod:`eventstudy.models.garch`).
    """
    pairs, fit, data = group.pairs, group.fit, group.data
    design = group.design_evt
    ar = group.ar
    day_var = group.ar_var
    valid = np.isfinite(ar)
    rel_days = np.arange(group.event_window[0], group.event_window[1] + 1)
    width = len(rel_days)
    running_car = np.cumsum(np.where(valid, ar, 0.0), axis=1)
    y_evt, x_evt = data.returns[:, group.evt], data.market[:, group.evt]
    ids = _strings([p.event_id for p in pairs])
    tickers = _strings([p.ticker for p in pairs])
    each_day = np.repeat(np.arange(len(pairs)), width)
    ar_frame = pd.DataFrame(
        {
            "event_id": ids.take(each_day),
            "ticker": tickers.take(each_day),
            "rel_day": np.tile(rel_days, len(pairs)),
            "date": _iso_days(data.dates[:, group.evt].ravel()),
            "ret": y_evt.ravel(),
            "benchmark_ret": x_evt.ravel(),
            "expected_ret": np.einsum("nlk,nk->nl", design, fit.coef).ravel(),
            "ar": ar.ravel(),
            "car": np.where(valid, running_car, np.nan).ravel(),
            "ar_se": np.where(valid, np.sqrt(ar_variance(fit, design, day_var)), np.nan).ravel(),
            "car_se": np.where(
                valid, np.sqrt(cumulative_car_variance(fit, design, valid, day_var)), np.nan
            ).ravel(),
        }
    )

    day0s = _iso_days(np.array([p.alignment.day0.to_datetime64() for p in pairs], "M8[ns]"))
    benchmarks = _strings([p.benchmark for p in pairs])
    car_rows = []
    runs = RunSums.of(group.residuals)  # one pass for every window's SQ p-values
    for w_start, w_end in car_windows:
        included = valid & ((rel_days >= w_start) & (rel_days <= w_end))[None, :]
        car = np.where(included, ar, 0.0).sum(axis=1)
        car[~included.any(axis=1)] = np.nan
        se = np.sqrt(car_variance(fit, design, included, day_var))
        t, p = t_test(car, se, fit.df) if day_var is None else normal_test(car, se)
        p_sq, sq_m = sq_pvalue(car, runs, included.sum(axis=1))
        car_rows.append(
            pd.DataFrame(
                {
                    "event_id": ids,
                    "ticker": tickers,
                    "day0": day0s,
                    "window_start": w_start,
                    "window_end": w_end,
                    "car": car,
                    "car_se": se,
                    "car_t": t,
                    "car_p": p,
                    "n_est": fit.n_est,
                    "alpha": fit.alpha,
                    "beta": fit.beta,
                    "sigma": fit.sigma,
                    "n_days": included.sum(axis=1),
                    "benchmark": benchmarks,
                    "model": fit.model,
                    "confounders": in_window(group.near, (w_start, w_end)),
                    "car_p_sq": p_sq,
                    "sq_m": sq_m,
                }
            )
        )
    est_dates = data.dates[:, group.est]
    stale = data.stale[:, group.est]
    models = pd.DataFrame(
        {
            "event_id": ids,
            "ticker": tickers,
            "model": fit.model,
            "alpha": fit.alpha,
            "beta": fit.beta,
            "sigma": fit.sigma,
            "r2": fit.r2,
            "n_est": fit.n_est,
            "est_start": _iso_days(est_dates[:, 0]),
            "est_end": _iso_days(est_dates[:, -1]),
            "benchmark": benchmarks,
            "exchange": [p.alignment.exchange for p in pairs],
            "df": fit.df,
            "n_masked": group.masked.sum(axis=1),
            "thin_share": stale.mean(axis=1),
        }
    )
    for j in range(fit.factor_coef.shape[1]):
        models[f"beta_{factor_names[j]}"] = fit.factor_coef[:, j]
    for column in GARCH_COLUMNS:  # NaN for the models without a variance equation
        models[column] = getattr(fit, column) if isinstance(fit, GarchFit) else np.nan
    return ar_frame, pd.concat(car_rows, ignore_index=True), models
