"""Grouped forms (:mod:`eventstudy.inference.grouped`) of the tests on time series:
the Corrado-type rank and sign tests, GRANK-T, the date-resampling bootstrap and
Binder's F test. Each equals its per-group function (the statistics to rounding);
None marks a group the per-group function must compute (its special cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import partial

import numpy as np

from eventstudy.inference.binder import ClusterTests, cluster_tests
from eventstudy.inference.grouped import normal_results, p_student_array
from eventstudy.inference.nonparametric import (
    SERIES_TESTS,
    combined_valid,
    estimation_ranks,
    pair_scores,
    time_series_z,
    window_columns,
)
from eventstudy.inference.panel import EventPanel, IntArray
from eventstudy.inference.resampling import _studentized, replicates_of_groups
from eventstudy.inference.result import TestResult, result
from eventstudy.inference.views import estimation_sar, window_view

_BOOT_CELLS = 2_000_000  # groups x pairs x replicates summed at once by the bootstrap


def series_z(
    name: str, panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[TestResult | None]:
    """The :data:`~eventstudy.inference.nonparametric.SERIES_TESTS` test ``name``
    (Corrado 1989; Corrado & Zivney 1992) of every group."""
    w = window_view(panel, window)
    use = w.has_car[rows]
    total = np.where(use[:, :, None], pair_scores(panel, name)[rows], 0.0).sum(axis=1)
    n_t = (combined_valid(panel)[rows] & use[:, :, None]).sum(axis=1)
    z, l2, s = time_series_z(total, n_t, window_columns(panel, w), SERIES_TESTS[name][1])
    n = use.sum(axis=1)
    return normal_results(name, z, n, (n >= 1) & (l2 > 0) & (s > 0))


def grank_t(panel: EventPanel, rows: IntArray, window: tuple[int, int]) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.nonparametric.grank_t` (Kolari & Pynnönen 2011) of
    every group, with the cumulated day ranked as in
    :func:`~eventstudy.inference.nonparametric.grank_rank_sums`."""
    w = window_view(panel, window)
    use = w.model_ok[rows]
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = np.where(use, w.car[rows] / np.sqrt(w.var_car[rows]), 0.0)
        mean = scar.sum(axis=1) / n
        sd = np.sqrt((np.where(use, scar - mean[:, None], 0.0) ** 2).sum(axis=1) / (n - 1))
        c = (scar / sd[:, None])[:, :, None]
    sar = estimation_sar(panel)[rows]
    ranks = estimation_ranks(panel)[rows]
    finite = np.isfinite(sar)
    valid = finite & use[:, :, None]
    weight = 1.0 / (finite.sum(axis=2) + 2.0)  # 1 / (T_i + 1), T_i = valid SARs + 1
    wu = np.where(use, weight, 0.0)[:, :, None]
    above, tied = (sar > c) & use[:, :, None], (sar == c) & use[:, :, None]
    base = (wu * np.where(valid, ranks, 0.0)).sum(axis=1) - 0.5 * valid.sum(axis=1)
    sums_est = base + (wu * above).sum(axis=1) + 0.5 * (wu * tied).sum(axis=1)
    rank_c = (1.0 / weight - 2.0) - above.sum(axis=2) - 0.5 * tied.sum(axis=2) + 1.0
    sums = np.column_stack([sums_est, (wu[:, :, 0] * rank_c).sum(axis=1) - 0.5 * n])
    n_t = np.column_stack([valid.sum(axis=1), n])
    day = n_t > 0
    t_points = day.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar = np.where(day, sums / n_t, 0.0)
        s_u = np.sqrt(np.where(day, n_t / n[:, None] * u_bar**2, 0.0).sum(axis=1) / t_points)
        z = u_bar[:, -1] / s_u
        t = z * np.sqrt((t_points - 2) / (t_points - 1 - z**2))
    ok = (n >= 2) & (sd > 0) & (t_points > 2) & (z**2 < t_points - 1)
    p = p_student_array(t, t_points - 2.0)
    return [
        result("grank_t", t[g], p[g], n[g], int(t_points[g]) - 2, f"t({int(t_points[g]) - 2})",
               f"Z={z[g]:.6g}")
        if ok[g] else None
        for g in range(len(rows))
    ]  # fmt: skip


def bootstrap(
    panel: EventPanel, rows: IntArray, window: tuple[int, int], *, n_boot: int = 999, seed: int = 0
) -> list[TestResult | None]:
    """:func:`~eventstudy.inference.resampling.bootstrap` of every group: the same draws
    (seeded by ``seed``) for every group whose pool has the same number of days."""
    groups = len(rows)
    if n_boot < 1:
        return [None] * groups
    w = window_view(panel, window)
    use = w.model_ok[rows]
    n = use.sum(axis=1)
    scale = panel.sigma[rows][:, :, None] if panel.ar_var is None else np.sqrt(panel.ar_var[rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        z_evt = np.where(w.included[rows] & use[:, :, None], panel.ar[rows] / scale, 0.0)
    t_obs = _studentized(z_evt.sum(axis=2).T, np.where(use, w.days[rows], 0).T)
    length = int(w.in_window.sum())
    sar = estimation_sar(panel)[rows]
    present = np.isfinite(sar) & use[:, :, None]
    pooled = present.any(axis=1)  # (G, L1): the days some used pair has
    days = pooled.sum(axis=1)
    able = (n >= 2) & (days >= 2)

    def replicates() -> np.ndarray:
        """(G, B) t* of every group with a pool (NaN rows for the others)."""
        t_star = np.full((groups, n_boot), np.nan)
        values = np.where(present, sar, 0.0)
        for d in np.unique(days[able]):
            chosen = np.flatnonzero(able & (days == d))
            draws = np.random.default_rng(seed).integers(0, d, size=(n_boot, length))
            chunk = max(1, _BOOT_CELLS // (rows.shape[1] * n_boot))
            for lo in range(0, len(chosen), chunk):
                part = chosen[lo : lo + chunk]
                order = np.argsort(~pooled[part], axis=1, kind="stable")[:, :d][:, None, :]
                # member-major rows (member m of group g at m * len(part) + g)
                pool = np.take_along_axis(values[part], order, axis=2).swapaxes(0, 1)
                has = np.take_along_axis(present[part], order, axis=2).swapaxes(0, 1)
                t_star[part] = replicates_of_groups(
                    pool.reshape(-1, d), has.reshape(-1, d).view(np.uint8), draws, len(part)
                ).T
        return t_star

    # windows of one length draw the same days ([-5,+5] and [0,+10]): computed once
    key = ("grouped bootstrap", rows.shape, rows.tobytes(), use.tobytes(), length, n_boot, seed)
    t_star = panel.cached(key, replicates) if t_obs.size * n_boot <= _BOOT_CELLS else replicates()
    ok = able & np.isfinite(t_obs)
    good = np.isfinite(t_star) & ok[:, None]
    finite = good.sum(axis=1)
    exceed = (good & (np.abs(t_star) >= np.abs(t_obs)[:, None])).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (1.0 + exceed) / (1.0 + finite)
    note = f"resampled estimation days with the cross-section kept together; seed={seed}"
    return [
        result("bootstrap", t_obs[g], p[g], n[g], None, f"bootstrap({finite[g]} date draws)", note)
        if ok[g] and finite[g] > 0 else None
        for g in range(groups)
    ]  # fmt: skip


def binder(
    of: Callable[[ClusterTests], TestResult],
    panel: EventPanel,
    rows: IntArray,
    window: tuple[int, int],
) -> list[TestResult | None]:
    """A Binder (1985) test (``of`` its clusters' tests: ``binder_f_of`` or
    ``binder_caar_t_of``) of every group that is one event-date cluster (all its used
    pairs on one day 0). The clusters are fitted together, one batch per cluster size;
    groups on the same day 0 in separate rounds; both tests read the same fits (kept
    on the panel)."""
    clusters = panel.cached(
        ("grouped binder", rows.shape, rows.tobytes(), window),
        lambda: _group_clusters(panel, rows, window),
    )
    return [None if c is None else of(c) for c in clusters]


def _group_clusters(
    panel: EventPanel, rows: IntArray, window: tuple[int, int]
) -> list[ClusterTests | None]:
    """Each group's cluster tests (:func:`binder`), None for a group that is not one
    fitted cluster."""
    w = window_view(panel, window)
    use = w.has_car[rows] & np.isfinite(panel.sigma[rows])
    day0 = panel.day0[rows]
    first = day0[np.arange(len(rows)), np.argmax(use, axis=1)]
    single = np.flatnonzero(
        use.any(axis=1) & np.where(use, day0 == first[:, None], True).all(axis=1)
    )
    order = single[np.argsort(first[single], kind="stable")]
    starts = np.r_[True, first[order][1:] != first[order][:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    occurrence = np.arange(len(order)) - run_start  # k-th group on its day 0
    out: list[ClusterTests | None] = [None] * len(rows)
    for k in range(int(occurrence.max()) + 1 if len(order) else 0):
        groups = order[occurrence == k]
        members = rows[groups].ravel()
        sub = panel.cached(  # one subset for every window (its fits are kept on it)
            ("binder clusters", members.tobytes()), partial(panel.subset, members)
        )
        ct = cluster_tests(sub, window)
        where = {d: c for c, d in enumerate(ct.day0)}
        for g in groups:
            c = where.get(first[g])
            if c is not None:  # else skipped: the per-group function gives the reason
                out[g] = _one_cluster(ct, c)
    return out


def _one_cluster(ct: ClusterTests, k: int) -> ClusterTests:
    """Cluster ``k`` of ``ct`` alone (nothing skipped)."""
    arrays = {f.name: getattr(ct, f.name)[k : k + 1] for f in fields(ct) if f.name != "skipped"}
    return ClusterTests(**arrays, skipped=[])
