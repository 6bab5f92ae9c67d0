"""The tests of many small groups of pairs at once (equal to one group at a time).

A same-date placebo study tests hundreds of groups of a few securities each (one per
placebo date), and a study of many events with a few securities each has as many
``event:`` groups. Run one group at a time (:func:`~eventstudy.inference.run_tests`
on ``panel.subset(rows)``), the work per group is a few dozen array operations on
arrays of a few rows, and the run time is Python's call overhead: 500 groups of 3
pairs, five windows and the 15 default tests took about 13 s on 2 cores.

:func:`run_tests_grouped` computes each test for G groups of n pairs (rows of one
panel, an (G, n) array) with the group as an array axis: the same formulas as the
per-group functions (the statistics agree to rounding, ~1e-15 relative), the same
notes and degrees of freedom. Where a group meets a case the per-group function
reports specially (too few pairs, no dispersion, a skipped Binder cluster ...), that
group alone is computed by the per-group function, so every result, including each
note, is the one :func:`~eventstudy.inference.run_tests` gives. Tests without a
grouped form (the extra tests) run group by group.

The per-pair quantities (window views, standardized returns, ranks, scores) come from
the panel the groups are rows of, once, as they do for the per-group functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import special

from eventstudy.inference.nonparametric import positive_share
from eventstudy.inference.panel import EventPanel, IntArray
from eventstudy.inference.ranks import average_ranks
from eventstudy.inference.result import CLUSTER_ROBUST, TestResult, result
from eventstudy.inference.views import standardized_ar, window_view

Grouped = Callable[[EventPanel, IntArray, tuple[int, int]], list[TestResult | None]]
"""A grouped test: one result per group, None where the per-group function must run."""


def p_student_array(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided Student t(df) p-values, elementwise."""
    with np.errstate(invalid="ignore"):
        return 2.0 * special.stdtr(df, -np.abs(t))


def p_normal_array(z: np.ndarray) -> np.ndarray:
    """Two-sided N(0, 1) p-values, elementwise."""
    return 2.0 * special.ndtr(-np.abs(z))


def cross_sectional_t(x: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (row of the (G, n) arrays): ``sqrt(N) mean / sd`` (ddof 1) of the used
    values, N, and where it is defined (N >= 2, positive dispersion)."""
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(use, x, 0.0).sum(axis=1) / n
        ss = (np.where(use, x - mean[:, None], 0.0) ** 2).sum(axis=1)
        sd = np.sqrt(ss / (n - 1))
        t = np.sqrt(n) * mean / sd
    return t, n, (n >= 2) & (sd > 0)


def student_results(
    name: str, t: np.ndarray, n: np.ndarray, ok: np.ndarray, notes: Sequence[str] | None = None
) -> list[TestResult | None]:
    """Student t(N - 1) results where ``ok`` (None elsewhere)."""
    p = p_student_array(t, n - 1.0)
    df = (np.asarray(n, dtype=np.int64) - 1).tolist()
    return _results(name, t, p, n, ok, df, [f"t({d})" for d in df], notes)


def normal_results(
    name: str, z: np.ndarray, n: np.ndarray, ok: np.ndarray, notes: Sequence[str] | None = None
) -> list[TestResult | None]:
    """N(0, 1) results where ``ok`` (None elsewhere)."""
    groups = len(z)
    return _results(name, z, p_normal_array(z), n, ok, [None] * groups, ["N(0,1)"] * groups, notes)


def _results(
    name: str,
    statistic: np.ndarray,
    p: np.ndarray,
    n: np.ndarray,
    ok: np.ndarray,
    df: list[int | None],
    distribution: list[str],
    notes: Sequence[str] | None,
) -> list[TestResult | None]:
    """One :class:`TestResult` per group where ``ok`` (None elsewhere), as
    :func:`~eventstudy.inference.result.result` makes them (numbers as Python floats and
    ints, converted once per array)."""
    robust = name in CLUSTER_ROBUST
    notes = [""] * len(statistic) if notes is None else notes
    columns = zip(
        np.asarray(statistic, dtype=np.float64).tolist(), np.asarray(p, dtype=np.float64).tolist(),
        np.asarray(n, dtype=np.int64).tolist(), df, distribution, notes, ok.tolist(), strict=True,
    )  # fmt: skip
    return [
        TestResult(name, s, pv, k, d, dist, robust, note) if good else None
        for s, pv, k, d, dist, note, good in columns
    ]


def cs_t(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.cs_t` of every group."""
    w = window_view(panel, window)
    return student_results("cs_t", *cross_sectional_t(w.car[rows], w.has_car[rows]))


def bmp_t(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.bmp_t` of every group."""
    return student_results("bmp_t", *_bmp(panel, rows, window))


def _bmp(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = window_view(panel, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = w.car[rows] / np.sqrt(w.var_car[rows])
    return cross_sectional_t(scar, w.model_ok[rows])


def bmp_t_csar(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.bmp_t_csar` of every group."""
    w = window_view(panel, window)
    use = w.model_ok[rows]
    sar = panel.per_pair("sar", standardized_ar)[rows]
    csar = np.where(w.included[rows] & use[:, :, None], sar, 0.0).sum(axis=2)
    return student_results("bmp_t_csar", *cross_sectional_t(csar, use))


def cda_t(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.cda_t` of every group."""
    w = window_view(panel, window)
    use = w.has_car[rows]
    n = use.sum(axis=1)
    resid = panel.residuals[rows]
    valid = np.isfinite(resid) & use[:, :, None]
    count = valid.sum(axis=1)
    day = count > 0
    l1 = day.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = np.where(day, np.where(valid, resid, 0.0).sum(axis=1) / count, 0.0)
        mean = aar.sum(axis=1) / l1
        s = np.sqrt((np.where(day, aar - mean[:, None], 0.0) ** 2).sum(axis=1) / (l1 - 1))
        l2 = (w.included[rows] & use[:, :, None]).any(axis=1).sum(axis=1)
        t = np.where(use, w.car[rows], 0.0).sum(axis=1) / n / (np.sqrt(l2) * s)
    ok = (n >= 1) & (l1 >= 3) & (s > 0)
    p = p_student_array(t, l1 - 1.0)
    return [
        result("cda_t", t[g], p[g], n[g], int(l1[g]) - 1, f"t({int(l1[g]) - 1})") if ok[g] else None
        for g in range(len(rows))
    ]


def _patell(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's Patell Z and the pairs it uses (model and more than 2 df)."""
    w = window_view(panel, window)
    df = panel.df[rows].astype(np.float64)  # type: ignore[index]
    use = w.model_ok[rows] & (df > 2)
    sar = panel.per_pair("sar", standardized_ar)[rows]
    total = np.where(w.included[rows] & use[:, :, None], sar, 0.0).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(use, w.days[rows] * df / (df - 2.0), 0.0).sum(axis=1)
        z = total / np.sqrt(var)
    return z, use


def patell_z(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.patell_z` of every group."""
    z, use = _patell(panel, rows, window)
    n = use.sum(axis=1)
    return normal_results("patell_z", z, n, (n >= 1) & np.isfinite(z))


def mackinlay_j1(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.mackinlay_j1` of every group."""
    w = window_view(panel, window)
    use = w.model_ok[rows]
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(use, w.car[rows], 0.0).sum(axis=1) / n
        j1 = mean / np.sqrt(np.where(use, w.var_car[rows], 0.0).sum(axis=1) / n**2)
    return normal_results("mackinlay_j1", j1, n, n >= 1)


def mackinlay_j2(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.parametric.mackinlay_j2` of every group."""
    w = window_view(panel, window)
    df = panel.df[rows].astype(np.float64)  # type: ignore[index]
    use = w.model_ok[rows] & (df > 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = np.where(use, w.car[rows] / np.sqrt(w.var_car[rows]), 0.0)
        j2 = scar.sum(axis=1) / np.sqrt(np.where(use, df / (df - 2.0), 0.0).sum(axis=1))
    n = use.sum(axis=1)
    return normal_results("mackinlay_j2", j2, n, n >= 1)


def mean_correlation(x: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Kolari & Pynnönen r-bar of each group: the mean off-diagonal pairwise-complete
    correlation of the used rows of ``x`` (G, n, L), as
    :func:`~eventstudy.inference.clustering.cross_correlation` (relative alignment)."""
    valid = np.isfinite(x) & use[:, :, None]
    count = valid.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, np.where(valid, x, 0.0).sum(axis=2) / count, 0.0)
    x0 = np.where(valid, x - centre[:, :, None], 0.0)
    v = valid.astype(np.float64)
    vt, x0t = v.transpose(0, 2, 1), x0.transpose(0, 2, 1)
    common = v @ vt
    sx, sy = x0 @ vt, v @ x0t
    sxx, syy, sxy = (x0 * x0) @ vt, v @ (x0 * x0).transpose(0, 2, 1), x0 @ x0t
    with np.errstate(invalid="ignore", divide="ignore"):
        var_i = sxx - sx**2 / common
        var_j = syy - sy**2 / common
        r = (sxy - sx * sy / common) / np.sqrt(var_i * var_j)
    r[(common < 3) | ~(var_i > 0) | ~(var_j > 0)] = np.nan
    r[:, np.arange(x.shape[1]), np.arange(x.shape[1])] = np.nan
    finite = np.isfinite(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, r, 0.0).sum(axis=(1, 2)) / finite.sum(axis=(1, 2))


def _rbar(panel: EventPanel, rows: IntArray, use: np.ndarray) -> np.ndarray:
    """:func:`mean_correlation` of the groups' used pairs, kept on the panel (the same
    pairs are used in most windows and by both Kolari-Pynnönen tests)."""
    key = ("grouped rbar", rows.shape, rows.tobytes(), use.tobytes())
    return panel.cached(key, lambda: mean_correlation(panel.residuals[rows], use))


def _kp(
    name: str,
    statistic: np.ndarray,
    n: np.ndarray,
    ok: np.ndarray,
    rbar: np.ndarray,
    factor: np.ndarray,
) -> list[TestResult | None]:
    adjusted = statistic * factor
    ok = ok & np.isfinite(statistic) & (n >= 2) & np.isfinite(factor)
    notes = [f"rbar={r:.6g}" for r in rbar]
    return student_results(name, adjusted, n, ok, notes)


def kp_patell_z(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.clustering.kp_patell_z` of every group."""
    z, use = _patell(panel, rows, window)
    n = use.sum(axis=1)
    rbar = _rbar(panel, rows, use)
    den = 1.0 + (n - 1) * rbar
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(den > 0, 1.0 / np.sqrt(den), np.nan)
    return _kp("kp_patell_z", z, n, n >= 1, rbar, factor)


def kp_bmp_t(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.clustering.kp_bmp_t` of every group."""
    t, n, ok = _bmp(panel, rows, window)
    rbar = _rbar(panel, rows, window_view(panel, window).model_ok[rows])
    den = 1.0 + (n - 1) * rbar
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where((den > 0) & (rbar < 1), np.sqrt((1.0 - rbar) / den), np.nan)
    return _kp("kp_bmp_t", t, n, ok, rbar, factor)


def gen_sign_z(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.nonparametric.gen_sign_z` of every group."""
    w = window_view(panel, window)
    frac = positive_share(panel)[rows]
    use = w.has_car[rows] & np.isfinite(frac)
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(use, frac, 0.0).sum(axis=1) / n
        wins = (use & (w.car[rows] > 0)).sum(axis=1)
        z = (wins - n * p) / np.sqrt(n * p * (1 - p))
    ok = (n >= 1) & (p > 0) & (p < 1)
    notes = [f"p_hat={v:.6g}" for v in p]
    return normal_results("gen_sign_z", z, n, ok, notes)


def wilcoxon(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.nonparametric.wilcoxon` of every group."""
    w = window_view(panel, window)
    car = w.car[rows]
    use = w.has_car[rows] & (car != 0)
    n = use.sum(axis=1).astype(np.float64)
    size = np.where(use, np.abs(car), np.nan)
    ranks = average_ranks(size, axis=1)
    w_plus = np.where(use & (car > 0), ranks, 0.0).sum(axis=1)
    # sum over tie groups of (t^3 - t) = sum over values of (t^2 - 1), t its group's size
    same = (size[:, :, None] == size[:, None, :]).sum(axis=2)
    ties = np.where(use, same**2 - 1.0, 0.0).sum(axis=1)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - ties / 48.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w_plus - n * (n + 1) / 4.0) / np.sqrt(var)
    notes = [f"W+={v:g}" for v in w_plus]
    return normal_results("wilcoxon", z, n, n >= 2, notes)
