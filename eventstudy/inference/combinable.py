"""The tests whose statistic comes from moments or sums over pairs, which combine exactly.

A *moment test* reads a few values of each pair it uses (:data:`MOMENT_TESTS`:
``values(panel, window)``) and its statistic is a function of their count, sum and
``M2`` alone (``statistic(moments)``). The test function of
:mod:`~eventstudy.inference.parametric` / :mod:`~eventstudy.inference.nonparametric`
is ``statistic`` of the moments of ``values`` over its pairs; so the moments of a group
computed in parts (the partitions of a Dask run, :class:`~eventstudy.inference.moments.Moments`
combined by the parallel formula) give the same statistic, by the same formula, to
rounding.

| test | per-pair values (pairs used) |
|---|---|
| ``cs_t`` | ``CAR_i`` (pairs with a CAR) |
| ``bmp_t`` | ``SCAR_i`` (pairs with a model) |
| ``bmp_t_csar`` | ``CSAR_i`` (pairs with a model) |
| ``patell_z`` | ``CSAR_i``, ``L_i df_i/(df_i - 2)`` (a model and df > 2) |
| ``mackinlay_j1`` | ``CAR_i``, ``Var(CAR_i)`` (pairs with a model) |
| ``mackinlay_j2`` | ``SCAR_i``, ``df_i/(df_i - 2)`` (a model and df > 2) |
| ``gen_sign_z`` | the share of positive estimation residuals, ``CAR_i > 0`` (a CAR and residuals) |

A *daily-sum test* (:data:`DAILY_TESTS`) reads rows of per-pair numbers over the days
of the combined estimation + event series (``rows(panel, window)``,
:data:`~eventstudy.inference.daily.PairRows`) and its statistic is a function of their
column sums over its pairs and the window's columns alone (``statistic(sums,
columns)``); sums of parts add exactly.

| test | per-pair rows summed (pairs used: with a CAR) |
|---|---|
| ``corrado_rank_z`` | rank deviations ``K_it - (T_i + 1)/2``, day has a return, 1 |
| ``corrado_zivney_rank_z`` | ``K_it / (T_i + 1) - 1/2``, day has a return, 1 |
| ``corrado_zivney_sign_z`` | ``sign(AR_it - median_i)``, day has a return, 1 |
| ``cda_t`` | residuals, estimation day has one, event day has an AR, ``CAR_i``, 1 |

Each pair's scores depend on the pair alone (its ranks over its own series), so the
group's daily sums ``total[t]`` and ``N_t`` are sums over its pairs.

``wilcoxon`` ranks the group's CARs, so it needs every pair's CAR
(:func:`~eventstudy.inference.nonparametric.wilcoxon_of`); the other tests need more
than sums over pairs (r-bar from pairwise-complete residual cross-products, GRANK-T's
ranks against ``SCAR_i / sd(SCAR)`` of the whole group, resampled days, a joint system
fit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from eventstudy.inference import nonparametric as nonpar
from eventstudy.inference import parametric as par
from eventstudy.inference.daily import PairRows
from eventstudy.inference.moments import Moments
from eventstudy.inference.panel import EventPanel
from eventstudy.inference.result import TestResult
from eventstudy.inference.runner import DEFAULT_TESTS


@dataclass(frozen=True)
class MomentTest:
    """A test by its per-pair values and its statistic from their moments."""

    values: Callable[[EventPanel, tuple[int, int]], par.PairValues]
    statistic: Callable[[dict[str, Moments]], TestResult]


MOMENT_TESTS: dict[str, MomentTest] = {
    "cs_t": MomentTest(par.cs_t_values, par.cs_t_of),
    "patell_z": MomentTest(par.patell_z_values, par.patell_z_of),
    "bmp_t": MomentTest(par.bmp_t_values, par.bmp_t_of),
    "bmp_t_csar": MomentTest(par.bmp_t_csar_values, par.bmp_t_csar_of),
    "mackinlay_j1": MomentTest(par.mackinlay_j1_values, par.mackinlay_j1_of),
    "mackinlay_j2": MomentTest(par.mackinlay_j2_values, par.mackinlay_j2_of),
    "gen_sign_z": MomentTest(nonpar.gen_sign_z_values, nonpar.gen_sign_z_of),
}
"""Every moment test by its ``tests.csv`` name."""


@dataclass(frozen=True)
class DailyTest:
    """A test by the per-pair rows it sums and its statistic from their sums."""

    rows: Callable[[EventPanel, tuple[int, int]], PairRows]
    statistic: Callable[[dict[str, np.ndarray], np.ndarray], TestResult]


DAILY_TESTS: dict[str, DailyTest] = {
    name: DailyTest(partial(nonpar.series_rows, name), partial(nonpar.series_z_of, name))
    for name in nonpar.SERIES_TESTS
} | {"cda_t": DailyTest(par.cda_t_rows, par.cda_t_of)}
"""Every daily-sum test by its ``tests.csv`` name."""

CAR_TESTS = frozenset({"wilcoxon"})
"""Tests that need the group's per-pair CARs (and nothing else)."""

TWO_ROUND_TESTS = ("grank_t", "bootstrap", "kp_patell_z", "kp_bmp_t")
"""Tests whose pieces need a number of the whole group first (``sd(SCAR)``, the pooled
estimation days, the missing-day patterns of r-bar): two rounds of pieces in a Dask run
(:mod:`eventstudy.distributed.rounds`, :mod:`eventstudy.distributed.rbar`)."""

COMBINABLE_DEFAULTS: tuple[str, ...] = tuple(
    t
    for t in DEFAULT_TESTS
    if t in MOMENT_TESTS or t in DAILY_TESTS or t in CAR_TESTS or t in TWO_ROUND_TESTS
)
"""The default tests that ``--engine dask`` computes without gathering any pair's
estimation-window columns (``--tests combinable``): the moment and daily-sum tests,
``wilcoxon`` and the two-round tests (GRANK-T, the bootstrap and the KP tests):
``binder_f`` is left out."""
