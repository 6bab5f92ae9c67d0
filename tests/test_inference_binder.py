"""Binder (1985) tests against the explicit dummy-variable regression (statsmodels OLS)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.inference import EventPanel, binder_caar_t, binder_f, cluster_tests
from eventstudy.inference.simulate import simulate_panels
from tests.test_inference_panel import make_panel


def explicit_binder(panel, rows, window):
    """Fit Binder's system for one cluster the long way and return (CARs, Omega, nu).

    One equation per security: y on [1, R_m, D_1..D_L] over the balanced estimation
    days plus the balanced CAR-window days, one dummy per CAR-window day; OLS per
    equation (statsmodels); Sigma from the residuals with T - k degrees of freedom;
    Cov(CAR_i, CAR_j) = sigma_ij r'(X_i'X_i)^-1 X_i'X_j (X_j'X_j)^-1 r.
    """
    cols = [t for t, d in enumerate(panel.rel_days) if window[0] <= d <= window[1]]
    est = np.all(
        [np.isfinite(panel.returns_est[i]) & np.isfinite(panel.market_est[i]) for i in rows],
        axis=0,
    )
    evt = [
        t
        for t in cols
        if all(
            np.isfinite(panel.returns_evt[i, t]) and np.isfinite(panel.market_evt[i, t])
            for i in rows
        )
    ]
    m, length = int(est.sum()), len(evt)
    xs, fits = [], []
    for i in rows:
        y = np.concatenate([panel.returns_est[i][est], panel.returns_evt[i, evt]])
        rm = np.concatenate([panel.market_est[i][est], panel.market_evt[i, evt]])
        dummies = np.vstack([np.zeros((m, length)), np.eye(length)])
        x = np.column_stack([np.ones(m + length), rm, dummies])
        xs.append(x)
        fits.append(sm.OLS(y, x).fit())
    k = 2 + length
    r = np.concatenate([[0.0, 0.0], np.ones(length)])
    car = np.array([f.params[2:].sum() for f in fits])
    resid = np.array([f.resid for f in fits])
    sigma = resid @ resid.T / (m + length - k)
    q = len(rows)
    omega = np.empty((q, q))
    for a in range(q):
        for b in range(q):
            ia = np.linalg.inv(xs[a].T @ xs[a])
            ib = np.linalg.inv(xs[b].T @ xs[b])
            omega[a, b] = sigma[a, b] * (r @ ia @ xs[a].T @ xs[b] @ ib @ r)
    # the dummy coefficients are the abnormal returns of the estimation-window fit
    for a, i in enumerate(rows):
        if len(evt) and np.isfinite(panel.ar[i, evt]).all() and est.sum() == panel.n_est[i]:
            np.testing.assert_allclose(fits[a].params[2:], panel.ar[i, evt], atol=1e-12)
    return car, omega, m + length - k


def hotelling(car, omega, nu):
    q = car.size
    wald = car @ np.linalg.solve(omega, car)
    f = (nu - q + 1) / (q * nu) * wald
    return wald, f, stats.f.sf(f, q, nu - q + 1)


@pytest.fixture(scope="module")
def panel():
    return make_panel(41, cluster_sizes=(5, 3, 1, 1), missing=0.03, rho=0.5)


@pytest.mark.parametrize("window", [(0, 0), (-1, 1), (-3, 3)])
def test_cluster_tests_equal_the_explicit_regression(panel, window):
    ct = cluster_tests(panel, window)
    for c, date in enumerate(ct.day0):
        rows = np.flatnonzero(panel.day0 == date).tolist()
        car, omega, nu = explicit_binder(panel, rows, window)
        wald, f, p = hotelling(car, omega, nu)
        assert ct.size[c] == len(rows) and ct.nu[c] == nu
        assert ct.wald[c] == pytest.approx(wald, rel=1e-9)
        assert ct.f[c] == pytest.approx(f, rel=1e-9)
        assert ct.p[c] == pytest.approx(p, rel=1e-8, abs=1e-300)
        assert ct.car_sum[c] == pytest.approx(car.sum(), rel=1e-10, abs=1e-14)
        assert ct.car_sum_var[c] == pytest.approx(omega.sum(), rel=1e-10)


def test_different_benchmarks_in_one_cluster():
    p = make_panel(42, cluster_sizes=(4,), shared_benchmark=False, missing=0.02)
    car, omega, nu = explicit_binder(p, [0, 1, 2, 3], (-1, 1))
    _, f, pv = hotelling(car, omega, nu)
    r = binder_f(p, (-1, 1))
    assert r.statistic == pytest.approx(f, rel=1e-9) and r.p_value == pytest.approx(pv, rel=1e-8)
    assert r.df == (4, nu - 3) and r.distribution == f"F(4, {nu - 3})"


def test_binder_f_combines_clusters_by_lancaster(panel):
    window = (-1, 1)
    ct = cluster_tests(panel, window)
    x = sum(stats.chi2.isf(p, q) for p, q in zip(ct.p, ct.size, strict=True))
    q = int(ct.size.sum())
    r = binder_f(panel, window)
    assert r.statistic == pytest.approx(x / q, rel=1e-9)
    assert r.p_value == pytest.approx(stats.chi2.sf(x, q), rel=1e-8)
    assert r.n == panel.n_pairs and r.valid_under_clustering
    t = binder_caar_t(panel, window)
    assert t.statistic == pytest.approx(ct.car_sum.sum() / np.sqrt(ct.car_sum_var.sum()), rel=1e-12)
    assert t.df == int(ct.nu.min())


def test_single_pair_binder_is_the_squared_mackinlay_t():
    p = make_panel(43, cluster_sizes=(1,), missing=0.0)
    from eventstudy.inference import window_view
    from eventstudy.models.abnormal import t_test

    w = window_view(p, (-2, 2))
    t, _ = t_test(w.car, np.sqrt(w.var_car), p.n_est - 2)
    r = binder_f(p, (-2, 2))
    assert r.statistic == pytest.approx(t[0] ** 2, rel=1e-10)
    assert binder_caar_t(p, (-2, 2)).statistic == pytest.approx(t[0], rel=1e-10)


def test_hotelling_f_is_exact_under_normal_errors():
    # 600 clusters of 6 securities, 30 estimation days (nu = 28): one batched call.
    panels = simulate_panels(
        600, 6, estimation=(-31, -2), event=(-1, 1), same_date=True, rho=0.4, tail_df=None, seed=7
    )
    big = EventPanel.concat(panels)
    big = replace(big, day0=np.repeat(np.datetime64("2001-01-01") + np.arange(600), 6))
    ct = cluster_tests(big, (-1, 1))
    assert ct.size.size == 600 and (ct.nu == 28).all()
    assert 0.03 <= (ct.p < 0.05).mean() <= 0.07
    assert stats.kstest(ct.p, "uniform").pvalue > 0.01
    # the chi2(q) Wald reference over-rejects here; the F correction is what keeps size
    assert (stats.chi2.sf(ct.wald, 6) < 0.05).mean() > 0.08


def test_duplicates_and_too_many_securities():
    p = make_panel(44, cluster_sizes=(3,), missing=0.0)
    dup = EventPanel.concat([p, p.subset(np.array([0]))])  # same ticker, same day 0
    assert binder_f(dup, (0, 0)).n == 3
    assert binder_f(dup, (0, 0)).statistic == pytest.approx(binder_f(p, (0, 0)).statistic)
    wide = make_panel(45, cluster_sizes=(8,), l1=9, missing=0.0)  # nu = 7 < 8 securities
    r = binder_f(wide, (0, 0))
    assert np.isnan(r.statistic) and "residual degrees of freedom" in r.note
    empty = p.subset(np.zeros(3, dtype=bool))
    assert np.isnan(binder_f(empty, (0, 0)).statistic)
    assert np.isnan(binder_caar_t(p, (7, 9)).statistic)
