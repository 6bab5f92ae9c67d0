"""Run a set of tests on many groups of pairs at once (:mod:`eventstudy.inference.grouped`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from eventstudy.inference import grouped, grouped_series
from eventstudy.inference.binder import binder_caar_t_of, binder_f_of
from eventstudy.inference.panel import EventPanel, IntArray
from eventstudy.inference.result import TestResult
from eventstudy.inference.runner import run_tests
from eventstudy.inference.views import check_window

GroupedTest = Callable[[EventPanel, IntArray, tuple[int, int]], list[TestResult | None]]


def grouped_tests(n_boot: int, seed: int) -> dict[str, GroupedTest]:
    """The grouped form of every test, by name (the bootstrap with its options)."""
    return {
        "cs_t": grouped.cs_t,
        "cda_t": grouped.cda_t,
        "patell_z": grouped.patell_z,
        "bmp_t": grouped.bmp_t,
        "kp_patell_z": grouped.kp_patell_z,
        "kp_bmp_t": grouped.kp_bmp_t,
        "mackinlay_j1": grouped.mackinlay_j1,
        "mackinlay_j2": grouped.mackinlay_j2,
        "corrado_rank_z": partial(grouped_series.series_z, "corrado_rank_z"),
        "corrado_zivney_rank_z": partial(grouped_series.series_z, "corrado_zivney_rank_z"),
        "corrado_zivney_sign_z": partial(grouped_series.series_z, "corrado_zivney_sign_z"),
        "gen_sign_z": grouped.gen_sign_z,
        "wilcoxon": grouped.wilcoxon,
        "grank_t": grouped_series.grank_t,
        "bootstrap": partial(grouped_series.bootstrap, n_boot=n_boot, seed=seed),
        "binder_f": partial(grouped_series.binder, binder_f_of),
        "bmp_t_csar": grouped.bmp_t_csar,
        "binder_caar_t": partial(grouped_series.binder, binder_caar_t_of),
    }


def run_tests_grouped(
    panel: EventPanel,
    rows: IntArray,
    window: tuple[int, int],
    tests: Sequence[str],
    *,
    n_boot: int = 999,
    seed: int = 0,
) -> list[list[TestResult]]:
    """:func:`~eventstudy.inference.runner.run_tests` of each group, all groups at once.

    Parameters
    ----------
    panel
        The panel the groups are rows of.
    rows
        (G, n) row indices of ``panel``: G groups of n pairs each.
    window, tests, n_boot, seed
        As for :func:`~eventstudy.inference.runner.run_tests` (relative-time r-bar).

    Returns
    -------
    list
        One list of results per group, in the order of ``tests``: equal to
        ``run_tests(panel.subset(rows[g]), window, tests, ...)`` (statistics to rounding,
        every note, n and df the same). A group in a case a grouped form does not
        cover runs through :func:`run_tests`.
    """
    window = check_window(window)
    rows = np.asarray(rows, dtype=np.int64)
    forms = grouped_tests(n_boot, seed)
    subsets: dict[int, EventPanel] = {}
    out: list[list[TestResult]] = [[] for _ in range(len(rows))]
    for name in tests:
        form = forms.get(name)
        batch: list[TestResult | None] = [None] * len(rows)
        if form is not None:
            try:
                with np.errstate(all="ignore"):
                    batch = form(panel, rows, window)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError, IndexError):
                pass  # each group on its own: run_tests reports the reason
        for g, found in enumerate(batch):
            if found is None:
                if g not in subsets:
                    subsets[g] = panel.subset(rows[g])
                found = run_tests(subsets[g], window, [name], n_boot=n_boot, seed=seed)[0]
            out[g].append(found)
    return out
