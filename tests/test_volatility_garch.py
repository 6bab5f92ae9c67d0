"""Beaver's U / avol (eventstudy.measures.volatility) and the GARCH(1,1) market model
(eventstudy.models.garch)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.core.errors import NoPairsError
from eventstudy.inference.simulate import simulate_panels
from eventstudy.measures.volatility import avol_pvalue, avol_sq_pvalue, beaver_u, percentile_tests
from eventstudy.models import garch
from eventstudy.models.garch import fit_garch, fit_one


def _simulate_garch(rng: np.random.Generator, n: int, omega=2e-5, a=0.08, b=0.85):
    """Market-model returns with GARCH(1,1) errors (return units)."""
    x = rng.normal(0.0003, 0.01, n)
    e = np.empty(n)
    h = omega / (1 - a - b)
    for t in range(n):
        e[t] = np.sqrt(h) * rng.standard_normal()
        h = omega + a * e[t] ** 2 + b * h
    return 0.0005 + 1.2 * x + e, x


def test_beaver_u_and_f_pvalue_transcribe_the_formula() -> None:
    ar = np.array([[0.01, -0.02, 0.03]])
    s2 = 0.0001
    u = beaver_u(ar, s2)
    np.testing.assert_allclose(u, [[1.0, 4.0, 9.0]], rtol=1e-12)
    avol = u.mean(axis=1)
    p = avol_pvalue(avol, np.array([3]), np.array([238.0]))
    np.testing.assert_allclose(p, stats.f.sf(avol, 3, 238), rtol=1e-10)
    known = avol_pvalue(avol, np.array([3]), np.array([np.inf]))  # GARCH: variances known
    np.testing.assert_allclose(known, stats.chi2.sf(3 * avol, 3), rtol=1e-10)


def test_avol_sq_pvalue_hand_example() -> None:
    # U on 30 estimation days: 1, 2, ..., 30; runs of L = 2: means 1.5, 2.5, ..., 29.5 (m = 29)
    u_est = np.arange(1.0, 31.0)[None, :]
    p, m, _ = avol_sq_pvalue(np.array([25.0]), u_est, np.array([2]))
    assert m[0] == 29
    assert p[0] == pytest.approx(5 / 29)  # 25.5, 26.5, 27.5, 28.5, 29.5 are >= 25
    p_top, _, _ = avol_sq_pvalue(np.array([100.0]), u_est, np.array([2]))
    assert p_top[0] == pytest.approx(1 / 29)  # never below 1/m
    u_gap = u_est.copy()
    u_gap[0, 10] = np.nan  # a missing session breaks the two runs through it
    _, m_gap, _ = avol_sq_pvalue(np.array([25.0]), u_gap, np.array([2]))
    assert m_gap[0] == 27


def test_avol_percentile_hand_example() -> None:
    # run means 1.5 ... 29.5 (m = 29): 24 lie below 25.0, none equal; 2.5 equals one
    u_est = np.arange(1.0, 31.0)[None, :]
    _, _, q = avol_sq_pvalue(
        np.array([25.0, 2.5, np.nan]), np.repeat(u_est, 3, 0), np.array([2] * 3)
    )
    np.testing.assert_allclose(q[:2], [(24 + 0.5) / 30, (1 + 0.5 + 0.5) / 30], rtol=1e-12)
    assert np.isnan(q[2])
    _, _, short = avol_sq_pvalue(np.array([1.0]), u_est[:, :15], np.array([2]))
    assert np.isnan(short[0])  # 14 runs < MIN_SQ_SUMS


def test_percentile_tests_equal_scipy() -> None:
    q = np.random.default_rng(5).uniform(size=40)
    q[3] = np.nan  # left out
    t_row, w_row = percentile_tests(q)
    kept = q[np.isfinite(q)]
    ref = stats.ttest_1samp(stats.norm.ppf(kept), 0.0)
    assert t_row["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert t_row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert t_row["n"] == 39 and t_row["n_pos"] + t_row["n_neg"] == 39
    ref_w = stats.wilcoxon(kept - 0.5, method="approx", correction=False)
    assert w_row["p_value"] == pytest.approx(ref_w.pvalue, rel=1e-9)


@pytest.mark.parametrize("tail_df", [None, 3.0])
def test_avol_cross_sectional_tests_hold_their_size_and_detect_variance(tail_df) -> None:
    # 400 samples of 40 pairs, window [0, 0]: no effect rejects near 5% even with t(3)
    # shocks (the test of avol - 1 itself rejected 17-79% here); a tripled day-0 sd
    # is found in nearly every sample
    def rejections(variance_ratio: float, reps: int) -> np.ndarray:
        panels = simulate_panels(reps, 40, seed=11, tail_df=tail_df, variance_ratio=variance_ratio)
        out = []
        for panel in panels:
            s2 = (panel.sigma**2)[:, None]
            day0 = panel.rel_days == 0
            avol = beaver_u(panel.ar[:, day0], s2)[:, 0]
            _, _, q = avol_sq_pvalue(avol, beaver_u(panel.residuals, s2), np.ones(40, int))
            out.append([row["p_value"] < 0.05 for row in percentile_tests(q)])
        return np.mean(out, axis=0)

    size, power = rejections(1.0, 400), rejections(9.0, 100)
    assert np.all((size > 0.02) & (size < 0.09)), size  # Monte Carlo se 1.1 points
    assert np.all(power > 0.9), power


def test_avol_p_size_and_power() -> None:
    rng = np.random.default_rng(3)
    n_rep, n_est = 200, 240
    reject_null = reject_alt = 0
    for _ in range(n_rep):
        e = rng.standard_normal(n_est)
        s2 = e.var(ddof=1)
        day0 = rng.standard_normal()
        p0 = avol_pvalue(beaver_u(np.array([day0]), s2), np.array([1]), np.array([n_est - 1.0]))
        p3 = avol_pvalue(beaver_u(np.array([3 * day0]), s2), np.array([1]), np.array([n_est - 1.0]))
        reject_null += p0[0] < 0.05
        reject_alt += p3[0] < 0.05
    assert 0.02 <= reject_null / n_rep <= 0.09
    assert reject_alt / n_rep > 0.5


def test_garch_fit_equals_arch_directly() -> None:
    from arch import arch_model

    rng = np.random.default_rng(11)
    y, x = _simulate_garch(rng, 240)
    y[[5, 100]] = np.nan  # missing days are left out of the series
    params, var, message = fit_one(y, x, 21)
    assert message == ""
    ok = np.isfinite(y)
    res = arch_model(100 * y[ok], x=100 * x[ok, None], mean="LS", vol="GARCH", p=1, q=1).fit(
        disp="off"
    )
    const, beta, omega, a, b = res.params.to_numpy()
    np.testing.assert_allclose(params, [const / 100, beta, omega / 1e4, a, b], rtol=1e-6)
    np.testing.assert_allclose(var[:240][ok], res.conditional_volatility**2 / 1e4, rtol=1e-6)
    forecast = res.forecast(horizon=21, x=np.zeros((1, 1, 21)), reindex=False)
    np.testing.assert_allclose(var[240:], forecast.variance.to_numpy()[0] / 1e4, rtol=1e-6)


def test_garch_pool_equals_serial_and_planted_ar_is_recovered() -> None:
    rng = np.random.default_rng(5)
    series = [_simulate_garch(rng, 261) for _ in range(12)]
    y = np.array([s[0] for s in series])
    x = np.array([s[1] for s in series])
    y[:, 250] -= 0.03  # day 0 = column 250: 240 estimation days, 10-day gap
    pooled = fit_garch(y[:, :240], x[:, :240], 21)
    serial = fit_garch(y[:, :240], x[:, :240], 21, workers=1)
    np.testing.assert_allclose(pooled.forecast_var, serial.forecast_var, rtol=1e-12)
    assert (pooled.message == "").all()
    ar = y[:, 250] - pooled.alpha - pooled.beta * x[:, 250]
    z = ar / np.sqrt(pooled.forecast_var[:, 10])
    assert abs(ar.mean() + 0.03) < 0.01
    assert (z < 0).mean() > 0.8 and z.mean() < -1.5


def test_garch_failure_skips_the_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(y, x, ahead):
        why = "GARCH(1,1) fit did not converge: Inequality constraints incompatible"
        return np.full(5, np.nan), np.full(len(y) + ahead, np.nan), why

    monkeypatch.setattr(garch, "fit_one", failing)
    study = es.load_study("events.yaml").with_model("garch")
    with pytest.raises(NoPairsError) as info:  # every pair failed: nothing is left
        study.run(source="demo", event_ids=["ft-ai-talent"], tests="none")
    assert str(info.value) == (
        "events.yaml: no (event, security) pair could be estimated (GARCH(1,1) fit did not "
        "converge: Inequality constraints incompatible)"
    )


def test_garch_volatility_study_runs_end_to_end(tmp_path) -> None:
    from typer.testing import CliRunner

    from eventstudy.cli.app import app

    out = tmp_path / "out"
    run = CliRunner().invoke(
        app,
        ["run", "--source", "demo", "--model", "garch", "--measures", "return,volatility",
         "-e", "deepseek-r1", "-e", "ft-ai-talent", "--out", str(out), "--no-plots"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    folder = out / "us-china-ai"
    import pandas as pd

    models = pd.read_csv(folder / "models.csv")
    assert (models["model"] == "garch").all()
    assert models[["omega", "garch_alpha", "garch_beta", "persistence"]].notna().all().all()
    avol = pd.read_csv(folder / "avol.csv")
    assert list(avol.columns) == [
        "event_id", "ticker", "day0", "window_start", "window_end", "avol", "avol_p",
        "avol_p_sq", "n_est", "avol_q",
    ]  # fmt: skip
    abn = pd.read_csv(folder / "abnormal_volatility.csv")
    assert list(abn.columns) == ["event_id", "ticker", "rel_day", "date", "ar", "u"]
    tests = pd.read_csv(folder / "tests.csv")
    vol = tests[tests["measure"] == "volatility"]
    assert set(vol["test"]) == {"avol_cs_t", "avol_wilcoxon"}
    # the cross-sectional rows are recomputed from avol.csv's percentiles
    for (a, b), rows in vol[vol["group"] == "all"].groupby(["window_start", "window_end"]):
        q = avol[(avol.window_start == a) & (avol.window_end == b)]["avol_q"].to_numpy()
        expected = {r["test"]: r for r in percentile_tests(q)}
        for _, row in rows.iterrows():
            assert row["statistic"] == pytest.approx(expected[row["test"]]["statistic"], rel=1e-9)
            assert row["n_pos"] == expected[row["test"]]["n_pos"]
    car = pd.read_csv(folder / "car.csv")
    nvda = car[(car.event_id == "deepseek-r1") & (car.ticker == "NVDA") & (car.window_end == 0)]
    assert nvda["car"].iloc[0] < -0.1 and nvda["car_p"].iloc[0] < 0.01  # planted -15%
    # car_se is the root of the summed forecast variances (U uses the same variances)
    ar = pd.read_csv(folder / "abnormal_returns.csv")
    day0 = ar[(ar.event_id == "deepseek-r1") & (ar.ticker == "NVDA") & (ar.rel_day == 0)]
    u0 = abn[(abn.event_id == "deepseek-r1") & (abn.ticker == "NVDA") & (abn.rel_day == 0)]
    np.testing.assert_allclose(
        u0["u"].iloc[0], (day0["ar"].iloc[0] / day0["ar_se"].iloc[0]) ** 2, rtol=1e-9
    )
