"""run_tests: the default set, a planted effect, the null, degenerate panels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import (
    CLUSTER_ROBUST,
    DEFAULT_TESTS,
    EXTRA_TESTS,
    TESTS,
    TestResult,
    clustering_present,
    run_tests,
)
from eventstudy.inference.simulate import simulate_panel, simulate_panels
from tests.test_inference_panel import make_panel

CONTRACT = [
    "cs_t",
    "cda_t",
    "patell_z",
    "bmp_t",
    "kp_patell_z",
    "kp_bmp_t",
    "mackinlay_j1",
    "mackinlay_j2",
    "corrado_rank_z",
    "corrado_zivney_rank_z",
    "gen_sign_z",
    "wilcoxon",
    "grank_t",
    "bootstrap",
    "binder_f",
]


def test_default_set_is_the_output_contract():
    assert list(DEFAULT_TESTS) == CONTRACT
    assert set(EXTRA_TESTS) == {"bmp_t_csar", "corrado_zivney_sign_z", "binder_caar_t"}
    assert set(TESTS) >= CLUSTER_ROBUST
    results = run_tests(make_panel(61), (-1, 1))
    assert [r.test for r in results] == CONTRACT
    for r in results:
        assert isinstance(r, TestResult)
        assert np.isfinite(r.statistic) and 0 < r.p_value <= 1 and r.n > 0, r
        assert r.valid_under_clustering == (r.test in CLUSTER_ROBUST)
        assert r.distribution
    assert set(results[0].as_dict()) == {
        "test",
        "statistic",
        "p_value",
        "n",
        "df",
        "distribution",
        "valid_under_clustering",
        "note",
    }


def test_subset_of_tests_in_the_order_asked():
    results = run_tests(make_panel(62), (0, 0), ["wilcoxon", "cs_t", "binder_caar_t"])
    assert [r.test for r in results] == ["wilcoxon", "cs_t", "binder_caar_t"]
    with pytest.raises(ValueError, match="unknown test"):
        run_tests(make_panel(62), (0, 0), ["cs_t", "magic"])
    with pytest.raises(ValueError, match="after its end"):
        run_tests(make_panel(62), (1, 0))
    with pytest.raises(ValueError, match="kp_alignment"):
        run_tests(make_panel(62), (0, 0), kp_alignment="weekly")  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [(0, 0), (-1, 1)])
def test_planted_effect_is_detected_by_every_test(window):
    # -3% on day 0 for 50 pairs with 1.5% residual noise, independent random dates.
    panel = simulate_panel(50, effect=-0.03, sigma_range=(0.015, 0.015), tail_df=None, seed=4)
    assert not clustering_present(panel)
    for r in run_tests(panel, window, list(TESTS)):
        assert r.p_value < 0.01, r
        if r.test not in {"binder_f"}:  # binder_f is a two-sided joint (chi2/F) statistic
            assert r.statistic < 0, r


def test_planted_effect_on_one_shared_date_is_detected_by_the_robust_tests():
    panel = simulate_panel(
        50,
        effect=-0.03,
        sigma_range=(0.015, 0.015),
        tail_df=None,
        same_date=True,
        rho=0.3,
        seed=5,
    )
    assert clustering_present(panel)
    for r in run_tests(panel, (0, 0), sorted(CLUSTER_ROBUST - {"corrado_zivney_sign_z"})):
        assert r.p_value < 0.05, r


def test_p_values_are_roughly_uniform_under_the_null():
    panels = simulate_panels(60, 30, tail_df=None, seed=8)
    p = np.array(
        [[r.p_value for r in run_tests(pn, (-1, 1), list(TESTS), n_boot=199)] for pn in panels]
    )
    assert np.isfinite(p).all()
    for j, name in enumerate(TESTS):
        assert stats.kstest(p[:, j], "uniform").pvalue > 0.001, name
        assert (p[:, j] < 0.05).mean() <= 0.15, name


def test_degenerate_panels_never_raise():
    panel = make_panel(63)
    cases = {
        "no pairs": (panel.subset(np.zeros(panel.n_pairs, dtype=bool)), (0, 0)),
        "one pair": (panel.subset(np.array([4])), (0, 0)),
        "window outside": (panel, (8, 9)),
    }
    for label, (p, window) in cases.items():
        results = run_tests(p, window, list(TESTS))
        assert len(results) == len(TESTS), label
        for r in results:
            if np.isnan(r.statistic):
                assert np.isnan(r.p_value) and r.note, (label, r)
        if label != "one pair":
            assert all(np.isnan(r.statistic) for r in results), label
    one = {r.test: r for r in run_tests(cases["one pair"][0], (0, 0), list(TESTS))}
    assert np.isfinite(one["binder_f"].statistic)  # one pair: the MacKinlay t squared
    assert np.isnan(one["cs_t"].statistic)


def test_result_is_not_collected_by_pytest():
    assert TestResult.__test__ is False
