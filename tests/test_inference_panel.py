"""EventPanel, the window view and the shared fixture data of the inference tests.

``make_panel`` builds a small panel with known structure (clusters of pairs sharing a
day 0 and a benchmark series, cross-correlated Student-t residuals, missing returns);
the other ``test_inference_*`` files import it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from eventstudy.inference import EventPanel, run_tests, standardized_ar, window_view
from eventstudy.models.fits import fit_market_model

BASE = np.datetime64("2021-01-04")


def make_panel(
    seed: int = 0,
    cluster_sizes: tuple[int, ...] = (4, 3, 1, 1, 1, 1, 1, 1),
    *,
    l1: int = 60,
    rel: tuple[int, int] = (-3, 3),
    missing: float = 0.04,
    rho: float = 0.4,
    effect: float = 0.0,
    shared_benchmark: bool = True,
) -> EventPanel:
    """A panel of clustered pairs: each cluster shares day 0, and (by default) its
    benchmark series; residuals within a cluster have correlation ``rho``."""
    rng = np.random.default_rng(seed)
    rel_days = np.arange(rel[0], rel[1] + 1)
    width = l1 + rel_days.size
    rows_r, rows_m, day0, est_dates, event_id, ticker = [], [], [], [], [], []
    for c, size in enumerate(cluster_sizes):
        market = rng.normal(0.0003, 0.01, width)
        common = rng.standard_t(5, width)
        date = np.busday_offset(BASE, 90 + 37 * c, roll="forward")
        for j in range(size):
            m = market if shared_benchmark else rng.normal(0.0003, 0.01, width)
            s = rng.uniform(0.01, 0.03)
            e = s * (np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_t(5, width))
            r = 0.0005 + rng.uniform(0.5, 1.5) * m + e
            r[l1 - rel_days[0]] += effect  # day 0
            rows_r.append(r)
            rows_m.append(m.copy())
            day0.append(date)
            est_dates.append(np.busday_offset(date, np.arange(-l1 - 5, -5), roll="forward"))
            event_id.append(f"ev{c}")
            ticker.append(f"T{j}")
    returns, market = np.array(rows_r), np.array(rows_m)
    returns[rng.random(returns.shape) < missing] = np.nan
    market[rng.random(market.shape) < missing / 4] = np.nan
    fit = fit_market_model(returns[:, :l1], market[:, :l1])
    return EventPanel.from_market_model(
        fit,
        returns_est=returns[:, :l1],
        market_est=market[:, :l1],
        returns_evt=returns[:, l1:],
        market_evt=market[:, l1:],
        rel_days=rel_days,
        day0=np.array(day0),
        est_dates=np.array(est_dates),
        event_id=np.array(event_id),
        ticker=np.array(ticker),
    )


def hand_panel(
    ar: list[list[float]],
    residuals: list[list[float]],
    *,
    sigma: list[float],
    n_est: list[int],
    rel_days: list[int],
    market_evt: list[list[float]] | None = None,
    market_mean: float = 0.0,
    market_sxx: float = 1.0,
    day0: list[str] | None = None,
) -> EventPanel:
    """A panel from hand-written numbers (for the hand-worked examples)."""
    a, e = np.array(ar, dtype=float), np.array(residuals, dtype=float)
    n = a.shape[0]
    m_evt = np.zeros_like(a) if market_evt is None else np.array(market_evt, dtype=float)
    dates = np.array(day0 or [f"2024-01-{d + 2:02d}" for d in range(n)], dtype="datetime64[D]")
    return EventPanel(
        ar=a,
        residuals=e,
        market_evt=m_evt,
        market_est=np.zeros_like(e),
        returns_evt=a,
        returns_est=e,
        sigma=np.array(sigma, dtype=float),
        n_est=np.array(n_est),
        market_mean=np.full(n, market_mean),
        market_sxx=np.full(n, market_sxx),
        rel_days=np.array(rel_days),
        day0=dates,
        est_dates=np.busday_offset(
            dates[:, None], -np.arange(e.shape[1], 0, -1) - 5, roll="forward"
        ),
        event_id=np.array([f"e{i}" for i in range(n)]),
        ticker=np.array([f"T{i}" for i in range(n)]),
    )


def loop_car(panel: EventPanel, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """CAR and MacKinlay variance per pair, by plain loops (reference)."""
    n, l2 = panel.ar.shape
    car, var = np.full(n, np.nan), np.full(n, np.nan)
    for i in range(n):
        total, days, dev = 0.0, 0, 0.0
        for t in range(l2):
            if window[0] <= panel.rel_days[t] <= window[1]:
                a, m = panel.ar[i, t], panel.market_evt[i, t]
                if np.isfinite(a) and np.isfinite(m):
                    total += a
                    days += 1
                    dev += m - panel.market_mean[i]
        if days:
            car[i] = total
            s2, big_m = panel.sigma[i] ** 2, panel.n_est[i]
            var[i] = s2 * (days + days**2 / big_m + dev**2 / panel.market_sxx[i])
    return car, var


def test_from_market_model_residuals_and_ars():
    panel = make_panel(1)
    fit = fit_market_model(panel.returns_est, panel.market_est)
    np.testing.assert_array_equal(fit.sigma, panel.sigma)
    np.testing.assert_array_equal(panel.df, panel.n_est - 2)
    ar = panel.returns_evt - fit.alpha[:, None] - fit.beta[:, None] * panel.market_evt
    np.testing.assert_array_equal(np.isnan(ar), np.isnan(panel.ar))
    np.testing.assert_allclose(panel.ar, ar, rtol=0, atol=1e-15)
    ok = np.isfinite(panel.returns_est) & np.isfinite(panel.market_est)
    assert np.isnan(panel.residuals[~ok]).all() and np.isfinite(panel.residuals[ok]).all()
    # each pair's residuals sum to zero (OLS with an intercept)
    np.testing.assert_allclose(np.nansum(panel.residuals, axis=1), 0.0, atol=1e-14)


@pytest.mark.parametrize("window", [(0, 0), (-1, 1), (-3, 3), (1, 3)])
def test_window_view_matches_loops(window):
    panel = make_panel(2)
    w = window_view(panel, window)
    car, var = loop_car(panel, window)
    np.testing.assert_allclose(w.car, car, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w.var_car, var, rtol=1e-12)
    np.testing.assert_array_equal(w.has_car, np.isfinite(car))


def _market_design(panel: EventPanel) -> EventPanel:
    """The same panel with the market model given as a general design [1, R_m]."""
    n = panel.n_pairs
    inv = np.empty((n, 2, 2))
    m, s, big_m = panel.market_mean, panel.market_sxx, panel.n_est
    inv[:, 0, 0] = 1 / big_m + m**2 / s
    inv[:, 0, 1] = inv[:, 1, 0] = -m / s
    inv[:, 1, 1] = 1 / s
    design = np.stack([np.ones_like(panel.market_evt), panel.market_evt], axis=-1)
    return replace(panel, xtx_inv=inv, design_evt=design)


def test_general_design_reproduces_the_market_model():
    panel = make_panel(5)
    general = _market_design(panel)
    for window in [(0, 0), (-2, 1)]:
        np.testing.assert_allclose(
            window_view(general, window).var_car, window_view(panel, window).var_car, rtol=1e-10
        )
        a = run_tests(panel, window, n_boot=99)
        b = run_tests(general, window, n_boot=99)
        for x, y in zip(a, b, strict=True):
            assert y.statistic == pytest.approx(x.statistic, rel=1e-9), x.test
    np.testing.assert_allclose(standardized_ar(general), standardized_ar(panel), rtol=1e-10)


def test_constant_mean_design_and_df():
    # constant-mean model: design [1], (X'X)^-1 = 1/M, df = M - 1: Var(CAR) = s^2 (L + L^2/M)
    panel = make_panel(6, missing=0.0)
    n, l2 = panel.ar.shape
    cm = replace(
        panel,
        xtx_inv=(1.0 / panel.n_est)[:, None, None],
        design_evt=np.ones((n, l2, 1)),
        df=panel.n_est - 1,
    )
    w = window_view(cm, (-1, 1))
    expected = panel.sigma**2 * (3 + 9 / panel.n_est)
    np.testing.assert_allclose(w.var_car, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="both xtx_inv and design_evt"):
        replace(panel, xtx_inv=cm.xtx_inv)


def test_standardized_ar_is_patell_sar():
    panel = make_panel(3)
    sar = standardized_ar(panel)
    for i in range(panel.n_pairs):
        for t in range(panel.ar.shape[1]):
            dev = panel.market_evt[i, t] - panel.market_mean[i]
            c = 1 + 1 / panel.n_est[i] + dev**2 / panel.market_sxx[i]
            expected = panel.ar[i, t] / (panel.sigma[i] * np.sqrt(c))
            np.testing.assert_allclose(sar[i, t], expected, rtol=1e-12)


def test_subset_and_validation():
    panel = make_panel(4)
    sub = panel.subset(panel.event_id == "ev0")
    assert sub.n_pairs == 4
    np.testing.assert_array_equal(sub.ar, panel.ar[:4])
    np.testing.assert_array_equal(sub.rel_days, panel.rel_days)
    np.testing.assert_array_equal(panel.subset(np.array([5, 0])).ticker, ["T1", "T0"])
    with pytest.raises(ValueError, match="mask has shape"):
        panel.subset(np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="sigma has shape"):
        replace(panel, sigma=panel.sigma[:2])
    with pytest.raises(ValueError, match="start 2 is after its end 1"):
        window_view(panel, (2, 1))
