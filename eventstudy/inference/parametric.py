"""Parametric tests of the cumulative average abnormal return (CAAR) over a window.

Notation (``research/anchors-features.md`` §3.0): pair i has ``M_i`` valid estimation
returns, residual standard deviation ``s_i = sqrt(SSR_i / (M_i - 2))`` (market model;
``df_i = M_i - k`` in general), ``L_i`` valid days in the CAR window and ``CAR_i`` =
sum of its ARs there; ``CAAR = mean_i CAR_i`` over the N pairs with a CAR.
``Var(CAR_i)`` is the MacKinlay (1997) variance with estimation error,
``s_i^2 [L_i + L_i^2/M_i + (sum_t (R_mt - mean R_m))^2 / S_mm]`` for the market model
(``s_i^2 (L_i + a' (X'X)^{-1} a)`` with a general design, see
:class:`~eventstudy.inference.panel.EventPanel`).

Every function takes an :class:`~eventstudy.inference.panel.EventPanel` and a window
``(start, end)`` of relative days, is vectorised over pairs and returns a
:class:`~eventstudy.inference.result.TestResult`; a test that cannot run returns NaN
with a note instead of raising. Where the literature leaves a choice open the house
convention (``research/conventions.md``) is followed and named in the docstring.
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.panel import EventPanel, standardized_ar, window_view
from eventstudy.inference.result import TestResult, p_normal, p_student, result, unavailable


def _cross_sectional_t(x: np.ndarray, few: str, flat: str) -> tuple[float, int, str]:
    """``sqrt(N) mean(x) / sd(x)`` (``sd`` on N - 1 df), N, and a note when it is NaN.

    ``few`` is the note for fewer than 2 values, ``flat`` for no dispersion.
    """
    n = x.size
    if n < 2:
        return np.nan, n, few
    sd = float(x.std(ddof=1))
    if not sd > 0:
        return np.nan, n, flat
    return float(np.sqrt(n) * x.mean() / sd), n, ""


def _t_result(name: str, t: float, n: int, note: str) -> TestResult:
    """A Student t(N - 1) result, or the note when the statistic is NaN."""
    if not np.isfinite(t):
        return unavailable(name, note, n)
    return result(name, t, p_student(t, n - 1), n, n - 1, f"t({n - 1})")


def cs_t(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Cross-sectional t test of the CAAR.

    ``t = sqrt(N) CAAR / S``, ``S`` the cross-sectional standard deviation of
    ``CAR_i`` (N - 1 in the denominator), referred to Student t(N - 1) (house
    convention). This is the "ordinary" cross-sectional test of Boehmer, Musumeci &
    Poulsen (1991) and Brown & Warner (1985); it is robust to event-induced variance
    but assumes the CARs are cross-sectionally independent.

    References
    ----------
    Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: The case of event
    studies. *Journal of Financial Economics* 14(1), 3-31.
    """
    w = window_view(panel, window)
    return _t_result(
        "cs_t",
        *_cross_sectional_t(
            w.car[w.has_car],
            "needs at least 2 pairs with a CAR",
            "the CARs have no cross-sectional dispersion",
        ),
    )


def cda_t(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Brown & Warner (1985) crude dependence adjustment (portfolio time-series t).

    ``t = CAAR / (sqrt(L2) S)`` where ``S`` is the time-series standard deviation
    (ddof = 1) of the equally weighted mean estimation-window residual
    ``AAR_tau = mean_i e_i,tau`` over the L1 estimation days, events aligned in
    relative time; ``L2`` is the number of window days with at least one AR and
    ``CAAR = mean_i CAR_i``. Referred to Student t(L1 - 1) (house convention).

    Because ``S`` is the variance of the *portfolio* mean, it contains every
    cross-covariance of the residuals of pairs that share calendar days, so the test
    remains valid under event-date clustering; it is not robust to event-induced
    variance.

    References
    ----------
    Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: The case of event
    studies. *Journal of Financial Economics* 14(1), 3-31.
    """
    name = "cda_t"
    w = window_view(panel, window)
    use = w.has_car
    n = int(use.sum())
    if n < 1:
        return unavailable(name, "no pair has a CAR in this window", 0)

    def portfolio() -> np.ndarray:  # window-free: kept for each set of pairs used
        resid = panel.residuals[use]
        valid = np.isfinite(resid)
        count = valid.sum(axis=0)
        day = count > 0
        return np.where(valid, resid, 0.0).sum(axis=0)[day] / count[day]

    aar_est = panel.cached(("cda portfolio", use.tobytes()), portfolio)
    l1 = aar_est.size
    if l1 < 3:
        return unavailable(name, "fewer than 3 estimation days with residuals", n)
    s = float(aar_est.std(ddof=1))
    l2 = int((w.included[use].any(axis=0)).sum())
    if not s > 0:
        return unavailable(name, "the estimation-window portfolio is constant", n)
    t = float(w.car[use].mean() / (np.sqrt(l2) * s))
    return result(name, t, p_student(t, l1 - 1), n, l1 - 1, f"t({l1 - 1})")


def patell_z(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Patell (1976) standardized-residual Z test with the forecast-error correction.

    ``SAR_it = AR_it / (s_i sqrt(C_it))``, ``C_it = 1 + 1/M_i + (R_mt - mean R_m)^2 /
    S_mm``; ``Z = sum_i sum_t SAR_it / sqrt(sum_i L_i (M_i - 2)/(M_i - 4))`` over the
    included days (house convention, the EventStudyTools "Patell Z"); N(0, 1).
    ``(M - 2)/(M - 4)`` is the variance of a t(M - 2) variate (``df/(df - 2)`` for a
    model with ``df = M - k``); pairs with ``df <= 2`` are left out. Assumes
    independent pairs and no event-induced variance.

    References
    ----------
    Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price
    behavior: Empirical tests. *Journal of Accounting Research* 14(2), 246-276.
    """
    name = "patell_z"
    z, n, note = _patell(panel, window)
    if not np.isfinite(z):
        return unavailable(name, note, n)
    return result(name, z, p_normal(z), n, None, "N(0,1)", note)


def _patell(panel: EventPanel, window: tuple[int, int]) -> tuple[float, int, str]:
    """The Patell Z, the pairs it used and a note (shared with the KP-adjusted test)."""
    w = window_view(panel, window)
    use = w.model_ok & (panel.df > 2)  # type: ignore[operator]
    n = int(use.sum())
    if n < 1:
        return np.nan, 0, "no pair has a CAR and more than 2 residual degrees of freedom"
    sar = np.where(w.included[use], panel.per_pair("sar", standardized_ar)[use], 0.0)
    df = panel.df[use].astype(np.float64)  # type: ignore[index]
    var = (w.days[use] * df / (df - 2.0)).sum()
    return float(sar.sum() / np.sqrt(var)), n, ""


def bmp_t(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Boehmer, Musumeci & Poulsen (1991) standardized cross-sectional t test.

    ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` with the MacKinlay (1997) / Mikkelson-Partch
    variance (house convention for multi-day windows; for one day this is the Patell
    SAR), then ``t = sqrt(N) mean(SCAR) / sd(SCAR)`` (ddof = 1), Student t(N - 1)
    (house convention). Robust to event-induced variance; assumes independent pairs.

    References
    ----------
    Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study methodology under
    conditions of event-induced variance. *Journal of Financial Economics* 30(2),
    253-272.
    """
    return _t_result("bmp_t", *_bmp(panel, window))


def _bmp(panel: EventPanel, window: tuple[int, int]) -> tuple[float, int, str]:
    """The BMP t on SCAR_i, the pairs it used and a note."""
    w = window_view(panel, window)
    scar = w.car[w.model_ok] / np.sqrt(w.var_car[w.model_ok])
    return _cross_sectional_t(
        scar,
        "needs at least 2 pairs with a CAR and a market model",
        "the standardized CARs have no dispersion",
    )


def bmp_t_csar(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """BMP (1991) t on the cumulated daily standardized residuals (``CSAR_i``).

    ``CSAR_i = sum_t SAR_it`` over the included days (Patell SARs, forecast-error
    corrected), ``t = sqrt(N) mean(CSAR) / sd(CSAR)``, Student t(N - 1). The house
    convention reports this alongside :func:`bmp_t`; the two are identical for a
    one-day window. With missing days the sums cover different numbers of days.

    References
    ----------
    Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study methodology under
    conditions of event-induced variance. *Journal of Financial Economics* 30(2),
    253-272.
    """
    w = window_view(panel, window)
    use = w.model_ok
    csar = np.where(w.included[use], panel.per_pair("sar", standardized_ar)[use], 0.0).sum(axis=1)
    return _t_result(
        "bmp_t_csar",
        *_cross_sectional_t(
            csar,
            "needs at least 2 pairs with a CAR and a market model",
            "the CSARs have no dispersion",
        ),
    )


def mackinlay_j1(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """MacKinlay (1997) J1: the CAAR over its standard error, N(0, 1).

    ``J1 = CAAR / sqrt((1/N^2) sum_i Var(CAR_i))`` with the MacKinlay variance
    (estimation error included). Assumes independent pairs and no event-induced
    variance.

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance. *Journal of
    Economic Literature* 35(1), 13-39, eq. (21)-(22).
    """
    name = "mackinlay_j1"
    w = window_view(panel, window)
    use = w.model_ok
    n = int(use.sum())
    if n < 1:
        return unavailable(name, "no pair has a CAR and a market model", 0)
    j1 = float(w.car[use].mean() / np.sqrt(w.var_car[use].sum() / n**2))
    return result(name, j1, p_normal(j1), n, None, "N(0,1)")


def mackinlay_j2(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """MacKinlay (1997) J2: the mean standardized CAR, N(0, 1).

    ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` is t(M_i - 2) under H0 with variance
    ``(M_i - 2)/(M_i - 4)``; ``J2 = sum_i SCAR_i / sqrt(sum_i (M_i - 2)/(M_i - 4))``,
    which equals MacKinlay's ``sqrt(N (L1 - 4)/(L1 - 2)) mean(SCAR)`` when every pair
    has ``L1`` estimation returns (``df/(df - 2)`` for a model with ``df = M - k``).
    Pairs with ``df <= 2`` are left out.

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance. *Journal of
    Economic Literature* 35(1), 13-39, eq. (23)-(24).
    """
    name = "mackinlay_j2"
    w = window_view(panel, window)
    use = w.model_ok & (panel.df > 2)  # type: ignore[operator]
    n = int(use.sum())
    if n < 1:
        return unavailable(name, "no pair has a CAR and more than 2 residual degrees of freedom", 0)
    scar = w.car[use] / np.sqrt(w.var_car[use])
    df = panel.df[use].astype(np.float64)  # type: ignore[index]
    j2 = float(scar.sum() / np.sqrt((df / (df - 2.0)).sum()))
    return result(name, j2, p_normal(j2), n, None, "N(0,1)")


__all__ = [
    "bmp_t",
    "bmp_t_csar",
    "cda_t",
    "cs_t",
    "mackinlay_j1",
    "mackinlay_j2",
    "patell_z",
]
