"""Many small groups tested at once give, group by group, what run_tests gives.

:func:`~eventstudy.inference.run_tests_grouped` computes every test with the group as
an array axis and hands the special cases (too few pairs, no dispersion, a skipped
Binder cluster) back to the per-group functions. Its results are checked against
``run_tests(panel.subset(rows))`` field by field: statistics and p-values to 1e-9
relative, n, df, distribution and note exactly.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.inference import TESTS, EventPanel, run_tests, run_tests_grouped
from eventstudy.inference.simulate import simulate_panels
from eventstudy.sessions.calendar import sessions

WINDOWS = [(0, 0), (-1, 1), (-5, 5)]


def assert_same(grouped, alone):
    assert [r.test for r in grouped] == [r.test for r in alone]
    for a, b in zip(grouped, alone, strict=True):
        assert (a.n, a.df, a.distribution, a.note) == (b.n, b.df, b.distribution, b.note), a.test
        assert a.valid_under_clustering == b.valid_under_clustering
        np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-9, atol=1e-12, err_msg=a.test)
        np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-9, atol=1e-12, err_msg=a.test)


def check(panel: EventPanel, rows: np.ndarray, n_boot: int = 199) -> None:
    for window in WINDOWS:
        grouped = run_tests_grouped(panel, rows, window, list(TESTS), n_boot=n_boot, seed=5)
        assert len(grouped) == len(rows)
        for g, results in enumerate(grouped):
            alone = run_tests(panel.subset(rows[g]), window, list(TESTS), n_boot=n_boot, seed=5)
            assert_same(results, alone)


@pytest.fixture(scope="module")
def clusters() -> EventPanel:
    """40 same-date groups of 3 pairs (one day 0 each), with the awkward cases planted."""
    panel = EventPanel.concat(
        simulate_panels(40, 3, same_date=True, rho=0.3, missing=0.05, tail_df=3.0, seed=3)
    )
    ar, resid = panel.ar.copy(), panel.residuals.copy()
    ar[4, :] = np.nan  # a pair without any abnormal return: its group has 2 pairs with a CAR
    ar[7, 8:13] = np.nan  # a gap in the CAR windows
    ar[9:12, :] = np.nan  # a group with no CAR at all
    resid[13, :200] = np.nan  # a pair with few estimation days
    resid[15:18, :3] = resid[15:18, 3:4]  # ties in the ranks
    ar[18:21, 10] = 0.0  # zero CARs over [0, 0] (dropped by the Wilcoxon test)
    day0 = panel.day0.copy()
    day0[21:24] = day0[24]  # two groups on one day 0 (two Binder clusters in one batch)
    return replace(panel, ar=ar, residuals=resid, day0=day0)


def test_grouped_tests_equal_each_group_alone(clusters):
    check(clusters, np.arange(clusters.n_pairs).reshape(-1, 3))


def test_groups_of_pairs_with_their_own_dates(clusters):
    """Groups whose pairs have different days 0 (Binder: several clusters per group)."""
    rows = np.array([[g, g + 3, g + 7] for g in range(0, 90, 9)])
    check(clusters, rows)
    check(clusters, np.arange(clusters.n_pairs).reshape(-1, 4)[:, :2])


def test_garch_variances_and_a_general_design(clusters):
    rng = np.random.default_rng(1)
    scale = rng.uniform(0.5, 2.0, clusters.ar.shape)
    garch = replace(
        clusters,
        ar_var=(clusters.sigma**2)[:, None] * scale,
        resid_var=np.broadcast_to((clusters.sigma**2)[:, None], clusters.residuals.shape).copy(),
    )
    check(garch, np.arange(garch.n_pairs).reshape(-1, 3)[:12], n_boot=99)
    n, l2 = clusters.ar.shape
    design = np.stack([np.ones((n, l2)), np.nan_to_num(clusters.market_evt)], axis=2)
    xtx = np.stack([np.linalg.inv(np.diag([240.0, 0.05])) for _ in range(n)])
    general = replace(clusters, design_evt=design, xtx_inv=xtx)
    check(general, np.arange(general.n_pairs).reshape(-1, 3)[:12], n_boot=99)


def test_the_bootstrap_shares_its_draws_across_groups_and_keeps_the_seed(clusters):
    rows = np.arange(clusters.n_pairs).reshape(-1, 3)
    one = run_tests_grouped(clusters, rows, (0, 1), ["bootstrap"], n_boot=99, seed=1)
    two = run_tests_grouped(clusters, rows, (0, 1), ["bootstrap"], n_boot=99, seed=2)
    assert [r[0].p_value for r in one] != [r[0].p_value for r in two]
    again = run_tests_grouped(clusters, rows, (0, 1), ["bootstrap"], n_boot=99, seed=1)
    assert [r[0].p_value for r in one] == [r[0].p_value for r in again]


def test_a_planted_effect_is_found_in_every_group():
    panels = simulate_panels(30, 5, same_date=True, effect=-0.03, tail_df=None, seed=8)
    panel = EventPanel.concat(panels)
    rows = np.arange(panel.n_pairs).reshape(-1, 5)
    found = run_tests_grouped(panel, rows, (0, 0), ["cs_t", "bmp_t", "patell_z"], n_boot=99)
    for results in found:
        assert all(r.statistic < 0 for r in results)
    # Patell's Z on 5 pairs with sigma 1-3% finds -3% in nearly every group (93% here)
    assert np.mean([results[2].p_value < 0.05 for results in found]) > 0.9


def many_small_events() -> es.StudyResult:
    """120 events of 3 of 6 securities each, on their own dates (120 event: groups)."""
    rng = np.random.default_rng(4)
    days = sessions("XNYS")
    days = days[(days >= "2018-01-02")][:1500]
    market = rng.normal(0.0004, 0.01, len(days))
    names = [f"S{k}" for k in range(6)]
    returns = market[:, None] * rng.uniform(0.5, 1.5, 6) + rng.normal(0, 0.02, (len(days), 6))
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=days, columns=names)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    picked = np.sort(rng.choice(np.arange(300, 1480), 120, replace=False))
    events = pd.DataFrame({
        "id": [f"e{k:03d}" for k in range(120)],
        "date": [f"{days[d]:%Y-%m-%d}" for d in picked],
        "securities": [";".join(rng.choice(names, 3, replace=False)) for _ in picked],
    })  # fmt: skip
    study = es.Study.from_frame(events, name="small-events", benchmark="SPY")
    return study.run(prices=prices.rename_axis("date"))


def test_a_study_of_many_small_events_gives_the_same_tests_csv(monkeypatch):
    """tests.csv with the small event: groups tested together equals one by one."""
    from eventstudy.measures import group_tests
    from eventstudy.pipeline import study_tests

    result = many_small_events()
    together = result.tests()
    monkeypatch.setattr(group_tests, "GROUPED_MAX_PAIRS", 0)
    alone = study_tests.study_tests(result, result.test_names)
    together = together.drop(columns="validity")  # RunResult.tests() adds the marks
    assert together["group"].str.startswith("event:").sum() > 100 * 15
    numbers = ["statistic", "p_value", "p_holm", "p_bh"]
    pd.testing.assert_frame_equal(together.drop(columns=numbers), alone.drop(columns=numbers))
    for column in numbers:
        np.testing.assert_allclose(together[column], alone[column], rtol=1e-9, atol=1e-12)
