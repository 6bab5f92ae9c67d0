"""What the tests read of a panel: one CAR window's CARs and masks, standardized returns.

:func:`window_view` turns an :class:`~eventstudy.inference.panel.EventPanel` and a CAR
window ``(start, end)`` (relative days) into the per-pair CAR, its MacKinlay (1997)
variance and the masks the tests share; :func:`standardized_ar` and
:func:`estimation_sar` standardize the event-window and estimation-window returns.
Each is computed once per panel (and window) and kept on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.inference.panel import BoolArray, EventPanel, FloatArray, IntArray


@dataclass(frozen=True)
class WindowView:
    """Per-pair quantities of one CAR window, shared by the tests.

    Attributes
    ----------
    in_window
        (L2,) which event-window columns lie in ``[start, end]``.
    included
        (N, L2) in the window and with a valid abnormal return.
    days
        (N,) number of included days ``L_i``.
    car
        (N,) ``CAR_i`` = sum of the included ARs; NaN when ``L_i = 0``.
    var_car
        (N,) MacKinlay (1997) variance
        ``s_i^2 [L_i + L_i^2/M_i + (sum (R_mt - mean R_m))^2 / S_mm]``.
    has_car
        (N,) at least one included day.
    model_ok
        (N,) the pair has a CAR, a usable model (``sigma > 0``, ``df >= 1``) and a
        finite, positive CAR variance.
    """

    in_window: BoolArray
    included: BoolArray
    days: IntArray
    car: FloatArray
    var_car: FloatArray
    has_car: BoolArray
    model_ok: BoolArray


def check_window(window: tuple[int, int]) -> tuple[int, int]:
    """Validate a ``(start, end)`` window of relative days."""
    start, end = (int(v) for v in window)
    if start > end:
        raise ValueError(f"window start {start} is after its end {end}")
    return start, end


def window_view(panel: EventPanel, window: tuple[int, int]) -> WindowView:
    """CARs and their MacKinlay variances over ``window`` for every pair of ``panel``.

    Computed once per panel and window (the arrays are read-only).
    """
    start, end = check_window(window)
    return panel.cached(("window", start, end), lambda: _window_view(panel, start, end))


def _window_view(panel: EventPanel, start: int, end: int) -> WindowView:
    """The uncached :func:`window_view`."""
    in_window = (panel.rel_days >= start) & (panel.rel_days <= end)
    included = np.isfinite(panel.ar) & np.isfinite(panel.market_evt) & in_window[None, :]
    days = included.sum(axis=1)
    has_car = days > 0
    car = np.where(included, panel.ar, 0.0).sum(axis=1)
    car[~has_car] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        if panel.ar_var is None:
            var_car = panel.sigma**2 * (days + panel.forecast_term(included))
        else:
            spread = np.where(included, panel.ar_var, 0.0).sum(axis=1)
            var_car = spread + panel.sigma**2 * panel.forecast_term(included)
    model_ok = (
        has_car
        & (panel.sigma > 0)
        & (panel.df >= 1)  # type: ignore[operator]
        & np.isfinite(var_car)
        & (var_car > 0)
    )
    var_car[~model_ok] = np.nan
    view = WindowView(in_window, included, days, car, var_car, has_car, model_ok)
    for array in (in_window, included, days, car, var_car, has_car, model_ok):
        array.flags.writeable = False
    return view


def standardized_ar(panel: EventPanel) -> FloatArray:
    """Patell (1976) standardized abnormal returns ``SAR_it = AR_it / (s_i sqrt(C_it))``.

    ``C_it = 1 + 1/M_i + (R_mt - mean R_m)^2 / S_mm`` is the market-model forecast-error
    factor (``1 + x_t' (X'X)^{-1} x_t`` with a general design); NaN where the AR is
    missing or the model is unusable.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if panel.xtx_inv is not None:
            h = np.einsum("nlk,nkj,nlj->nl", panel.design_evt, panel.xtx_inv, panel.design_evt)
        else:
            dev = panel.market_evt - panel.market_mean[:, None]
            h = 1.0 / panel.n_est[:, None] + dev**2 / panel.market_sxx[:, None]
        if panel.ar_var is not None:  # conditional variances (GARCH)
            return panel.ar / np.sqrt(panel.ar_var + panel.sigma[:, None] ** 2 * h)
        return panel.ar / (panel.sigma[:, None] * np.sqrt(1.0 + h))


def estimation_sar(panel: EventPanel) -> FloatArray:
    """Estimation-window residuals over the pair's ``s_i``, ``e_it / s_i`` (per pair).

    NaN where the residual is missing; not finite where ``s_i`` is 0 or NaN. With
    conditional variances ``e_it / sqrt(h_it)``.
    """

    def compute(p: EventPanel) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            if p.resid_var is not None:
                return p.residuals / np.sqrt(p.resid_var)
            return p.residuals / p.sigma[:, None]

    return panel.per_pair("sar_est", compute)
