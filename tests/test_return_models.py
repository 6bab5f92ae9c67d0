"""Return models, thin-trading betas, confounder masking: against statsmodels and truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.models.abnormal import car_variance
from eventstudy.models.fits import fit_constant_mean, fit_market_adjusted
from eventstudy.models.regression_fits import fit_dimson, fit_factor_model, fit_scholes_williams
from eventstudy.sessions.calendar import session_span, sessions
from eventstudy.sessions.confounders import Neighbours, estimation_mask
from eventstudy.sessions.returns import (
    returns_and_stale,
    session_returns,
    stale_days,
    trade_to_trade,
)
from eventstudy.study import parse_study, run_study
from tests.conftest import FrameSource, market_model_prices

RNG = np.random.default_rng(42)
N, L, P = 6, 240, 5  # pairs, estimation days, padding sessions each side


def _data():
    market = RNG.normal(0.0004, 0.01, (N, L + 2 * P))
    factor = RNG.normal(0, 0.012, (N, L, 2))
    y = 0.0002 + 1.1 * market[:, P : P + L] + factor @ np.array([0.5, -0.3])
    y = y + RNG.standard_t(5, (N, L)) * 0.01
    y[RNG.random((N, L)) < 0.03] = np.nan
    return y, market, factor


def test_constant_mean_and_market_adjusted_match_statsmodels():
    y, market, _ = _data()
    cm = fit_constant_mean(y)
    ma = fit_market_adjusted(y, market[:, P : P + L])
    for i in range(N):
        ok = np.isfinite(y[i])
        ols = sm.OLS(y[i, ok], np.ones(ok.sum())).fit()
        np.testing.assert_allclose(
            [cm.alpha[i], cm.sigma[i] ** 2], [ols.params[0], ols.scale], rtol=1e-10
        )
        assert cm.df[i] == ok.sum() - 1
        excess = y[i, ok] - market[i, P : P + L][ok]
        np.testing.assert_allclose(ma.sigma[i], np.std(excess, ddof=1), rtol=1e-10)
    # CAR variances: s^2 (L + L^2/n) and s^2 L
    design = cm.design(np.zeros((N, 3)))
    included = np.ones((N, 3), dtype=bool)
    np.testing.assert_allclose(
        car_variance(cm, design, included), cm.sigma**2 * (3 + 9 / cm.n_est), rtol=1e-12
    )
    ma_design = ma.design(np.full((N, 3), 0.01))
    np.testing.assert_allclose(car_variance(ma, ma_design, included), ma.sigma**2 * 3, rtol=1e-12)


def test_factor_model_matches_statsmodels_and_the_matrix_variance():
    y, market, factors = _data()
    m = market[:, P : P + L]
    fit = fit_factor_model(y, m, factors)
    x_evt = RNG.normal(0, 0.01, (N, 21))
    f_evt = RNG.normal(0, 0.01, (N, 21, 2))
    design = fit.design(x_evt, f_evt)
    g = np.zeros(21, dtype=bool)
    g[9:13] = True
    var = car_variance(fit, design, np.tile(g, (N, 1)))
    for i in range(N):
        ok = np.isfinite(y[i])
        X = np.column_stack([np.ones(L), m[i], factors[i]])[ok]
        ols = sm.OLS(y[i, ok], X).fit()
        np.testing.assert_allclose(fit.coef[i], ols.params, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(fit.sigma[i] ** 2, ols.scale, rtol=1e-10)
        np.testing.assert_allclose(fit.r2[i], ols.rsquared, rtol=1e-10)
        Xs = design[i]
        V = ols.scale * (np.eye(21) + Xs @ np.linalg.inv(X.T @ X) @ Xs.T)
        gi = g.astype(float)
        assert var[i] == pytest.approx(gi @ V @ gi, rel=1e-10)


def test_dimson_and_scholes_williams_match_their_formulas():
    y, market, _ = _data()
    dim = fit_dimson(y, market, lags=1)
    sw = fit_scholes_williams(y, market)
    for i in range(N):
        lag, now, lead = (market[i, P + k : P + k + L] for k in (-1, 0, 1))
        ok = np.isfinite(y[i])
        X = np.column_stack([np.ones(L), lag, now, lead])[ok]
        ols = sm.OLS(y[i, ok], X).fit()
        assert dim.beta[i] == pytest.approx(ols.params[1:].sum(), rel=1e-10)
        assert dim.alpha[i] == pytest.approx(ols.params[0], rel=1e-9, abs=1e-13)
        slopes = [
            sm.OLS(y[i, ok], sm.add_constant(x[ok])).fit().params[1] for x in (lag, now, lead)
        ]
        rho = np.corrcoef(now[ok], lag[ok])[0, 1]
        beta = sum(slopes) / (1 + 2 * rho)
        assert sw.beta[i] == pytest.approx(beta, rel=1e-10)
        assert sw.alpha[i] == pytest.approx(y[i, ok].mean() - beta * now[ok].mean(), rel=1e-9)
        resid = y[i, ok] - sw.alpha[i] - sw.beta[i] * now[ok]
        assert sw.sigma[i] ** 2 == pytest.approx(resid @ resid / (ok.sum() - 2), rel=1e-10)


def test_thin_trading_betas_remove_the_nonsynchronous_bias():
    """A stock that prices half of each market move a day late: OLS beta is biased to 0.5."""
    rng = np.random.default_rng(5)
    pairs, true_beta = 300, 1.0
    market = rng.normal(0, 0.01, (pairs, L + 2 * P))
    now, lag = market[:, P : P + L], market[:, P - 1 : P - 1 + L]
    y = true_beta * (0.5 * now + 0.5 * lag) + rng.normal(0, 0.004, (pairs, L))
    from eventstudy.models.fits import fit_market_model

    ols_beta = fit_market_model(y, now).beta.mean()
    assert ols_beta == pytest.approx(0.5, abs=0.03)  # the bias
    assert fit_dimson(y, market).beta.mean() == pytest.approx(true_beta, abs=0.03)
    assert fit_scholes_williams(y, market).beta.mean() == pytest.approx(true_beta, abs=0.05)


FAR = 10**9  # an offset standing for "no such neighbour" in the dense tables below


def _sparse(event_ids: list[str], offsets: np.ndarray) -> Neighbours:
    """The :class:`Neighbours` of a dense (pairs, events) table of offsets (FAR: none)."""
    rows, event = np.nonzero(offsets != FAR)
    start = np.searchsorted(rows, np.arange(offsets.shape[0] + 1))
    return Neighbours(event_ids, start, event, offsets[rows, event], (-FAR, FAR))


def test_estimation_mask_is_exactly_the_documented_days():
    near = _sparse(["earn", "inside", "own"], np.array([[-30, 3, FAR], [FAR, FAR, FAR]]))
    mask = estimation_mask(near, (-250, -11), (-1, 1))
    rel = np.arange(-250, -10)
    assert list(rel[mask[0]]) == [-31, -30, -29]  # the event at +3 is outside estimation
    assert not mask[1].any()


def test_estimation_mask_equals_the_day_by_day_definition():
    rng = np.random.default_rng(5)
    for _ in range(100):
        offsets = rng.integers(-40, 10, (rng.integers(1, 20), rng.integers(1, 6)))
        offsets[rng.random(offsets.shape) < 0.3] = FAR
        window, mask_window = (-30, -3), tuple(sorted(rng.integers(-4, 4, 2)))
        mask = estimation_mask(_sparse(["x"] * offsets.shape[1], offsets), window, mask_window)
        rel = np.arange(window[0], window[1] + 1)
        expected = np.zeros(mask.shape, dtype=bool)
        for i, j in np.ndindex(offsets.shape):
            lo, hi = offsets[i, j] + mask_window[0], offsets[i, j] + mask_window[1]
            expected[i] |= (rel >= lo) & (rel <= hi)
        np.testing.assert_array_equal(mask, expected)


def _study(extra_events=(), **settings):
    events = [{"id": "e1", "date": "2024-11-18", "title": "E"}, *extra_events]
    base = {"name": "t", "securities": ["STK"], "benchmark": "SPY"}
    return parse_study({"study": base | settings, "events": events})


def test_masking_and_confounder_flags_in_a_run():
    prices = market_model_prices(noise=0.01, seed=3)
    earn = {"id": "earn", "date": "2024-09-03", "title": "results", "role": "confounder",
            "securities": ["STK"]}  # fmt: skip
    near = {"id": "near", "date": "2024-11-20", "title": "other news", "role": "confounder"}
    result = run_study(_study([earn, near]), source=FrameSource(prices))
    assert list(result.models["event_id"]) == ["e1"]  # confounders are not run
    model = result.models.iloc[0]
    assert model["n_masked"] == 3 and model["n_est"] == 237
    # the fit equals OLS on the estimation days without Sep 3 +-1 session
    rets = prices / prices.shift(1) - 1
    days = session_span("XNYS", pd.Timestamp("2024-11-18"), -250, -11)
    days = days.drop(pd.DatetimeIndex(["2024-08-30", "2024-09-03", "2024-09-04"]))
    est = rets.loc[days]
    ols = sm.OLS(est["STK"], sm.add_constant(est["SPY"])).fit()
    np.testing.assert_allclose([model["alpha"], model["beta"]], ols.params.to_numpy(), rtol=1e-10)
    car = result.car.set_index(["window_start", "window_end"])["confounders"]
    assert car[(0, 0)] == "" and car[(0, 1)] == "" and car[(-1, 1)] == ""
    assert car[(-5, 5)] == "near" and car[(0, 10)] == "near"
    unmasked = run_study(_study([earn, near], mask_other_events=False), source=FrameSource(prices))
    assert unmasked.models.iloc[0]["n_masked"] == 0 and unmasked.models.iloc[0]["n_est"] == 240


def test_models_per_event_and_benchmarks_per_security():
    prices = market_model_prices(noise=0.0)
    prices["KWEB"] = prices["SPY"] * 0.5
    events = [{"id": "e2", "date": "2024-06-03", "title": "E2", "model": "constant-mean"}]
    study = _study(events, benchmarks={"STK": "KWEB"})
    result = run_study(study, source=FrameSource(prices))
    models = result.models.set_index("event_id")
    assert models.loc["e1", "model"] == "market" and models.loc["e2", "model"] == "constant-mean"
    assert set(models["benchmark"]) == {"KWEB"}
    assert list(result.car["event_id"].unique()) == ["e1", "e2"]  # file order kept


def test_factor_model_run_with_a_factor_ticker():
    prices = market_model_prices(noise=0.002, seed=9)
    rng = np.random.default_rng(1)
    kweb = rng.normal(0, 0.015, len(prices))
    prices["KWEB"] = 40 * np.cumprod(1 + kweb)
    stk = prices["STK"].pct_change().fillna(0).to_numpy() + 0.6 * kweb
    prices["STK"] = 50 * np.cumprod(1 + stk)
    result = run_study(_study(model="factor", factors=["KWEB"]), source=FrameSource(prices))
    model = result.models.iloc[0]
    assert model["model"] == "factor"
    assert model["beta_KWEB"] == pytest.approx(0.6, abs=0.02)
    assert model["beta"] == pytest.approx(1.2, abs=0.05)


def test_trade_to_trade_returns_compound_over_stale_sessions():
    idx = pd.date_range("2024-01-01", periods=5)
    r = pd.Series([np.nan, 0.01, 0.0, 0.02, -0.01], idx)
    stale = pd.Series([False, False, True, False, False], idx)
    m = pd.Series([np.nan, 0.001, 0.002, 0.003, 0.004], idx)
    sec, bench = trade_to_trade(r, stale, m)
    assert np.isnan(sec.iloc[2]) and np.isnan(bench.iloc[2])
    assert sec.iloc[3] == pytest.approx(1.0 * 1.02 - 1)
    assert bench.iloc[3] == pytest.approx(1.002 * 1.003 - 1)


def test_thin_share_reported_and_trade_to_trade_option_runs():
    prices = market_model_prices(noise=0.01)
    stale_days = prices.index[::10]
    prices.loc[stale_days, "STK"] = np.nan
    prices["STK"] = prices["STK"].ffill()  # repeated prices: no trade
    simple = run_study(_study(), source=FrameSource(prices))
    assert simple.models.iloc[0]["thin_share"] == pytest.approx(0.1, abs=0.01)
    t2t = run_study(_study(returns="trade-to-trade"), source=FrameSource(prices))
    assert t2t.models.iloc[0]["n_est"] < simple.models.iloc[0]["n_est"]
    assert t2t.models.iloc[0]["beta"] == pytest.approx(1.2, abs=0.1)


def test_factor_model_from_a_fama_french_style_csv(tmp_path):
    """Factors in percent with YYYYMMDD dates and a risk-free column: excess-return model."""
    prices = market_model_prices(noise=0.0, seed=4)
    days = prices.index
    rng = np.random.default_rng(8)
    smb, hml = rng.normal(0, 0.006, len(days)), rng.normal(0, 0.005, len(days))
    rf = np.full(len(days), 0.0002)
    market = prices["SPY"].pct_change().fillna(0).to_numpy()
    excess = 0.0001 + 1.1 * (market - rf) + 0.5 * smb - 0.3 * hml
    excess += rng.normal(0, 0.002, len(days))
    prices["STK"] = 50 * np.cumprod(1 + excess + rf)
    ff = pd.DataFrame({"date": days.strftime("%Y%m%d"), "SMB": smb * 100, "HML": hml * 100,
                       "RF": rf * 100})  # fmt: skip
    ff.to_csv(tmp_path / "ff.csv", index=False)
    spec = {"path": str(tmp_path / "ff.csv"), "columns": ["SMB", "HML"], "risk_free": "RF",
            "scale": 0.01}  # fmt: skip
    result = run_study(_study(model="factor", factors_file=spec), source=FrameSource(prices))
    model = result.models.iloc[0]
    assert model["beta_SMB"] == pytest.approx(0.5, abs=0.08)
    assert model["beta_HML"] == pytest.approx(-0.3, abs=0.08)
    # equals statsmodels OLS of R - rf on [1, Rm - rf, SMB, HML] over the estimation days
    est = session_span("XNYS", pd.Timestamp("2024-11-18"), -250, -11)
    rets = (prices / prices.shift(1) - 1).loc[est]
    frame = pd.DataFrame({"smb": smb, "hml": hml, "rf": rf}, index=days).loc[est]
    X = sm.add_constant(np.column_stack([rets["SPY"] - frame.rf, frame.smb, frame.hml]))
    ols = sm.OLS(rets["STK"] - frame.rf, X).fit()
    np.testing.assert_allclose(
        [model["alpha"], model["beta"], model["beta_SMB"], model["beta_HML"]],
        ols.params, rtol=1e-8, atol=1e-12,
    )  # fmt: skip


def test_factor_model_without_factors_is_a_user_error():
    from eventstudy.core.errors import ConfigError, EventStudyError

    with pytest.raises(ConfigError, match="factor model needs"):
        _study(model="factor")
    with pytest.raises(EventStudyError, match="factor model needs"):
        _study().with_model("factor")


def _reference_returns(prices: pd.Series, mic: str) -> pd.Series:
    """The per-ticker definition: reindex the priced dates on the sessions, P_t/P_t-1 - 1."""
    priced = prices.dropna()
    grid = sessions(mic)
    grid = grid[(grid >= priced.index[0]) & (grid <= priced.index[-1])]
    on_grid = priced.reindex(grid)
    return on_grid / on_grid.shift(1) - 1.0


def test_returns_of_many_tickers_at_once_equal_the_per_ticker_definition():
    days = sessions("XNYS")
    days = days[(days >= "2023-01-03") & (days <= "2023-12-29")]
    rng = np.random.default_rng(9)
    index = days.union(pd.DatetimeIndex(["2023-07-04", "2023-12-25"]))  # holidays: ignored
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(index), 4)), axis=0)),
        index=index,
        columns=["A", "B", "C", "D"],
    )
    prices.iloc[:20, 1] = np.nan  # B starts later
    prices.iloc[-15:, 2] = np.nan  # C ends earlier
    prices.iloc[rng.random(len(index)) < 0.05, 0] = np.nan  # holes in A
    prices.iloc[100:103, 3] = prices.iloc[99, 3]  # D repeats a price: stale
    prices["E"] = np.nan  # no prices at all
    volume = pd.DataFrame({"A": 1000.0}, index=index)
    volume.iloc[50, 0] = 0.0
    returns, stale = returns_and_stale(prices, volume, "XNYS")
    for ticker in "ABCD":
        expected = _reference_returns(prices[ticker], "XNYS")
        pd.testing.assert_series_equal(returns[ticker], expected, check_names=False)
        assert returns[ticker].name == ticker
        assert stale[ticker].index.equals(expected.index)
        pd.testing.assert_series_equal(session_returns(prices[ticker], "XNYS"), returns[ticker])
    assert returns["E"].empty and stale["E"].empty
    assert list(stale["D"][stale["D"]].index) == list(prices.index[100:103])
    assert list(stale["A"][stale["A"]].index) == [prices.index[50]]
    np.testing.assert_array_equal(
        stale_days(prices["A"], volume["A"], "XNYS").to_numpy(), stale["A"].to_numpy()
    )
