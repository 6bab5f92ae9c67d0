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

Every test but ``cda_t`` is a *moment test*: ``<test>_values`` gives the per-pair values
it reads and ``<test>_of`` its statistic from their count, sum and sum of squared
deviations (:class:`~eventstudy.inference.moments.Moments`). The test function is the
one composed with the other, and a Dask run combines the moments of a group's
partitions and calls the same ``<test>_of`` (:mod:`eventstudy.inference.combinable`):
one formula either way. ``cda_t`` is a *daily-sum test*: ``cda_t_rows`` gives the
per-pair rows it sums (residuals by estimation day ...) and ``cda_t_of`` its statistic
from their sums over the pairs (:mod:`eventstudy.inference.daily`), which a Dask run
adds over a group's partitions alike.
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.daily import PairRows, ones, sums_of
from eventstudy.inference.moments import Moments
from eventstudy.inference.panel import EventPanel
from eventstudy.inference.ranks import window_columns
from eventstudy.inference.result import TestResult, p_normal, p_student, result, unavailable
from eventstudy.inference.views import WindowView, standardized_ar, window_view

PairValues = tuple[np.ndarray, dict[str, np.ndarray]]
"""What a moment test reads of each pair: (N,) which pairs it uses, and (N,) per-pair
values by name; the statistic depends on the used pairs only through the values'
:class:`~eventstudy.inference.moments.Moments` (see :mod:`eventstudy.inference.combinable`)."""


def moments_of(values: PairValues) -> dict[str, Moments]:
    """The moments of each value over the used pairs (one group)."""
    use, named = values
    return {name: Moments.of(value[use]) for name, value in named.items()}


def _t_of(x: Moments, few: str, flat: str) -> tuple[float, int, str]:
    """``sqrt(N) mean(x) / sd(x)`` (``sd`` on N - 1 df), N, and a note when it is NaN.

    ``few`` is the note for fewer than 2 values, ``flat`` for no dispersion.
    """
    n, total, m2 = x.scalars()
    if n < 2:
        return np.nan, n, few
    sd = float(np.sqrt(m2 / (n - 1)))
    if not sd > 0:
        return np.nan, n, flat
    return float(np.sqrt(n) * (total / n) / sd), n, ""


def _t_result(name: str, t: float, n: int, note: str) -> TestResult:
    """A Student t(N - 1) result, or the note when the statistic is NaN."""
    if not np.isfinite(t):
        return unavailable(name, note, n)
    return result(name, t, p_student(t, n - 1), n, n - 1, f"t({n - 1})")


def _csar(panel: EventPanel, w: WindowView) -> np.ndarray:
    """Each pair's sum of Patell SARs over the included days of the window."""
    return np.where(w.included, panel.per_pair("sar", standardized_ar), 0.0).sum(axis=1)


def cs_t_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`cs_t` reads the CARs of the pairs with a CAR."""
    w = window_view(panel, window)
    return w.has_car, {"car": w.car}


def cs_t_of(m: dict[str, Moments]) -> TestResult:
    """:func:`cs_t` from the moments of :func:`cs_t_values`."""
    few, flat = "needs at least 2 pairs with a CAR", "the CARs have no cross-sectional dispersion"
    return _t_result("cs_t", *_t_of(m["car"], few, flat))


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
    return cs_t_of(moments_of(cs_t_values(panel, window)))


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
    use, rows = cda_t_rows(panel, window)
    est = {name: rows.pop(name) for name in ("resid", "resid_n", "evt_n")}
    # window-free given the pairs used: kept for each set of pairs
    sums = panel.cached(("cda portfolio", use.tobytes()), lambda: sums_of((use, est)))
    return cda_t_of(sums | sums_of((use, rows)), window_columns(panel, window_view(panel, window)))


def cda_t_rows(panel: EventPanel, window: tuple[int, int]) -> PairRows:
    """What :func:`cda_t` sums over the pairs with a CAR: each pair's estimation
    residuals (0 where missing), which estimation days and which event days have a
    return, its CAR and a 1."""

    resid_n = panel.per_pair("resid valid", lambda p: np.isfinite(p.residuals))
    resid = panel.per_pair(
        "resid zeroed", lambda p: np.where(np.isfinite(p.residuals), p.residuals, 0.0)
    )
    evt_n = panel.per_pair("event valid", lambda p: np.isfinite(p.ar) & np.isfinite(p.market_evt))
    w = window_view(panel, window)
    rows = {"resid": resid, "resid_n": resid_n, "evt_n": evt_n, "car": w.car[:, None]}
    return w.has_car, rows | {"n": ones(panel)}


def cda_t_of(sums: dict[str, np.ndarray], columns: np.ndarray) -> TestResult:
    """:func:`cda_t` from the sums of :func:`cda_t_rows` over its pairs and the window's
    ``columns`` of the estimation + event days
    (:func:`~eventstudy.inference.ranks.window_columns`). A Dask run adds the sums of a
    group's partitions and calls this too."""
    name = "cda_t"
    n = int(sums["n"][0])
    if n < 1:
        return unavailable(name, "no pair has a CAR in this window", 0)
    count = sums["resid_n"]
    day = count > 0
    aar_est = sums["resid"][day] / count[day]
    l1 = aar_est.size
    if l1 < 3:
        return unavailable(name, "fewer than 3 estimation days with residuals", n)
    s = float(aar_est.std(ddof=1))
    l2 = int(((sums["evt_n"] > 0) & columns[count.size :]).sum())
    if not s > 0:
        return unavailable(name, "the estimation-window portfolio is constant", n)
    t = float(sums["car"][0] / n / (np.sqrt(l2) * s))
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
    return patell_z_of(moments_of(patell_z_values(panel, window)))


def patell_z_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`patell_z` reads each pair's summed SARs and ``L_i df_i / (df_i - 2)``, over
    the pairs with a CAR, a model and more than 2 residual degrees of freedom."""
    w = window_view(panel, window)
    df = panel.df.astype(np.float64)  # type: ignore[union-attr]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = w.days * df / (df - 2.0)
    return w.model_ok & (df > 2), {"sar": _csar(panel, w), "var": var}


def patell_z_of(m: dict[str, Moments]) -> TestResult:
    """:func:`patell_z` from the moments of :func:`patell_z_values`."""
    name = "patell_z"
    z, n, note = patell_of(m)
    if not np.isfinite(z):
        return unavailable(name, note, n)
    return result(name, z, p_normal(z), n, None, "N(0,1)", note)


def patell_of(m: dict[str, Moments]) -> tuple[float, int, str]:
    """The Patell Z, the pairs it used and a note (shared with the KP-adjusted test)."""
    n, sar, _ = m["sar"].scalars()
    if n < 1:
        return np.nan, 0, "no pair has a CAR and more than 2 residual degrees of freedom"
    return float(sar / np.sqrt(m["var"].scalars()[1])), n, ""


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
    return bmp_t_of(moments_of(bmp_t_values(panel, window)))


def bmp_t_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`bmp_t` reads the standardized CARs ``SCAR_i`` of the pairs with a model."""
    w = window_view(panel, window)
    return w.model_ok, {"scar": w.car / np.sqrt(w.var_car)}


def bmp_t_of(m: dict[str, Moments]) -> TestResult:
    """:func:`bmp_t` from the moments of :func:`bmp_t_values`."""
    return _t_result("bmp_t", *bmp_of(m))


def bmp_of(m: dict[str, Moments]) -> tuple[float, int, str]:
    """The BMP t on SCAR_i, the pairs it used and a note (shared with the KP test)."""
    return _t_of(
        m["scar"],
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
    return bmp_t_csar_of(moments_of(bmp_t_csar_values(panel, window)))


def bmp_t_csar_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`bmp_t_csar` reads the ``CSAR_i`` of the pairs with a model."""
    w = window_view(panel, window)
    return w.model_ok, {"csar": _csar(panel, w)}


def bmp_t_csar_of(m: dict[str, Moments]) -> TestResult:
    """:func:`bmp_t_csar` from the moments of :func:`bmp_t_csar_values`."""
    return _t_result(
        "bmp_t_csar",
        *_t_of(
            m["csar"],
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
    return mackinlay_j1_of(moments_of(mackinlay_j1_values(panel, window)))


def mackinlay_j1_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`mackinlay_j1` reads the CARs and their variances of the pairs with a model."""
    w = window_view(panel, window)
    return w.model_ok, {"car": w.car, "var": w.var_car}


def mackinlay_j1_of(m: dict[str, Moments]) -> TestResult:
    """:func:`mackinlay_j1` from the moments of :func:`mackinlay_j1_values`."""
    name = "mackinlay_j1"
    n, car, _ = m["car"].scalars()
    if n < 1:
        return unavailable(name, "no pair has a CAR and a market model", 0)
    j1 = float(car / n / np.sqrt(m["var"].scalars()[1] / n**2))
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
    return mackinlay_j2_of(moments_of(mackinlay_j2_values(panel, window)))


def mackinlay_j2_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`mackinlay_j2` reads ``SCAR_i`` and ``df_i / (df_i - 2)`` of the pairs with a
    model and more than 2 residual degrees of freedom."""
    w = window_view(panel, window)
    df = panel.df.astype(np.float64)  # type: ignore[union-attr]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = df / (df - 2.0)
    return w.model_ok & (df > 2), {"scar": w.car / np.sqrt(w.var_car), "var": var}


def mackinlay_j2_of(m: dict[str, Moments]) -> TestResult:
    """:func:`mackinlay_j2` from the moments of :func:`mackinlay_j2_values`."""
    name = "mackinlay_j2"
    n, scar, _ = m["scar"].scalars()
    if n < 1:
        return unavailable(name, "no pair has a CAR and more than 2 residual degrees of freedom", 0)
    j2 = float(scar / np.sqrt(m["var"].scalars()[1]))
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
