"""The batched engine against a per-pair statsmodels OLS loop, and the Dask engine."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from eventstudy.models.engine import car_statistics, concat_fits, fit_pairs, partitions
from eventstudy.models.regression_fits import fit_model

N_PAIRS, L_EST, L_EVT, PAD = 300, 120, 11, 5


def _panel(seed: int = 0, n: int = N_PAIRS):
    """Synthetic stacked arrays with missing returns (about 3% of days, some whole runs)."""
    rng = np.random.default_rng(seed)
    width = L_EST + 2 * PAD
    market = rng.normal(0.0004, 0.01, (n, width + L_EVT))
    beta = rng.uniform(0.3, 1.7, n)[:, None]
    returns = 0.0002 + beta * market + rng.normal(0, 0.02, market.shape)
    factors = rng.normal(0, 0.01, (n, width + L_EVT, 2))
    returns += factors @ np.array([0.4, -0.3])
    returns[rng.random(returns.shape) < 0.03] = np.nan
    market[rng.random(market.shape) < 0.01] = np.nan
    returns[:5, PAD : PAD + 60] = np.nan  # long gaps
    y_est = returns[:, PAD : PAD + L_EST]
    m_pad = market[:, :width]
    f_est = factors[:, PAD : PAD + L_EST]
    evt = slice(width, width + L_EVT)
    return y_est, m_pad, f_est, returns[:, evt], market[:, evt], factors[:, evt]


def _statsmodels_fit(y: np.ndarray, X: np.ndarray):
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    res = sm.OLS(y[ok], X[ok]).fit()
    return res, ok


def test_market_model_equals_statsmodels_loop() -> None:
    y_est, m_pad, _, y_evt, m_evt, _ = _panel()
    m_est = m_pad[:, PAD : PAD + L_EST]
    fit = fit_model("market", y_est, m_pad)
    window = np.zeros(L_EVT, dtype=bool)
    window[4:8] = True
    ar, stats = car_statistics(fit, y_evt, m_evt, window)
    for i in range(N_PAIRS):
        X = np.column_stack([np.ones(L_EST), m_est[i]])
        res, ok = _statsmodels_fit(y_est[i], X)
        assert fit.n_est[i] == ok.sum() == res.nobs
        np.testing.assert_allclose(fit.coef[i], res.params, rtol=0, atol=1e-10)
        np.testing.assert_allclose(fit.sigma[i], np.sqrt(res.scale), rtol=1e-10)
        np.testing.assert_allclose(fit.r2[i], res.rsquared, rtol=0, atol=1e-10)
        np.testing.assert_allclose(fit.xtx_inv[i], res.normalized_cov_params, rtol=1e-10)
        X_evt = np.column_stack([np.ones(L_EVT), m_evt[i]])
        expected = y_evt[i] - X_evt @ res.params
        np.testing.assert_allclose(ar[i], expected, rtol=0, atol=1e-10)
        # CAR over the window's valid days; Var = s^2 (L + a'(X'X)^-1 a) (MacKinlay 1997)
        days = window & np.isfinite(expected)
        if not days.any():
            assert np.isnan(stats.car[i])
            continue
        a = X_evt[days].sum(axis=0)
        var = res.scale * (days.sum() + a @ res.normalized_cov_params @ a)
        np.testing.assert_allclose(stats.car[i], expected[days].sum(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(stats.se[i], np.sqrt(var), rtol=1e-10)
        assert stats.n_days[i] == days.sum()


@pytest.mark.parametrize("model", ["factor", "dimson"])
def test_regression_models_equal_statsmodels_loop(model: str) -> None:
    y_est, m_pad, f_est, *_ = _panel(seed=1, n=120)
    fit = fit_model(model, y_est, m_pad, f_est, dimson_lags=1)
    for i in range(len(y_est)):
        m = m_pad[i]
        if model == "factor":
            X = np.column_stack([np.ones(L_EST), m[PAD : PAD + L_EST], f_est[i]])
        else:
            X = np.column_stack(
                [np.ones(L_EST)] + [m[PAD + k : PAD + k + L_EST] for k in (-1, 0, 1)]
            )
        res, _ = _statsmodels_fit(y_est[i], X)
        if model == "factor":
            np.testing.assert_allclose(fit.coef[i], res.params, rtol=0, atol=1e-10)
            np.testing.assert_allclose(fit.sigma[i], np.sqrt(res.scale), rtol=1e-10)
            np.testing.assert_allclose(fit.xtx_inv[i], res.normalized_cov_params, rtol=1e-9)
        else:
            np.testing.assert_allclose(fit.alpha[i], res.params[0], rtol=0, atol=1e-10)
            np.testing.assert_allclose(fit.beta[i], res.params[1:].sum(), rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "model", ["market", "constant-mean", "market-adjusted", "factor", "scholes-williams", "dimson"]
)
def test_partitions_give_identical_fits(model: str) -> None:
    y_est, m_pad, f_est, *_ = _panel(seed=2, n=103)
    whole = fit_model(model, y_est, m_pad, f_est)
    parts = [fit_model(model, y_est[r], m_pad[r], f_est[r]) for r in partitions(103, 10)]
    joined = concat_fits(parts)
    for name in ("coef", "alpha", "beta", "sigma", "df", "r2", "n_est", "factor_coef"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name))
    assert len(partitions(103, 10)) == 11


@pytest.mark.parametrize("model", ["market", "factor", "dimson"])
def test_threaded_blocks_equal_one_block(model: str, monkeypatch) -> None:
    from eventstudy.models import engine

    y_est, m_pad, f_est, y_evt, m_evt, f_evt = _panel(seed=3, n=103)
    window = np.zeros(L_EVT, dtype=bool)
    window[3:9] = True
    whole = fit_pairs(model, y_est, m_pad, f_est)
    ar, stats = car_statistics(whole, y_evt, m_evt, window, f_evt)
    monkeypatch.setattr(engine, "LOCAL_BLOCK", 10)  # 11 blocks, run in threads
    sizes: list[int] = []
    real_fit_rows = engine.fit_rows
    monkeypatch.setattr(
        engine, "fit_rows", lambda m, y, *a: sizes.append(len(y)) or real_fit_rows(m, y, *a)
    )
    blocks = fit_pairs(model, y_est, m_pad, f_est)
    assert sorted(sizes) == [3] + [10] * 10  # the fit really ran block by block
    ar_b, stats_b = car_statistics(blocks, y_evt, m_evt, window, f_evt)
    for name in ("coef", "sigma", "df", "r2", "n_est", "xtx_inv"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(whole, name))
    np.testing.assert_array_equal(ar_b, ar)
    for name in ("car", "se", "t", "p", "n_days"):
        np.testing.assert_array_equal(getattr(stats_b, name), getattr(stats, name))


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_engine_equals_local(dask_client) -> None:
    y_est, m_pad, f_est, *_ = _panel(seed=3, n=250)
    local = fit_pairs("market", y_est, m_pad, f_est)
    remote = fit_pairs(
        "market", y_est, m_pad, f_est, engine="dask", client=dask_client, partition_rows=64
    )
    for name in ("coef", "xtx_inv", "sigma", "df", "r2", "n_est"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))


def test_dask_study_needs_a_parquet_source(dask_client) -> None:
    """The Dask pipeline reads prices in its tasks: the demo source is refused (one line).

    Equality with the local engine is tested on real processes in test_distributed.py.
    """
    from eventstudy.core.errors import EventStudyError
    from eventstudy.study import load_study

    study = load_study("events.yaml")
    with pytest.raises(EventStudyError, match="--source parquet --prices PATH"):
        study.run(source="demo", tests=["cs_t"], engine="dask", client=dask_client)


def test_unknown_engine() -> None:
    from eventstudy.core.errors import EventStudyError

    y_est, m_pad, f_est, *_ = _panel(n=3)
    with pytest.raises(EventStudyError, match="unknown engine"):
        fit_pairs("market", y_est, m_pad, f_est, engine="spark")
    with pytest.raises(EventStudyError, match="needs a dask"):
        fit_pairs("market", y_est, m_pad, f_est, engine="dask")


@pytest.mark.parametrize("n_patterns", [3, 40])
def test_large_panel_rbar_equals_pairwise(n_patterns: int) -> None:
    """r-bar of a large panel (no (N, N) matrices) equals the pairwise computation."""
    from eventstudy.inference import clustering

    rng = np.random.default_rng(4)
    n, days = 300, 60
    common = rng.normal(0, 0.01, days)
    x = 0.3 * common + rng.normal(0, 0.01, (n, days))
    holes = rng.random((n_patterns, days)) < 0.1
    x[holes[rng.integers(0, n_patterns, n)]] = np.nan
    x[0, :58] = np.nan  # too few common days
    x[1] = 0.5  # no variation
    r = clustering._pairwise_correlation(x)
    off = r[~np.eye(n, dtype=bool)]
    expected = off[np.isfinite(off)].mean()
    assert clustering._mean_correlation_by_pattern(x) == pytest.approx(expected, abs=1e-13)
    assert clustering._mean_correlation_blocks(x, block=70) == pytest.approx(expected, abs=1e-13)


@pytest.mark.parametrize(
    ("engine", "message"),
    [("spark", "unknown engine 'spark'"), ("dask", "--source parquet --prices PATH|URL")],
)
def test_cli_engine_errors(tmp_path, engine: str, message: str) -> None:
    """An unknown engine, or the Dask pipeline without a Parquet source: one line, code 2."""
    from typer.testing import CliRunner

    from eventstudy.cli.app import app

    result = CliRunner().invoke(
        app, ["run", "events.yaml", "--source", "demo", "--no-plots", "--engine", engine,
              "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert message in result.output
