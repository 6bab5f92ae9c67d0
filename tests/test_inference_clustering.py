"""Event-date clusters, the Kolari-Pynnönen r-bar and adjusted tests."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import (
    CLUSTER_ROBUST,
    bmp_t,
    clustering_present,
    cross_correlation,
    date_clusters,
    kp_bmp_factor,
    kp_bmp_t,
    kp_patell_factor,
    kp_patell_z,
    patell_z,
)
from tests.test_inference_panel import hand_panel, loop_car, make_panel


def ref_rbar(x):
    """Mean off-diagonal Pearson correlation, each pair over its common valid days."""
    n = x.shape[0]
    rs = []
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            ok = np.isfinite(x[i]) & np.isfinite(x[j])
            if ok.sum() >= 3:
                rs.append(np.corrcoef(x[i, ok], x[j, ok])[0, 1])
    return sum(rs) / len(rs)


@pytest.fixture(scope="module")
def panel():
    return make_panel(31, missing=0.05, rho=0.5)


def test_date_clusters_and_presence(panel):
    labels, sizes = date_clusters(panel)
    assert sorted(sizes.tolist()) == [1, 1, 1, 1, 1, 1, 3, 4]
    assert len(set(labels[:4])) == 1 and labels[4] != labels[0]
    assert clustering_present(panel)
    singles = panel.subset(np.arange(7, panel.n_pairs))
    assert not clustering_present(singles)
    assert not clustering_present(panel.subset(np.array([0])))


def test_rbar_matches_loops_and_pandas(panel):
    r = cross_correlation(panel)
    assert r == pytest.approx(ref_rbar(panel.residuals), rel=1e-10)
    corr = pd.DataFrame(panel.residuals.T).corr().to_numpy()  # pairwise-complete
    off = corr[~np.eye(panel.n_pairs, dtype=bool)]
    assert r == pytest.approx(off.mean(), rel=1e-10)
    within = cross_correlation(panel.subset(np.arange(4)))
    assert 0.25 < within < 0.75  # the cluster's planted correlation is 0.5


def test_rbar_calendar_alignment_finds_shifted_windows():
    # Pair B's day 0 is 2 sessions after A's; B's residuals are A's on the same
    # calendar dates, so calendar alignment gives r = 1 and relative alignment does not.
    rng = np.random.default_rng(5)
    a = rng.normal(size=40)
    b = np.concatenate([a[2:], rng.normal(size=2)])
    p = hand_panel(
        ar=[[0.1], [0.2]],
        residuals=[a, b],
        sigma=[1, 1],
        n_est=[40, 40],
        rel_days=[0],
        day0=["2024-03-04", "2024-03-06"],
    )
    p = replace(p, est_dates=np.busday_offset(p.day0[:, None], np.arange(-45, -5)))
    assert cross_correlation(p, "calendar") == pytest.approx(1.0, rel=1e-12)
    assert abs(cross_correlation(p, "relative")) < 0.5
    with pytest.raises(ValueError, match="alignment"):
        cross_correlation(p, "weekly")  # type: ignore[arg-type]


def test_rbar_calendar_matches_a_dictionary_join(panel):
    by_date = [
        dict(zip(panel.est_dates[i].tolist(), panel.residuals[i], strict=True))
        for i in range(panel.n_pairs)
    ]
    rs = []
    for i in range(panel.n_pairs):
        for j in range(panel.n_pairs):
            common = [
                d
                for d in by_date[i]
                if d in by_date[j] and np.isfinite(by_date[i][d]) and np.isfinite(by_date[j][d])
            ]
            if i != j and len(common) >= 3:
                xi = [by_date[i][d] for d in common]
                xj = [by_date[j][d] for d in common]
                rs.append(np.corrcoef(xi, xj)[0, 1])
    assert cross_correlation(panel, "calendar") == pytest.approx(np.mean(rs), rel=1e-10)


# Hand-worked KP factors: r-bar = 0.2 and N = 5 give 1 + (N-1) r = 1.8, so the BMP factor
# is sqrt(0.8 / 1.8) = 2/3 and the Patell factor 1/sqrt(1.8).
# Hand-worked r-bar: residuals A = [1,-1,1,-1], B = A (r = 1), C = [1,1,-1,-1]
# (orthogonal to both, r = 0): r-bar = mean(1, 0, 0) = 1/3; with N = 3,
# BMP factor = sqrt((2/3) / (5/3)) = sqrt(2/5), Patell factor = 1/sqrt(5/3).
def test_hand_worked_kp_adjustment():
    assert kp_bmp_factor(0.2, 5) == pytest.approx(2 / 3, rel=1e-12)
    assert kp_patell_factor(0.2, 5) == pytest.approx(1 / math.sqrt(1.8), rel=1e-12)
    assert kp_bmp_factor(0.0, 50) == 1.0 and kp_patell_factor(0.0, 50) == 1.0
    assert np.isnan(kp_bmp_factor(-0.5, 4)) and np.isnan(kp_patell_factor(-0.5, 4))
    p = hand_panel(
        ar=[[1.0], [2.0], [0.5]],
        residuals=[[1, -1, 1, -1], [1, -1, 1, -1], [1, 1, -1, -1]],
        sigma=[1, 1, 1],
        n_est=[10, 10, 10],
        rel_days=[0],
    )
    assert cross_correlation(p) == pytest.approx(1 / 3, rel=1e-12)
    r = kp_bmp_t(p, (0, 0))
    assert r.statistic == pytest.approx(bmp_t(p, (0, 0)).statistic * math.sqrt(2 / 5), rel=1e-12)
    assert r.df == 2 and r.valid_under_clustering and "rbar=0.333333" in r.note
    r = kp_patell_z(p, (0, 0))
    assert r.statistic == pytest.approx(patell_z(p, (0, 0)).statistic / math.sqrt(5 / 3), rel=1e-12)


@pytest.mark.parametrize("window", [(0, 0), (-1, 1), (-3, 3)])
def test_kp_tests_against_loops(panel, window):
    car, _ = loop_car(panel, window)
    used = np.isfinite(car)  # pairs with a CAR in the window
    rbar = ref_rbar(panel.residuals[used])
    n = int(used.sum())
    kp = kp_bmp_t(panel, window)
    expected = bmp_t(panel, window).statistic * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    assert kp.statistic == pytest.approx(expected, rel=1e-10)
    kp = kp_patell_z(panel, window)
    assert kp.n == n
    expected = patell_z(panel, window).statistic / math.sqrt(1 + (n - 1) * rbar)
    assert kp.statistic == pytest.approx(expected, rel=1e-10)
    assert kp_bmp_t(panel, window, rbar=0.0).statistic == pytest.approx(
        bmp_t(panel, window).statistic, rel=1e-14
    )


def test_kp_needs_two_pairs_and_a_valid_factor():
    one = hand_panel(ar=[[1.0]], residuals=[[1, -1, 2]], sigma=[1], n_est=[10], rel_days=[0])
    assert np.isnan(kp_patell_z(one, (0, 0)).statistic)
    assert np.isnan(kp_bmp_t(one, (0, 0)).statistic)
    two = hand_panel(
        ar=[[1.0], [3.0]], residuals=[[1, -1, 2]] * 2, sigma=[1, 1], n_est=[10, 10], rel_days=[0]
    )
    r = kp_bmp_t(two, (0, 0), rbar=1.0)
    assert np.isnan(r.statistic) and "no valid adjustment" in r.note


def test_cluster_robust_names():
    assert {"kp_patell_z", "kp_bmp_t", "cda_t", "bootstrap", "binder_f"} <= CLUSTER_ROBUST
    assert not {"cs_t", "patell_z", "bmp_t", "gen_sign_z", "wilcoxon"} & CLUSTER_ROBUST


def test_rbar_by_pattern_equals_pairwise_on_random_panels():
    """The pattern-by-pattern r-bar (matrix products) equals the (N, N) computation."""
    from eventstudy.inference import clustering

    rng = np.random.default_rng(1)
    for _ in range(150):
        n, days, n_patterns = rng.integers(2, 60), rng.integers(3, 40), rng.integers(1, 10)
        x = rng.normal(5 * rng.random(), 1, (n, days)) + 0.3 * rng.normal(size=days)
        holes = rng.random((n_patterns, days)) < rng.random() * 0.6
        x[holes[rng.integers(0, n_patterns, n)]] = np.nan
        x[0] = 0.7  # no variation
        r = clustering._pairwise_correlation(x)
        off = r[~np.eye(n, dtype=bool)]
        off = off[np.isfinite(off)]
        got = clustering._mean_correlation_by_pattern(x)
        if not off.size:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(off.mean(), abs=1e-13)
            assert clustering._rbar(x) == (pytest.approx(off.mean(), abs=1e-13), "")


def test_rbar_of_many_missing_day_patterns_is_linear_and_noted(monkeypatch):
    """Beyond the exact budget r-bar standardizes each row over its own days: equal to
    the pairwise-complete mean without missing days, close to it with a few, and noted."""
    from eventstudy.inference import clustering

    rng = np.random.default_rng(7)
    common = rng.normal(size=120)
    x = 0.4 * common + rng.normal(size=(300, 120))
    exact = clustering._pairwise_correlation(x)[~np.eye(300, dtype=bool)].mean()
    assert clustering._mean_correlation_own_window(x) == pytest.approx(exact, abs=1e-13)
    x[rng.random(x.shape) < 0.05] = np.nan  # ~300 patterns: each row its own
    x[1] = 2.0  # no variation: left out by both
    pairwise = clustering._pairwise_correlation(x)
    exact = pairwise[np.isfinite(pairwise) & ~np.eye(300, dtype=bool)].mean()
    monkeypatch.setattr(clustering, "_DIRECT_MAX", 100)
    monkeypatch.setattr(clustering, "_EXACT_CELLS", 300 * 300 * 120)
    assert clustering._rbar(x) == (pytest.approx(exact, abs=1e-13), "")  # exact blocks
    monkeypatch.setattr(clustering, "_EXACT_CELLS", 300 * 300 * 120 - 1)
    value, note = clustering._rbar(x)
    assert value == pytest.approx(exact, abs=0.01) and value != pytest.approx(exact, abs=1e-9)
    assert "own days" in note and "300 pairs" in note
    panel = make_panel(seed=3)
    monkeypatch.setattr(clustering, "_DIRECT_MAX", 5)
    monkeypatch.setattr(clustering, "_EXACT_CELLS", 0)
    monkeypatch.setattr(clustering, "_PATTERN_CELLS", 0)
    assert "own days" in kp_bmp_t(panel, (0, 1)).note
