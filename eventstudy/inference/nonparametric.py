"""Rank and sign tests of abnormal returns over a CAR window.

Ranks are computed per pair along its time axis (average ranks for ties, NaN left
out; the same as :func:`scipy.stats.rankdata`), vectorised over pairs, once per study
panel (:mod:`eventstudy.inference.ranks`). Signs count an AR as
positive only when strictly above zero (house convention). Every function takes an
:class:`~eventstudy.inference.panel.EventPanel` and a window ``(start, end)`` of
relative days and returns a :class:`~eventstudy.inference.result.TestResult`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from eventstudy.inference.daily import PairRows, ones, sums_of
from eventstudy.inference.moments import Moments
from eventstudy.inference.panel import BoolArray, EventPanel, FloatArray, rows_of
from eventstudy.inference.parametric import PairValues, moments_of
from eventstudy.inference.ranks import (
    average_ranks,
    combined_ranks,
    combined_series,
    combined_valid,
    estimation_ranks,
    window_columns,
)
from eventstudy.inference.result import TestResult, p_normal, p_student, result, unavailable
from eventstudy.inference.views import estimation_sar, window_view


def time_series_z(
    total: FloatArray, n_t: np.ndarray, in_window: np.ndarray, weight: str
) -> tuple[FloatArray, np.ndarray, FloatArray]:
    """Aggregate the daily sums of per-(pair, day) scores into the Corrado-type Z, for G
    groups at once (the rows of ``total`` and ``n_t``).

    ``total[g, t] = sum_i score_it`` over the ``n_t[g, t]`` pairs of group g with a
    return on day t; ``in_window`` (T,) marks the window's days.
    ``weight="mean"``: daily statistic ``D_t = (1/N_t) sum_i score_it`` (Corrado 1989);
    ``weight="sqrt"``: ``D_t = (1/sqrt(N_t)) sum_i score_it`` (Corrado & Zivney 1992).
    ``S = sqrt((1/T) sum_t D_t^2)`` over the T days with ``N_t > 0``, and
    ``Z = sum_{t in window} D_t / (sqrt(L2) S)`` over the ``L2`` window days with
    ``N_t > 0`` (Campbell & Wasley 1993 cumulation).

    Returns
    -------
    z, l2, s
        (G,) each: Z (NaN where ``L2 = 0`` or ``S`` is not positive), ``L2`` and ``S``.
    """
    day = n_t > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = n_t if weight == "mean" else np.sqrt(n_t)
        d = np.where(day, total / scale, 0.0)
        s = np.sqrt((d**2).sum(axis=1) / day.sum(axis=1))
        in_w = in_window[None, :] & day
        l2 = in_w.sum(axis=1)
        z = np.where(in_w, d, 0.0).sum(axis=1) / (np.sqrt(l2) * s)
    return z, l2, s


def _deviations(p: EventPanel, x: FloatArray, valid: BoolArray) -> FloatArray:
    """Corrado (1989) scores: rank deviations ``K_it - (T_i + 1)/2``."""
    t_i = valid.sum(axis=1)
    return combined_ranks(p) - (t_i[:, None] + 1) / 2.0


def _standardized(p: EventPanel, x: FloatArray, valid: BoolArray) -> FloatArray:
    """Corrado & Zivney (1992) scores: standardized ranks ``K_it / (T_i + 1) - 1/2``."""
    t_i = valid.sum(axis=1)
    return combined_ranks(p) / (t_i[:, None] + 1.0) - 0.5


def _signs(p: EventPanel, x: FloatArray, valid: BoolArray) -> FloatArray:
    """Corrado & Zivney (1992) sign scores ``sign(AR_it - median_i)``."""
    median = np.full(len(x), np.nan)
    some = valid.any(axis=1)  # a pair without any AR is never used
    median[some] = np.nanmedian(x[some], axis=1)
    return np.sign(x - median[:, None])


Score = Callable[[EventPanel, FloatArray, BoolArray], FloatArray]

SERIES_TESTS: dict[str, tuple[Score, str]] = {
    "corrado_rank_z": (_deviations, "mean"),
    "corrado_zivney_rank_z": (_standardized, "sqrt"),
    "corrado_zivney_sign_z": (_signs, "sqrt"),
}
"""The tests on the combined estimation+event series: each pair's daily scores and how
:func:`time_series_z` weights their daily sums (``"mean"`` or ``"sqrt"``)."""


def pair_scores(panel: EventPanel, name: str) -> FloatArray:
    """Each pair's daily scores of the :data:`SERIES_TESTS` test ``name`` (0 where missing).

    Scores depend on the pair alone, so they are made once per study panel
    (:meth:`EventPanel.per_pair`).
    """
    score, _ = SERIES_TESTS[name]

    def scores(p: EventPanel) -> FloatArray:
        x = combined_series(p)
        valid = combined_valid(p)
        return np.where(valid, score(p, x, valid), 0.0)

    return panel.per_pair(name, scores)


def series_rows(name: str, panel: EventPanel, window: tuple[int, int]) -> PairRows:
    """What the :data:`SERIES_TESTS` test ``name`` sums over the pairs with a CAR: each
    pair's daily scores (:func:`pair_scores`), which days have a return, and a 1."""
    use = window_view(panel, window).has_car
    return use, {"total": pair_scores(panel, name), "n_t": combined_valid(panel), "n": ones(panel)}


def series_z_of(name: str, sums: dict[str, np.ndarray], columns: np.ndarray) -> TestResult:
    """The :data:`SERIES_TESTS` test ``name`` from the sums of :func:`series_rows` over
    its pairs (``total[t]``, ``n_t[t]`` and ``n``) and the window's ``columns`` of the
    combined series (:func:`window_columns`): :func:`time_series_z` with the test's
    weighting. A Dask run adds the sums of a group's partitions and calls this too."""
    n = int(sums["n"][0])
    if n == 0:
        return unavailable(name, "no pair has a CAR in this window", 0)
    weight = SERIES_TESTS[name][1]
    z, l2, s = time_series_z(sums["total"][None], sums["n_t"][None], columns, weight)
    if l2[0] == 0:
        return unavailable(name, "no window day has a return", n)
    if not s[0] > 0:
        return unavailable(name, "the daily statistics have no variation", n)
    return result(name, float(z[0]), p_normal(z[0]), n, None, "N(0,1)")


def _combined_series_z(name: str, panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Shared frame of the rank and sign tests on the combined estimation+event series.

    The sums of :func:`series_rows` over the pairs with a CAR are kept for each set of
    pairs used (they do not depend on the window) and given to :func:`series_z_of`.
    """
    use, rows = series_rows(name, panel, window)
    sums = panel.cached((name, use.tobytes()), lambda: sums_of((use, rows)))
    return series_z_of(name, sums, window_columns(panel, window_view(panel, window)))


def corrado_rank_z(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Corrado (1989) rank test, cumulated over the window (Campbell & Wasley 1993).

    House convention: each pair's ARs are ranked over its estimation window plus the
    full event window (``T_i`` valid days); ``K_bar_i = (T_i + 1)/2``. With the daily
    mean rank deviation ``D_t = (1/N_t) sum_i (K_it - K_bar_i)`` and
    ``S(K) = sqrt((1/T) sum_t D_t^2)`` over all T days,
    ``Z = sum_{t in window} D_t / (sqrt(L2) S(K))``, N(0, 1). ``S(K)`` is a time-series
    dispersion of cross-sectional means, so it absorbs cross-correlation of pairs
    that share calendar days.

    References
    ----------
    Corrado, C. J. (1989). A nonparametric test for abnormal security-price
    performance in event studies. *Journal of Financial Economics* 23(2), 385-395.
    Campbell, C. J. and Wasley, C. E. (1993). Measuring security price performance
    using daily NASDAQ returns. *Journal of Financial Economics* 33(1), 73-92.
    """
    return _combined_series_z("corrado_rank_z", panel, window)


def corrado_zivney_rank_z(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Corrado & Zivney (1992) standardized rank test.

    House convention: ranks over the same days as :func:`corrado_rank_z`,
    standardized ``U_it = K_it / (T_i + 1)`` and centred at 1/2;
    ``D_t = (1/sqrt(N_t)) sum_i (U_it - 1/2)``, ``S_U = sqrt((1/T) sum_t D_t^2)``,
    ``Z = sum_{t in window} D_t / (sqrt(L2) S_U)``, N(0, 1). The standardization
    handles pairs with different numbers of valid days; with no missing returns the
    statistic equals :func:`corrado_rank_z`.

    References
    ----------
    Corrado, C. J. and Zivney, T. L. (1992). The specification and power of the sign
    test in event study hypothesis tests using daily stock returns. *Journal of
    Financial and Quantitative Analysis* 27(3), 465-478.
    """
    return _combined_series_z("corrado_zivney_rank_z", panel, window)


def corrado_zivney_sign_z(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Corrado & Zivney (1992) sign test, cumulated over the window.

    House convention: ``G_it = sign(AR_it - median_i)``, the median over the pair's
    estimation plus full event window (the rank test's days);
    ``D_t = (1/sqrt(N_t)) sum_i G_it``, ``S(G) = sqrt((1/T) sum_t D_t^2)``,
    ``Z = sum_{t in window} D_t / (sqrt(L2) S(G))``, N(0, 1). The paper's statistic is
    for one day; the cumulation is the house extension in the rank test's form.

    References
    ----------
    Corrado, C. J. and Zivney, T. L. (1992). The specification and power of the sign
    test in event study hypothesis tests using daily stock returns. *Journal of
    Financial and Quantitative Analysis* 27(3), 465-478.
    """
    return _combined_series_z("corrado_zivney_sign_z", panel, window)


def positive_share(panel: EventPanel) -> FloatArray:
    """Each pair's share of strictly positive estimation residuals (NaN: none), once
    per study panel (the generalized sign test's ``p_hat`` input)."""

    def share(p: EventPanel) -> FloatArray:
        count = np.isfinite(p.residuals).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.nan_to_num(p.residuals, nan=0.0) > 0).sum(axis=1) / count

    return panel.per_pair("positive_share", share)


def gen_sign_z(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Cowan (1992) generalized sign test.

    House convention: ``p_hat`` is the mean over pairs of each pair's fraction of
    positive (strictly > 0) estimation-window residuals; ``w`` the number of pairs
    with ``CAR_i > 0``; ``Z = (w - N p_hat) / sqrt(N p_hat (1 - p_hat))`` with no
    continuity correction, N(0, 1). Assumes independent pairs.

    References
    ----------
    Cowan, A. R. (1992). Nonparametric event study tests. *Review of Quantitative
    Finance and Accounting* 2(4), 343-358.
    """
    return gen_sign_z_of(moments_of(gen_sign_z_values(panel, window)))


def gen_sign_z_values(panel: EventPanel, window: tuple[int, int]) -> PairValues:
    """:func:`gen_sign_z` reads each pair's share of positive estimation residuals and
    whether its CAR is positive, over the pairs with both a CAR and residuals."""
    w = window_view(panel, window)
    frac = positive_share(panel)  # NaN: no residuals
    return w.has_car & np.isfinite(frac), {"share": frac, "win": (w.car > 0).astype(np.float64)}


def gen_sign_z_of(m: dict[str, Moments]) -> TestResult:
    """:func:`gen_sign_z` from the moments of :func:`gen_sign_z_values`."""
    name = "gen_sign_z"
    n, share, _ = m["share"].scalars()
    if n < 1:
        return unavailable(name, "no pair has both a CAR and estimation residuals", 0)
    p = float(share / n)
    if not 0 < p < 1:
        return unavailable(name, f"estimation-window share of positive ARs is {p}", n)
    wins = int(m["win"].scalars()[1])
    z = (wins - n * p) / np.sqrt(n * p * (1 - p))
    return result(name, float(z), p_normal(z), n, None, "N(0,1)", f"p_hat={p:.6g}")


def wilcoxon(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Wilcoxon (1945) signed-rank test of the CARs, normal approximation.

    The N nonzero ``CAR_i`` are ranked by absolute value (average ranks for ties);
    ``W = sum of the ranks of the positive CARs``,
    ``z = (W - N(N+1)/4) / sqrt(N(N+1)(2N+1)/24 - sum_g (t_g^3 - t_g)/48)`` (tie
    correction over groups of tied absolute values), N(0, 1), no continuity
    correction; zero CARs are dropped. Equals ``scipy.stats.wilcoxon(...,
    method="approx", correction=False)``. Assumes independent pairs.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics
    Bulletin* 1(6), 80-83.
    """
    w = window_view(panel, window)
    return wilcoxon_of(w.car[w.has_car])


def wilcoxon_of(car: np.ndarray) -> TestResult:
    """:func:`wilcoxon` of the CARs of the pairs with a CAR (what a Dask run gathers)."""
    name = "wilcoxon"
    car = car[car != 0]
    n = car.size
    if n < 2:
        return unavailable(name, "needs at least 2 nonzero CARs", n)
    ranks = average_ranks(np.abs(car))
    w_plus = float(ranks[car > 0].sum())
    _, ties = np.unique(np.abs(car), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - (ties**3 - ties).sum() / 48.0
    z = (w_plus - n * (n + 1) / 4.0) / np.sqrt(var)
    return result(name, float(z), p_normal(z), n, None, "N(0,1)", f"W+={w_plus:g}")


def grank_rank_sums(
    panel: EventPanel, use: BoolArray, cumulated: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """Sums over the used pairs of ``U_it = rank / (T_i + 1) - 1/2``, and ``N_t``.

    Each pair's series is its estimation SARs followed by its ``cumulated`` day
    (always valid). The estimation SARs are ranked once per pair
    (:meth:`EventPanel.per_pair`) and their part of the sums is kept per set of pairs;
    adding the cumulated value ``c`` raises the average rank of every SAR above ``c``
    by 1 and of every SAR equal to it by 1/2, and ``c`` ranks
    ``#{SAR < c} + #{SAR = c}/2 + 1``: the same average ranks as ranking each whole
    series, without a sort per window.

    The sums over the parts of a group add up to the group's (a Dask run's partitions;
    :func:`grank_t_of` finishes the test from them).

    Returns
    -------
    sums, n_t
        (L1 + 1,) column sums of ``U`` (0 where missing) and pairs with a value.
    """
    sar = rows_of(estimation_sar(panel), use)

    def window_free() -> tuple[FloatArray, FloatArray, np.ndarray]:
        ranks = estimation_ranks(panel)
        valid = np.isfinite(sar)
        weight = 1.0 / (valid.sum(axis=1) + 2.0)  # 1 / (T_i + 1), T_i = valid SARs + 1
        base = weight @ np.where(valid, rows_of(ranks, use), 0.0) - 0.5 * valid.sum(axis=0)
        return base, weight, valid.sum(axis=0)

    base, weight, n_est = panel.cached(("grank ranks", use.tobytes()), window_free)
    c = cumulated[:, None]
    above, tied = sar > c, sar == c
    sums = np.empty(sar.shape[1] + 1)
    sums[:-1] = base + weight @ above + 0.5 * (weight @ tied)
    valid_count = 1.0 / weight - 2.0
    rank_c = valid_count - above.sum(axis=1) - 0.5 * tied.sum(axis=1) + 1.0
    sums[-1] = (rank_c * weight).sum() - 0.5 * len(sar)
    return sums, np.append(n_est, len(sar))


def grank_t(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Kolari & Pynnönen (2011) generalized rank test (GRANK-T) of the CAR.

    ``SAR_it = e_it / s_i`` on the estimation days; the CAR window becomes one
    cumulated day with ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` (MacKinlay variance),
    re-standardized by its cross-sectional standard deviation (ddof = 1) for
    event-induced volatility: ``SCAR*_i = SCAR_i / sd(SCAR)``. The generalized series
    ``GSAR_i`` (L1 estimation days + the cumulated day) is ranked per pair,
    ``U_it = rank / (T_i + 1) - 1/2`` with ``T_i`` valid observations;
    ``U_bar_t = mean_i U_it``, ``S_U = sqrt((1/T) sum_t (N_t/N) U_bar_t^2)`` over the
    T time points (cumulated day included), ``Z = U_bar_0 / S_U`` and
    ``t = Z sqrt((T - 2)/(T - 1 - Z^2))``, Student t(T - 2) (the paper's choice; the
    eventstudystatistics package's ``(L1 - 1)/(L1 - Z^2)``, t(L1 - 1) variant is not
    used). Robust to event-induced volatility and non-normality. The paper also
    claims robustness to cross-correlation; in ``benchmarks/size_power.py`` with all
    pairs on one date (r = 0.3) it rejected 8.6% at the 5% level, because the
    cross-sectional ``sd(SCAR)`` estimates ``sqrt(1 - r)``, making the cumulated day's
    values more dispersed than the estimation days'. It is therefore not flagged
    ``valid_under_clustering``.

    References
    ----------
    Kolari, J. W. and Pynnönen, S. (2011). Nonparametric rank tests for event studies.
    *Journal of Empirical Finance* 18(5), 953-971.
    """
    use, scar = grank_scar(panel, window)
    n = int(use.sum())
    sd = float(scar.std(ddof=1)) if n >= 2 else np.nan
    failed = grank_unscalable(n, sd)
    if failed is not None:
        return failed
    sums, n_t = grank_rank_sums(panel, use, scar / sd)
    return grank_t_of(sums, n_t, n)


def grank_scar(panel: EventPanel, window: tuple[int, int]) -> tuple[BoolArray, FloatArray]:
    """The pairs :func:`grank_t` uses (a CAR and a market model) and their
    ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` (one per used pair)."""
    w = window_view(panel, window)
    use = w.model_ok
    with np.errstate(invalid="ignore", divide="ignore"):
        return use, w.car[use] / np.sqrt(w.var_car[use])


def grank_unscalable(n: int, sd: float) -> TestResult | None:
    """:func:`grank_t`'s result when ``n`` used pairs whose SCARs have standard deviation
    ``sd`` (ddof = 1) cannot be re-standardized; None when they can."""
    if n < 2:
        return unavailable("grank_t", "needs at least 2 pairs with a CAR and a market model", n)
    if not sd > 0:
        return unavailable("grank_t", "the standardized CARs have no dispersion", n)
    return None


def grank_t_of(sums: FloatArray, n_t: np.ndarray, n: int) -> TestResult:
    """:func:`grank_t` from the column sums of ``U`` and ``N_t`` of its ``n`` pairs
    (:func:`grank_rank_sums`, added over the parts of the group)."""
    name = "grank_t"
    day = n_t > 0
    u_bar = sums[day] / n_t[day]
    t_points = int(day.sum())
    s_u = np.sqrt(np.sum(n_t[day] / n * u_bar**2) / t_points)
    z = u_bar[-1] / s_u
    if not (t_points > 2 and z**2 < t_points - 1):
        return unavailable(name, f"GRANK Z^2 = {z**2:.4g} leaves no t transform", n)
    t = float(z * np.sqrt((t_points - 2) / (t_points - 1 - z**2)))
    df = t_points - 2
    return result(name, t, p_student(t, df), n, df, f"t({df})", f"Z={z:.6g}")
