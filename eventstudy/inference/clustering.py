"""Event-date clustering: detect it, measure the cross-correlation, adjust for it.

Pairs that share a calendar day 0 (BABA, MPNGY and NVDA on the same news day) have
cross-correlated abnormal returns, and tests that treat them as independent
over-reject. This module finds the clusters, estimates the Kolari & Pynnönen (2010)
average cross-correlation r-bar and applies their adjustment to the Patell and BMP
tests.

Tests that stay valid under clustering (``CLUSTER_ROBUST``): the Kolari-Pynnönen
adjusted Patell and BMP tests, Brown & Warner's crude dependence adjustment (a
portfolio time-series variance), the Corrado and Corrado-Zivney rank and sign tests
(their variance is the time series of cross-sectional mean ranks or signs), the
date-resampling bootstrap, and the Binder (1985) multivariate regression tests. The
membership follows ``benchmarks/size_power.py`` (``docs/inference.md``): with all 50
pairs on one date and residual correlation 0.3 these reject 2-6.4% at the 5% level,
while the independence-based tests reject 53-64%. GRANK (Kolari & Pynnönen 2011) is
left out: its cross-sectional re-standardization of the event-day SCARs divides by
``sqrt(1 - r)`` rather than 1 under clustering and it rejected 8.6% there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from eventstudy.inference import parametric as par
from eventstudy.inference.panel import EventPanel, FloatArray, IntArray, row_patterns
from eventstudy.inference.rbar_sums import (
    own_window_mean,
    own_window_sums,
    pattern_mean,
    pattern_sums,
)
from eventstudy.inference.result import TestResult, p_student, result, unavailable
from eventstudy.inference.views import window_view

Alignment = Literal["relative", "calendar"]


def date_clusters(panel: EventPanel) -> tuple[IntArray, IntArray]:
    """Cluster label of each pair (pairs with the same calendar day 0) and cluster sizes.

    Returns
    -------
    labels, sizes
        ``labels[i]`` indexes ``sizes``; ``sizes[k]`` is the number of pairs in
        cluster k. Clusters are numbered in date order.
    """
    _, labels, sizes = np.unique(panel.day0, return_inverse=True, return_counts=True)
    return labels.astype(np.int64), sizes.astype(np.int64)


def clustering_present(panel: EventPanel) -> bool:
    """True when at least two pairs share a calendar day 0 (event-date clustering).

    When it is, the tests in :data:`CLUSTER_ROBUST` remain valid (KP-adjusted Patell
    and BMP, the Brown-Warner CDA portfolio test, the Corrado and Corrado-Zivney rank
    and sign tests, the date-resampling bootstrap and the Binder tests); ``cs_t``,
    ``patell_z``, ``bmp_t``, the MacKinlay J tests, the generalized sign and the
    Wilcoxon tests over-reject, and ``grank_t`` over-rejects mildly.
    """
    if panel.n_pairs < 2:
        return False
    _, sizes = date_clusters(panel)
    return bool((sizes >= 2).any())


def _pairwise_correlation(x: FloatArray) -> FloatArray:
    """Pearson correlation of every pair of rows over their common non-missing columns.

    Rows with fewer than 3 common observations or no variation there get NaN.
    """
    valid = np.isfinite(x)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, np.where(valid, x, 0.0).sum(axis=1) / count, 0.0)
    x0 = np.where(valid, x - centre[:, None], 0.0)  # shifting a row leaves r unchanged
    v = valid.astype(np.float64)
    n = v @ v.T
    sx = x0 @ v.T  # sx[i, j] = sum of x_i over the days common to i and j
    sxx = (x0 * x0) @ v.T
    sxy = x0 @ x0.T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx**2 / n
        r = cov / np.sqrt(var_i * var_i.T)
    r[(n < 3) | ~(var_i > 0) | ~(var_i.T > 0)] = np.nan
    return r


def _calendar_grid(panel: EventPanel) -> FloatArray:
    """Residuals placed on the calendar dates shared by at least two pairs."""
    valid = np.isfinite(panel.residuals) & ~np.isnat(panel.est_dates)
    _, inverse, counts = np.unique(panel.est_dates[valid], return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    shared = np.cumsum(counts >= 2) - 1
    grid = np.full((panel.n_pairs, int((counts >= 2).sum())), np.nan)
    rows = np.nonzero(valid)[0][keep]
    grid[rows, shared[inverse[keep]]] = panel.residuals[valid][keep]
    return grid


def cross_correlation(panel: EventPanel, alignment: Alignment = "relative") -> float:
    """Kolari & Pynnönen (2010) r-bar: mean off-diagonal residual correlation.

    The mean over all pairs ``i != j`` of the Pearson correlation of the
    estimation-window market-model residuals of i and j, each over the days both
    have (pairwise-complete); correlations on fewer than 3 common days are left out.

    Parameters
    ----------
    panel
        The pairs.
    alignment
        ``"relative"`` (house convention): residuals aligned in relative event time,
        i.e. column tau of both pairs; for pairs with the same day 0 on one exchange
        this is the same calendar day. ``"calendar"`` (reported as rbar_calendar in
        the conventions): residuals aligned on calendar dates, over the dates both
        pairs' estimation windows cover, which also picks up pairs whose windows
        overlap with different days 0.

    Returns
    -------
    float
        r-bar, or NaN with fewer than two pairs or no computable correlation.
    """
    if alignment not in ("relative", "calendar"):
        raise ValueError(f"alignment must be 'relative' or 'calendar', not {alignment!r}")
    if panel.n_pairs < 2:
        return np.nan
    return _rbar_noted(panel, alignment)[0]


def _rbar_noted(panel: EventPanel, alignment: Alignment) -> tuple[float, str]:
    """:func:`cross_correlation` and how it was computed (empty when exact)."""
    return panel.cached(  # window-independent: computed once per group of pairs
        ("rbar", alignment),
        lambda: _rbar(panel.residuals if alignment == "relative" else _calendar_grid(panel)),
    )


def _rbar(x: FloatArray) -> tuple[float, str]:
    """Mean off-diagonal pairwise-complete correlation of the rows of ``x``, and a note.

    Exact while its cost stays bounded: by missing-day pattern
    (:func:`_mean_correlation_by_pattern`, matrix products of cost ~ N x L x patterns)
    when the patterns are fewer than the rows and their pairwise sums fit in memory,
    else from the (N, N) correlations (~ N^2 x L, in blocks of rows for large N) up to
    :data:`_EXACT_CELLS`. Beyond that (tens of thousands of pairs, nearly each with its
    own missing days: firm-specific studies) every pair has its own common days, so no
    exact method is linear in N; r-bar is then :func:`_mean_correlation_own_window`
    (linear, equal to the exact value when no day is missing) and the note says so.
    """
    patterns = row_patterns(np.isfinite(x))
    n, days = x.shape
    method = rbar_method(n, len(patterns[0]), days)
    if method == "patterns":
        return _mean_correlation_by_pattern(x, patterns), ""
    if method == "blocks":
        return _mean_correlation_blocks(x), ""
    if method == "own":
        return _mean_correlation_own_window(x), own_window_note(n, len(patterns[0]))
    r = _pairwise_correlation(x)
    off = r[~np.eye(len(x), dtype=bool)]
    off = off[np.isfinite(off)]
    return (float(off.mean()) if off.size else np.nan), ""


def rbar_method(n: int, patterns: int, days: int) -> str:
    """How :func:`cross_correlation` computes r-bar of ``n`` rows with ``patterns``
    missing-day patterns over ``days`` days: ``"patterns"``, ``"blocks"`` (exact),
    ``"own"`` (own-window, noted) or ``"direct"`` (the (N, N) correlations)."""
    if patterns < n and patterns**2 * days <= _PATTERN_CELLS:
        return "patterns"
    if n > _DIRECT_MAX:
        return "blocks" if n * n * days <= _EXACT_CELLS else "own"
    return "direct"


def own_window_note(n: int, patterns: int) -> str:
    """The note of an r-bar from residuals standardized over each pair's own days."""
    return (
        f"r-bar from residuals standardized over each pair's own days: with {n:,} pairs "
        f"and {patterns:,} patterns of missing days the exact pairwise figure would take too long"
    )


_DIRECT_MAX = 1_500  # above this many pairs the (N, N) matrices are not formed
_PATTERN_CELLS = 8_000_000  # patterns^2 x days held by the pattern-by-pattern sums
_EXACT_CELLS = 4_000_000_000  # N^2 x days of the exact block sums (4,000 pairs: ~3 s)


def _mean_correlation_own_window(x: FloatArray) -> float:
    """Mean off-diagonal correlation of the rows of ``x``, each standardized over its own days.

    Row ``i`` is centred and scaled to unit norm over its own valid days (``z_i``, zero
    where missing); the correlation of rows i and j is taken as ``z_i . z_j``, so the
    sum over all pairs is ``|sum_i z_i|^2 - sum_i |z_i|^2``: O(N x L). With no missing
    day this is the pairwise-complete mean of :func:`_pairwise_correlation`; with a
    few missing days it differs from it only by the centring and scaling over the
    days two rows share. Rows with fewer than 3 valid days or no variation are left out.
    """
    return own_window_mean(*own_window_sums(x))


def _mean_correlation_by_pattern(
    x: FloatArray, patterns: tuple[np.ndarray, IntArray] | None = None
) -> float:
    """Mean off-diagonal pairwise-complete correlation without forming (N, N) matrices.

    Rows are grouped by their pattern of valid columns. For rows i and j of patterns p
    and q the correlation over their common columns C is ``z_i . z_j``, ``z`` the row
    centred and scaled to unit norm over C, so the sum over all (i, j) of the two
    patterns is ``(sum_i z_i) . (sum_j z_j)``. ``sum_i z_i`` over C is
    ``sum_i w_i x_i - sum_i w_i m_i`` with ``m_i`` the row's mean over C and
    ``w_i = 1 / ||x_i - m_i||_C``, and every row's sums over every pattern's columns come
    from two matrix products (``x @ P'`` and ``x^2 @ P'``), so the work is
    O(N x L x patterns) in matrix products and the memory O(patterns^2 x L). Rows with
    no variation over C, and pattern pairs with fewer than 3 common columns, are left
    out as in :func:`_pairwise_correlation`, to which the result is equal up to
    rounding (:mod:`~eventstudy.inference.rbar_sums`); over :data:`_PATTERN_CELLS`, in
    blocks of rows. ``patterns``: ``row_patterns(np.isfinite(x))`` if the caller has it.
    """
    patterns, inverse = row_patterns(np.isfinite(x)) if patterns is None else patterns
    if len(patterns) ** 2 * x.shape[1] > _PATTERN_CELLS:
        return _mean_correlation_blocks(x)
    present = np.arange(len(patterns))
    return pattern_mean(*pattern_sums(x, patterns, inverse, present))


def _mean_correlation_blocks(x: FloatArray, block: int = 500) -> float:
    """Mean off-diagonal pairwise-complete correlation, ``block`` rows at a time."""
    valid = np.isfinite(x)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, np.where(valid, x, 0.0).sum(axis=1) / count, 0.0)
    x0 = np.where(valid, x - centre[:, None], 0.0)
    v = valid.astype(np.float64)
    sq = x0 * x0
    total, pairs = 0.0, 0
    for start in range(0, len(x), block):
        rows = slice(start, min(start + block, len(x)))
        n = v[rows] @ v.T
        sx = x0[rows] @ v.T  # sum of x_i over days common with j
        sy = v[rows] @ x0.T  # sum of x_j over days common with i
        sxx = sq[rows] @ v.T
        syy = v[rows] @ sq.T
        sxy = x0[rows] @ x0.T
        with np.errstate(invalid="ignore", divide="ignore"):
            var_i = sxx - sx**2 / n
            var_j = syy - sy**2 / n
            r = (sxy - sx * sy / n) / np.sqrt(var_i * var_j)
        r[(n < 3) | ~(var_i > 0) | ~(var_j > 0)] = np.nan
        r[np.arange(r.shape[0]), np.arange(start, start + r.shape[0])] = np.nan
        finite = np.isfinite(r)
        total += float(r[finite].sum())
        pairs += int(finite.sum())
    return total / pairs if pairs else np.nan


def kp_bmp_factor(rbar: float, n: int) -> float:
    """Kolari & Pynnönen (2010) adjustment of the BMP t: ``sqrt((1-r)/(1+(N-1)r))``.

    Under equicorrelation r the cross-sectional variance of the standardized CARs
    estimates ``(1 - r)`` while the variance of their mean is ``(1 + (N-1) r) / N``;
    the factor rescales the BMP t to unit variance (KP 2010, eq. 10). NaN where the
    denominator is not positive.
    """
    den = 1.0 + (n - 1) * rbar
    return float(np.sqrt((1.0 - rbar) / den)) if den > 0 and rbar < 1 else np.nan


def kp_patell_factor(rbar: float, n: int) -> float:
    """Kolari & Pynnönen (2010) adjustment of the Patell Z: ``1 / sqrt(1+(N-1)r)``.

    The Patell Z uses the time-series variance of each SAR, not the cross-sectional
    one, so only the variance of the sum is inflated, by ``1 + (N-1) r`` (KP 2010,
    eq. 13; as in Stata ``estudy``'s ADJPatell). The research notes' §3.8 states the
    BMP factor for both; applying ``sqrt(1 - r)`` here as well would make the test
    under-reject, so the paper's factor is used.
    """
    den = 1.0 + (n - 1) * rbar
    return float(1.0 / np.sqrt(den)) if den > 0 else np.nan


def _kp_adjusted(
    name: str,
    statistic: float,
    n: int,
    note: str,
    panel: EventPanel,
    rows: np.ndarray,
    rbar: float | None,
    alignment: Alignment,
    factor_of: Callable[[float, int], float],
) -> TestResult:
    """Scale a Patell or BMP statistic by its Kolari-Pynnönen factor; p from t(N - 1)."""

    def rbar_of() -> tuple[float, str]:
        if rbar is not None:
            return rbar, ""
        used = np.flatnonzero(rows)
        return panel.cached(
            ("rbar of", alignment, used.tobytes()),
            lambda: _rbar_noted(panel.subset(used), alignment),
        )

    return kp_of(name, statistic, n, note, rbar_of, factor_of)


def kp_of(
    name: str,
    statistic: float,
    n: int,
    note: str,
    rbar_of: Callable[[], tuple[float, str]],
    factor_of: Callable[[float, int], float],
) -> TestResult:
    """The Kolari-Pynnönen test ``name`` from its base statistic (the Patell Z or BMP t
    over ``n`` pairs, ``note`` when NaN) and ``rbar_of()``, the r-bar of those pairs and
    how it was computed (called only when the test can run); Student t(N - 1)."""
    if not np.isfinite(statistic):
        return unavailable(name, note, n)
    if n < 2:
        return unavailable(name, "needs at least 2 pairs to estimate r-bar", n)
    rbar, how = rbar_of()
    factor = factor_of(rbar, n)
    if not np.isfinite(factor):
        return unavailable(name, f"no valid adjustment for r-bar = {rbar:.4g}", n)
    adjusted = statistic * factor
    return result(
        name, adjusted, p_student(adjusted, n - 1), n, n - 1, f"t({n - 1})",
        f"rbar={rbar:.6g}" + (f"; {how}" if how else ""),
    )  # fmt: skip


def kp_patell_z(
    panel: EventPanel,
    window: tuple[int, int],
    *,
    rbar: float | None = None,
    alignment: Alignment = "relative",
) -> TestResult:
    """Patell (1976) Z adjusted for cross-correlation (Kolari & Pynnönen 2010).

    ``Z_adj = Z_Patell / sqrt(1 + (N - 1) r)``, r-bar the mean off-diagonal
    correlation of the estimation-window residuals of the N pairs used
    (:func:`cross_correlation`; house convention: relative-time alignment). The
    p-value is from Student t(N - 1) (house convention for KP statistics).

    Parameters
    ----------
    rbar
        Use this r-bar instead of estimating it from the panel.
    alignment
        How residuals are aligned to estimate r-bar (see :func:`cross_correlation`).

    References
    ----------
    Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional
    correlation of abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
    """
    z, n, note = par.patell_of(par.moments_of(par.patell_z_values(panel, window)))
    rows = window_view(panel, window).model_ok & (panel.df > 2)  # type: ignore[operator]
    return _kp_adjusted("kp_patell_z", z, n, note, panel, rows, rbar, alignment, kp_patell_factor)


def kp_bmp_t(
    panel: EventPanel,
    window: tuple[int, int],
    *,
    rbar: float | None = None,
    alignment: Alignment = "relative",
) -> TestResult:
    """BMP (1991) t adjusted for cross-correlation (Kolari & Pynnönen 2010).

    ``t_adj = t_BMP sqrt((1 - r) / (1 + (N - 1) r))`` with the BMP t of
    :func:`~eventstudy.inference.parametric.bmp_t` and r-bar from
    :func:`cross_correlation` over the same pairs (house convention: residuals in
    relative time); Student t(N - 1) (house convention). Robust to both event-induced
    variance and cross-correlation.

    Parameters
    ----------
    rbar
        Use this r-bar instead of estimating it from the panel.
    alignment
        How residuals are aligned to estimate r-bar (see :func:`cross_correlation`).

    References
    ----------
    Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional
    correlation of abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
    """
    t, n, note = par.bmp_of(par.moments_of(par.bmp_t_values(panel, window)))
    rows = window_view(panel, window).model_ok
    return _kp_adjusted("kp_bmp_t", t, n, note, panel, rows, rbar, alignment, kp_bmp_factor)
