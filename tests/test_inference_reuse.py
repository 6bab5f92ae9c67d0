"""Work shared across groups of pairs gives the same statistics as computing afresh.

``tests.csv`` runs every test on many groups cut from one study panel; per-pair work
(ranks, standardized residuals) is done once on the study panel and sliced, window
views and r-bar are kept per group, and the bootstrap sums replicates through Gram
matrices. Each shortcut is checked here against the direct computation.
"""

from __future__ import annotations

from dataclasses import fields

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays
from scipy.stats import rankdata

from eventstudy.inference import TESTS, EventPanel, run_tests, window_view
from eventstudy.inference.nonparametric import grank_rank_sums
from eventstudy.inference.panel import row_patterns
from eventstudy.inference.ranks import average_ranks
from eventstudy.inference.resampling import (
    _Pool,
    _replicates,
    _replicates_by_pair,
    _replicates_by_pattern,
)
from eventstudy.inference.simulate import simulate_panel
from eventstudy.inference.views import estimation_sar


def fresh(panel: EventPanel) -> EventPanel:
    """The same pairs as a new panel with no parent and an empty cache."""
    return EventPanel(**{f.name: getattr(panel, f.name) for f in fields(panel) if f.init})


@pytest.fixture(scope="module")
def study_panel() -> EventPanel:
    panel = simulate_panel(120, effect=-0.01, same_date=False, seed=11)
    ar, resid = panel.ar.copy(), panel.residuals.copy()
    rng = np.random.default_rng(3)
    ar[rng.random(ar.shape) < 0.03] = np.nan
    resid[rng.random(resid.shape) < 0.03] = np.nan
    resid[:5, :3] = resid[:5, 3:4]  # ties within rows
    values = {f.name: getattr(panel, f.name) for f in fields(panel) if f.init}
    return EventPanel(**{**values, "ar": ar, "residuals": resid})


def as_tuples(results):
    return [(r.test, r.statistic, r.p_value, r.n, r.note) for r in results]


def test_every_test_on_a_subset_equals_the_test_on_a_fresh_panel(study_panel):
    groups = [np.arange(120) % 3 == k for k in range(3)] + [np.arange(120) < 7]
    for window in [(0, 0), (-1, 1), (-5, 5)]:
        for mask in groups:
            sub = study_panel.subset(mask)
            shared = as_tuples(run_tests(sub, window, list(TESTS), n_boot=99))
            alone = as_tuples(run_tests(fresh(sub), window, list(TESTS), n_boot=99))
            assert len(shared) == len(alone) == len(TESTS)
            for a, b in zip(shared, alone, strict=True):
                assert a[0] == b[0] and a[3] == b[3] and a[4] == b[4]
                np.testing.assert_allclose(a[1:3], b[1:3], rtol=1e-12, atol=0, err_msg=a[0])


def test_per_pair_values_are_computed_once_on_the_study_panel(study_panel):
    panel = fresh(study_panel)
    calls = []

    def twice(p: EventPanel) -> np.ndarray:
        calls.append(p.n_pairs)
        return p.sigma * 2

    rows = np.array([5, 1, 9])
    sub = panel.subset(rows)
    subsub = sub.subset(np.array([2, 0]))
    np.testing.assert_array_equal(sub.per_pair("twice", twice), panel.sigma[rows] * 2)
    np.testing.assert_array_equal(subsub.per_pair("twice", twice), panel.sigma[[9, 5]] * 2)
    assert panel.per_pair("twice", twice) is panel.per_pair("twice", twice)
    assert calls == [panel.n_pairs]  # once, on the whole panel
    with pytest.raises(ValueError, match="read-only"):
        sub.per_pair("twice", twice)[0] = 1.0


def test_window_views_are_kept_and_read_only(study_panel):
    view = window_view(study_panel, (-1, 1))
    assert window_view(study_panel, (-1, 1)) is view
    assert window_view(study_panel, (0, 1)) is not view
    with pytest.raises(ValueError, match="read-only"):
        view.car[0] = 0.0


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 12)),
        elements=st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, np.nan, np.inf, -np.inf]),
    )
)
def test_rank_equals_scipy_rankdata_with_ties_nan_and_inf(x):
    np.testing.assert_array_equal(average_ranks(x, axis=1), rankdata(x, axis=1, nan_policy="omit"))
    finite = x[0][~np.isnan(x[0])]
    np.testing.assert_array_equal(average_ranks(finite), rankdata(finite))


def test_generalized_ranks_equal_ranking_the_whole_series(study_panel):
    panel = study_panel
    use = np.isfinite(panel.sigma) & (np.arange(panel.n_pairs) % 4 != 0)
    sar = estimation_sar(panel)[use]
    for cumulated in (
        np.nan_to_num(sar[:, 7], nan=0.3),  # ties with an estimation SAR
        np.linspace(-3, 3, len(sar)),
    ):
        series = np.hstack([sar, cumulated[:, None]])
        valid = np.isfinite(series)
        ranks = rankdata(series, axis=1, nan_policy="omit")
        u = np.where(valid, ranks / (valid.sum(axis=1)[:, None] + 1.0) - 0.5, 0.0)
        sums, n_t = grank_rank_sums(panel, use, cumulated)
        np.testing.assert_allclose(sums, u.sum(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(n_t, valid.sum(axis=0))


@pytest.mark.parametrize("patterns", [1, 3, 40])
def test_bootstrap_replicates_by_gram_equal_the_pairwise_sums(patterns):
    rng = np.random.default_rng(patterns)
    z = rng.normal(size=(200, 60))
    holes = rng.random((patterns, 60)) < 0.1
    z[holes[rng.integers(0, patterns, 200)]] = np.nan
    z[:3] = np.nan  # pairs with no residual at all
    pool = _Pool.of(z)
    assert pool.days == np.isfinite(z).any(axis=0).sum()
    np.testing.assert_array_equal(pool.values, np.nan_to_num(z[:, np.isfinite(z).any(axis=0)]))
    draws = rng.integers(0, pool.days, size=(300, 5))
    direct = _replicates_by_pair(pool.values, pool.present.astype(float), draws)
    for _ in range(2):  # the second time from the kept Gram matrices
        by_pattern = _replicates_by_pattern(pool, draws)
        np.testing.assert_allclose(by_pattern, direct, rtol=1e-10, atol=1e-12)
    assert pool._moments is not None
    np.testing.assert_allclose(_replicates(pool, draws), direct, rtol=1e-10, atol=1e-12)
    assert np.isfinite(direct).all()


def test_row_patterns_groups_identical_rows():
    rng = np.random.default_rng(0)
    mask = rng.random((500, 30)) < 0.5
    mask[100:] = mask[rng.integers(0, 20, 400)]
    patterns, inverse = row_patterns(mask)
    np.testing.assert_array_equal(patterns[inverse], mask)
    assert len(patterns) == len(np.unique(mask, axis=0))
    one, index = row_patterns(np.ones((4, 3), dtype=bool))
    assert one.shape == (1, 3) and not index.any()
