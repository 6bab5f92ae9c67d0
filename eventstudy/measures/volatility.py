"""Abnormal volatility: Beaver's (1968) U and its tests (``measures: [..., volatility]``).

Beaver, W. H. (1968), "The information content of annual earnings announcements",
*Journal of Accounting Research* 6 (Supplement), 67-92: on each event day

``U_t = AR_t^2 / s^2``,

with ``AR_t`` and ``s^2`` from the pair's return model: ``s^2 = sigma^2`` (the
residual variance, with the model's df: ``n - 2`` for the market model, ``n - 1`` for
constant-mean and market-adjusted) or, for ``model: garch``, the day's forecast
variance ``h_t`` (:mod:`eventstudy.models.garch`). As in Beaver, ``s^2`` carries no
forecast-error term for the estimated coefficients (an ``O(1/n)`` effect). ``U`` near 1
is a normal day; a variance increase by a factor ``k`` raises its mean to about ``k``.

Per pair and CAR window, over the window's ``L`` days with an AR:

``avol``
    the mean of ``U``.
``avol_p``
    ``P(F(L, df) >= avol)``, ``df`` the model's residual df. Under normal returns
    ``L * avol`` is a sum of ``L`` squared standardized forecast errors, each
    ``chi^2_1`` over the common ``s^2 / sigma^2 ~ chi^2_df / df``, so ``avol ~ F(L,
    df)`` (up to the forecast-error term). For GARCH the variances are treated as known
    (``df`` infinite): ``P(chi^2_L >= L avol)``. One-sided (upper tail: the
    alternative is a variance increase). Fat tails make it liberal: daily returns
    have kurtosis well above 3, so large U are more frequent than F says.
``avol_p_sq``
    the sample-quantile p-value (Gelbach, Helland & Klick 2013,
    :mod:`eventstudy.models.sample_quantile`) from the pair's own estimation
    window: ``U_tau = e_tau^2 / s^2`` (GARCH: ``e_tau^2 / h_tau``) on the estimation
    days, the means ``M_1 .. M_m`` of ``U`` over every run of ``L`` consecutive
    estimation sessions with all ``L`` present (the runs of the SQ test), and
    ``avol_p_sq = max(#{M_j >= avol}, 1) / m``: one-sided upper tail, as for
    ``avol_p``, never below ``1 / m`` (the resolution of ``m`` runs), empty when ``m <
    MIN_SQ_SUMS``. It needs no normality, so fat tails do not make it liberal; it
    treats in-sample residuals as draws of the event-day distribution.

``avol_q``
    the mid-rank percentile of ``avol`` among the same run means:
    ``q = (#{M_j < avol} + #{M_j = avol} / 2 + 1/2) / (m + 1)``, the position of the
    event window among the pair's own ``m + 1`` windows. When the event window's
    ``U`` have the estimation window's distribution, ``q`` is (nearly) uniform on
    (0, 1) and symmetric about 1/2 whatever the tails of the returns; empty when
    ``m < MIN_SQ_SUMS``.

``tests.csv`` rows (``measure = volatility``, same groups as the return tests, over
the pairs with an ``avol_q``):

``avol_cs_t``
    the cross-sectional t of the normal scores ``z_i = Phi^-1(q_i)``: ``t = mean /
    (sd / sqrt(N))``, sd with ``N - 1`` df, Student t(N - 1), two-sided.
``avol_wilcoxon``
    the Wilcoxon (1945) signed-rank test of ``q_i - 1/2`` (normal approximation with
    tie correction, no continuity correction, zeros dropped: the convention of the
    ``wilcoxon`` test), two-sided.

Both assume independent pairs. Why percentiles and not ``avol_i - 1`` directly: U is
a right-skewed chi-square-like variable (its median is 0.45 for one normal day, not
1), so the signed-rank test of ``avol - 1`` tests the wrong centre, and with fat tails
the mean of ``avol`` has no usable central limit at tens of pairs. Measured
(benchmarks/size_power.py; 50 pairs, 300 replications, 5% level, t(4) shocks), the
t of ``avol - 1`` rejects 17% (window [0, 0]) and 12% ([-1, +1]) under no effect and
the signed rank of ``avol - 1`` 79% and 55%; on the percentiles the two tests reject
4-7% in every window, with normal and t(4) shocks, and keep full power against a
tripled day-0 standard deviation. The percentile treats the in-sample estimation
residuals as draws of the event-day distribution, as the sample-quantile test does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats

from eventstudy.models.sample_quantile import MIN_SQ_SUMS, window_sums

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel
    from eventstudy.measures.record import StudyRecord
    from eventstudy.models.estimation import Estimates

FloatArray = NDArray[np.float64]
ABNORMAL_VOLATILITY_COLUMNS = ["event_id", "ticker", "rel_day", "date", "ar", "u"]
AVOL_COLUMNS = [
    "event_id", "ticker", "day0", "window_start", "window_end", "avol", "avol_p",
    "avol_p_sq", "n_est", "avol_q",
]  # fmt: skip
VOLATILITY_TESTS = ("avol_cs_t", "avol_wilcoxon")


def beaver_u(ar: FloatArray, variance: FloatArray) -> FloatArray:
    """Beaver's ``U = AR^2 / s^2`` (``variance`` broadcast against ``ar``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return ar**2 / variance


def _variances(group: Estimates) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``s^2`` on the event days (N, L2), on the estimation days (N, L1), and the df (N,)."""
    if group.ar_var is not None:  # GARCH: the day's (forecast) variance, known
        return group.ar_var, group.resid_var, np.full(len(group.pairs), np.inf)  # type: ignore[return-value]
    s2 = (group.fit.sigma**2)[:, None]
    return s2, s2, group.fit.df.astype(np.float64)


def avol_pvalue(avol: FloatArray, days: NDArray[np.int64], df: FloatArray) -> FloatArray:
    """``P(F(L, df) >= avol)``; ``P(chi^2_L >= L avol)`` where ``df`` is infinite."""
    avol, days, df = np.broadcast_arrays(
        np.asarray(avol, np.float64), np.asarray(days, np.float64), np.asarray(df, np.float64)
    )
    p = np.full(avol.shape, np.nan)
    ok = np.isfinite(avol) & (days > 0)
    known = ok & np.isinf(df)
    f = ok & np.isfinite(df) & (df > 0)
    p[f] = special.fdtrc(days[f], df[f], avol[f])
    p[known] = special.chdtrc(days[known], days[known] * avol[known])
    return p


def avol_sq_pvalue(
    avol: FloatArray, u_est: FloatArray, days: NDArray[np.int64]
) -> tuple[FloatArray, NDArray[np.int64], FloatArray]:
    """SQ-style upper-tail p and percentile of ``avol`` among the means of ``U`` over
    runs of ``L`` sessions.

    Parameters
    ----------
    avol
        (N,) mean U over each pair's window.
    u_est
        (N, L1) U on the estimation days (NaN where missing or masked).
    days
        (N,) the window's ``L`` per pair.

    Returns
    -------
    p, m, q
        ``p = max(#{M_j >= avol}, 1) / m``; ``m``, the number of complete runs; ``q``
        the mid-rank percentile ``(#{M_j < avol} + #{M_j = avol} / 2 + 1/2) / (m + 1)``.
        ``p`` and ``q`` are NaN when ``m <`` :data:`MIN_SQ_SUMS` or avol is missing.
    """
    p, q = np.full(avol.shape, np.nan), np.full(avol.shape, np.nan)
    m = np.zeros(avol.shape, dtype=np.int64)
    for size in np.unique(days):
        if size < 1:
            continue
        rows = np.flatnonzero(days == size)
        sums, complete = window_sums(u_est[rows], int(size))
        means, value = sums / size, avol[rows, None]
        hi = (complete & (means >= value)).sum(axis=1)
        lo = (complete & (means < value)).sum(axis=1)
        ties = (complete & (means == value)).sum(axis=1)
        m[rows] = complete.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            p[rows] = np.maximum(hi, 1) / m[rows]
        q[rows] = (lo + 0.5 * ties + 0.5) / (m[rows] + 1)
    missing = (m < MIN_SQ_SUMS) | ~np.isfinite(avol)
    p[missing], q[missing] = np.nan, np.nan
    return p, m, q


def group_volatility(
    group: Estimates, car_windows: list[tuple[int, int]]
) -> tuple[FloatArray, list[dict[str, np.ndarray]]]:
    """U on the event days (N, L2) and, per CAR window, avol, avol_p, avol_p_sq and
    avol_q per pair."""
    s2_evt, s2_est, df = _variances(group)
    u = beaver_u(group.ar, s2_evt)
    u_est = beaver_u(group.residuals, s2_est)
    rel_days = np.arange(group.event_window[0], group.event_window[1] + 1)
    valid = np.isfinite(u)
    out = []
    for start, end in car_windows:
        included = valid & ((rel_days >= start) & (rel_days <= end))[None, :]
        days = included.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avol = np.where(included, u, 0.0).sum(axis=1) / days
        avol[days == 0] = np.nan
        p_sq, _, q = avol_sq_pvalue(avol, u_est, days)
        p = avol_pvalue(avol, days, df)
        out.append({"avol": avol, "avol_p": p, "avol_p_sq": p_sq, "avol_q": q})
    return u, out


def volatility_tables(result: StudyRecord) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``abnormal_volatility.csv`` and ``avol.csv`` rows, in the order of ``car.csv``.

    Built from :attr:`StudyRecord.abnormal_returns` and :attr:`StudyRecord.car` (same
    pairs, same order) and each model group's arrays.
    """
    windows = [tuple(w) for w in result.study.study.car_windows]
    ar_rows = result.abnormal_returns[["event_id", "ticker", "rel_day", "date", "ar"]]
    car_rows = result.car[["event_id", "ticker", "day0", "window_start", "window_end", "n_est"]]
    if not result.estimates:
        return (
            pd.DataFrame(columns=ABNORMAL_VOLATILITY_COLUMNS),
            pd.DataFrame(columns=AVOL_COLUMNS),
        )
    u_parts, stat_parts = [], []
    for group in result.estimates:
        u, stats_by_window = group_volatility(group, windows)
        keys = pd.MultiIndex.from_arrays(
            [[p.event_id for p in group.pairs], [p.ticker for p in group.pairs]]
        )
        u_parts.append(pd.DataFrame(u, index=keys))
        for (start, end), values in zip(windows, stats_by_window, strict=True):
            frame = pd.DataFrame(values, index=keys)
            frame["window_start"], frame["window_end"] = start, end
            stat_parts.append(frame)
    width = result.estimates[0].ar.shape[1]
    u_all = pd.concat(u_parts)
    pair = pd.MultiIndex.from_frame(ar_rows[["event_id", "ticker"]])
    col = (ar_rows["rel_day"] - result.estimates[0].event_window[0]).to_numpy()
    row = u_all.index.get_indexer(pair)
    abnormal = ar_rows.copy()
    abnormal["u"] = u_all.to_numpy().reshape(-1, width)[row, col]
    stats_all = pd.concat(stat_parts).set_index(["window_start", "window_end"], append=True)
    keys = pd.MultiIndex.from_frame(car_rows[["event_id", "ticker", "window_start", "window_end"]])
    picked = stats_all.iloc[stats_all.index.get_indexer(keys)].reset_index(drop=True)
    avol = pd.concat([car_rows.reset_index(drop=True), picked], axis=1)
    return abnormal[ABNORMAL_VOLATILITY_COLUMNS], avol[AVOL_COLUMNS]


def _cs_t(x: FloatArray) -> tuple[float, float, int]:
    """Cross-sectional t of ``x`` (mean / (sd / sqrt(N)), ``N - 1`` df) and its two-sided p."""
    n = x.size
    if n < 2:
        return np.nan, np.nan, n
    sd = x.std(ddof=1)
    t = float(x.mean() / (sd / np.sqrt(n))) if sd > 0 else np.nan
    return t, float(2.0 * special.stdtr(n - 1, -abs(t))), n


def _signed_rank(x: FloatArray) -> tuple[float, float, int, float]:
    """Wilcoxon signed-rank z (normal approximation, tie correction) of the nonzero ``x``."""
    x = x[x != 0]
    n = x.size
    if n < 2:
        return np.nan, np.nan, n, np.nan
    ranks = stats.rankdata(np.abs(x))
    w_plus = float(ranks[x > 0].sum())
    _, ties = np.unique(np.abs(x), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - (ties**3 - ties).sum() / 48.0
    z = (w_plus - n * (n + 1) / 4.0) / np.sqrt(var)
    return float(z), float(2.0 * special.ndtr(-abs(z))), n, w_plus


def percentile_tests(q: FloatArray) -> list[dict[str, object]]:
    """``avol_cs_t`` and ``avol_wilcoxon`` of the pairs' percentiles ``q`` (NaN dropped).

    The fields of a ``tests.csv`` row: test, statistic, p_value, n, df, distribution,
    note, n_pos and n_neg (pairs above and below their median, ``q`` > or < 1/2).
    """
    q = q[np.isfinite(q)]
    t, p_t, n_t = _cs_t(special.ndtri(q))
    z, p_z, n_z, w_plus = _signed_rank(q - 0.5)
    signs = {"n_pos": int((q > 0.5).sum()), "n_neg": int((q < 0.5).sum())}
    return [
        {"test": "avol_cs_t", "statistic": t, "p_value": p_t, "n": n_t, "df": n_t - 1,
         "distribution": f"t({n_t - 1})",
         "note": "normal scores of avol_q (avol's percentile in the pair's own window)"}
        | signs,
        {"test": "avol_wilcoxon", "statistic": z, "p_value": p_z, "n": n_z, "df": None,
         "distribution": "N(0,1)", "note": f"signed ranks of avol_q - 1/2; W+={w_plus:g}"}
        | signs,
    ]  # fmt: skip


def volatility_tests(result: StudyRecord, panel: EventPanel) -> pd.DataFrame:
    """``tests.csv`` rows of the volatility measure for every group and CAR window.

    ``panel`` is the study panel (:func:`eventstudy.pipeline.study_tests.study_panel`): its pairs
    are those of ``result.estimates`` in order, as are the avol_q values here.
    """
    from eventstudy.inference import clustering_present
    from eventstudy.measures.group_tests import groups_of

    windows = [tuple(w) for w in result.study.study.car_windows]
    per_group = [group_volatility(g, windows)[1] for g in result.estimates]
    q = {
        w: np.concatenate([stats_by_window[k]["avol_q"] for stats_by_window in per_group])
        for k, w in enumerate(windows)
    }
    rows = []
    for name, members in groups_of(result, panel):
        clustered = clustering_present(panel.subset(members))
        for start, end in windows:
            common = {"group": name, "window_start": start, "window_end": end}
            common |= {"clustered": clustered, "valid_under_clustering": False}
            common["measure"] = "volatility"
            rows += [common | row for row in percentile_tests(q[(start, end)][members])]
    return pd.DataFrame(rows)
