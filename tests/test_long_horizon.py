"""Long horizons: BHAR against direct products, LBT t_sa, bootstrap, calendar-time alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy as es
from eventstudy.inference.skewness import bhar_t, bhar_t_sa, bhar_t_sa_boot, skewness_adjusted_t
from eventstudy.measures.calendar_time import newey_west_lags
from eventstudy.sessions.calendar import sessions
from tests.conftest import FrameSource

FIRMS = ["AAA", "BBB", "CCC", "DDD"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    days = sessions("XNYS")
    days = days[(days >= "2021-01-04") & (days <= "2024-06-28")]
    rng = np.random.default_rng(5)
    market = rng.normal(0.0004, 0.01, len(days))
    frame = {"SPY": 400 * np.cumprod(1 + market)}
    for k, firm in enumerate(FIRMS):
        frame[firm] = 30 * np.cumprod(1 + 0.9 * market + rng.normal(0.0003 * k, 0.015, len(days)))
    out = pd.DataFrame(frame, index=days)
    out.loc[days[700], "CCC"] = np.nan  # one missing price
    return out


@pytest.fixture(scope="module")
def result(prices: pd.DataFrame) -> es.StudyResult:
    events = pd.DataFrame({
        "ticker": ["AAA", "BBB", "CCC", "DDD", "AAA", "BBB"],
        "date": ["2022-03-01", "2022-05-02", "2023-02-01", "2022-03-15", "2024-05-01",
                 "2023-06-01"],
    })  # fmt: skip
    study = es.Study.from_frame(
        events, name="lh", benchmark="SPY", bhar_windows=[[0, 20], [0, 120]], bhar_bootstrap=500
    )
    return study.run(source=FrameSource(prices), tests=["cs_t"])


def test_bhar_equals_a_direct_product_of_price_returns(result, prices):
    bhar = result.long_horizon.bhar
    days = prices.index
    for row in bhar.itertuples():
        at = days.get_loc(pd.Timestamp(row.day0))
        window = days[at + row.window_start : at + row.window_end + 1]
        ret = prices.pct_change(fill_method=None).loc[window]
        both = ret[[row.ticker, "SPY"]].dropna()
        own = np.prod(1 + both[row.ticker]) - 1
        bench = np.prod(1 + both["SPY"]) - 1
        assert row.ret_bh == pytest.approx(own, rel=1e-12)
        assert row.bhar == pytest.approx(own - bench, rel=1e-12, abs=1e-15)
        assert row.n_days == len(both)
    ccc = bhar[(bhar["ticker"] == "CCC") & (bhar["window_end"] == 120)]
    assert (ccc["n_days"] <= 121).all()


def test_windows_past_the_data_are_skipped_with_the_reason(result):
    reasons = result.skipped.loc[
        result.skipped["event_id"].str.startswith("aaa-2024-05-01"), "reason"
    ]
    assert reasons.str.contains(r"BHAR \[0, 120\] runs past the end of the data").any()
    bhar = result.long_horizon.bhar
    assert not (
        (bhar["event_id"].str.startswith("aaa-2024-05-01")) & (bhar["window_end"] == 120)
    ).any()
    assert ((bhar["event_id"].str.startswith("aaa-2024-05-01")) & (bhar["window_end"] == 20)).any()


def test_skewness_adjusted_t_equals_the_formula_by_hand():
    x = np.array([0.1, -0.05, 0.3, 0.02, -0.12, 0.5, 0.07, -0.01])
    n, mean, sd = len(x), x.mean(), x.std(ddof=1)
    s = mean / sd
    g = np.sum((x - mean) ** 3) / (n * sd**3)
    expected = np.sqrt(n) * (s + g * s**2 / 3 + g / (6 * n))
    assert skewness_adjusted_t(x) == pytest.approx(expected, rel=1e-14)
    r = bhar_t_sa(x)
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(expected), n - 1), rel=1e-12)
    conventional = bhar_t(x)
    assert conventional.statistic == pytest.approx(stats.ttest_1samp(x, 0).statistic, rel=1e-12)
    assert conventional.p_value == pytest.approx(stats.ttest_1samp(x, 0).pvalue, rel=1e-12)


def test_bootstrap_is_seeded_and_close_to_t_sa_on_symmetric_data():
    x = np.random.default_rng(3).normal(0.01, 0.1, 400)
    a, b = bhar_t_sa_boot(x, 2000, seed=1), bhar_t_sa_boot(x, 2000, seed=1)
    assert a.p_value == b.p_value
    assert a.p_value == pytest.approx(bhar_t_sa(x).p_value, abs=0.06)
    assert np.isnan(bhar_t_sa_boot(x[:5]).p_value)


def test_tests_csv_has_bhar_rows(result):
    tests = result.tests()
    rows = tests[tests["measure"] == "bhar"]
    assert set(rows["test"]) == {"bhar_t", "bhar_t_sa", "bhar_t_sa_boot"}
    everything = rows[(rows["group"] == "all") & (rows["window_end"] == 20)]
    values = result.long_horizon.bhar.query("window_end == 20")["bhar"]
    t = everything.set_index("test")
    assert t.loc["bhar_t", "statistic"] == pytest.approx(stats.ttest_1samp(values, 0).statistic)
    assert t.loc["bhar_t", "n_pos"] == (values > 0).sum()
    assert (tests.loc[tests["measure"] == "return", "test"] == "cs_t").all()


def test_calendar_time_alpha_equals_ols_on_the_portfolio_from_prices(result, prices):
    ret = prices.pct_change(fill_method=None)
    pairs = result.car_window(0, 0)[["ticker", "day0"]].drop_duplicates()
    days = prices.index
    for window in ((0, 20), (0, 120)):
        held = pd.DataFrame(False, index=days, columns=FIRMS)
        for ticker, day0 in pairs.itertuples(index=False):
            at = days.get_loc(pd.Timestamp(day0))
            held.iloc[at + window[0] : at + window[1] + 1, held.columns.get_loc(ticker)] = True
        inside = held & ret[FIRMS].notna()
        port = ret[FIRMS].where(inside).mean(axis=1)
        frame = pd.DataFrame({"p": port, "m": ret["SPY"]}).dropna()
        frame = frame[inside.sum(axis=1).reindex(frame.index) >= 1]
        fit = sm.OLS(frame["p"].to_numpy(), sm.add_constant(frame["m"].to_numpy())).fit(
            cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(frame))}
        )
        mine = result.long_horizon.calendar_time.query(f"window_end == {window[1]}").iloc[0]
        assert mine["n_days"] == len(frame)
        assert mine["alpha"] == pytest.approx(fit.params[0], rel=1e-10)
        assert mine["alpha_se"] == pytest.approx(fit.bse[0], rel=1e-10)
        assert mine["cov_type"] == f"HAC Newey-West {newey_west_lags(len(frame))} lags"


def test_saved_tables(result, tmp_path):
    written = result.save(tmp_path, plots=False)
    folder = written["car"].parent
    bhar = pd.read_csv(folder / "bhar.csv")
    assert list(bhar.columns) == [
        "event_id", "ticker", "day0", "window_start", "window_end", "bhar", "ret_bh",
        "benchmark_bh", "n_days",
    ]  # fmt: skip
    assert list(pd.read_csv(folder / "calendar_time.csv").columns)[:4] == [
        "window_start", "window_end", "model", "alpha",
    ]  # fmt: skip
    assert (folder / "calendar_time_portfolio.csv").exists()
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "bhar.csv" in page and "Long horizon: did it last?" in page
    alpha = result.long_horizon.calendar_time["alpha"].iloc[0] * 100
    assert f"{alpha:.3f}".replace("-", "&minus;") in page


def test_cli_bhar_runs_the_demo_with_a_long_window(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from eventstudy.cli.app import app

    events = Path(__file__).resolve().parents[1] / "events.yaml"
    args = ["run", str(events), "--source", "demo", "--no-plots", "--tests", "cs_t"]
    outcome = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--bhar", "0,60", "-q"])
    assert outcome.exit_code == 0, outcome.output
    folder = next(tmp_path.iterdir())
    bhar = pd.read_csv(folder / "bhar.csv")
    assert set(zip(bhar["window_start"], bhar["window_end"], strict=True)) == {(0, 60)}
    tests = pd.read_csv(folder / "tests.csv")
    assert (tests["measure"] == "bhar").any()
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--bhar", "0-60"])
    assert bad.exit_code == 2 and "'0-60' is not a window" in bad.output


def _jumped(prices: pd.DataFrame, jump: float, events: pd.DataFrame) -> pd.DataFrame:
    """``prices`` with a lasting ``jump`` (a level shift) on each event's date."""
    out = prices.copy()
    for firm, day in events.itertuples(index=False):
        out.loc[out.index >= pd.Timestamp(day), firm] *= 1 + jump
    return out


def test_a_planted_lasting_jump_is_recovered(prices):
    events = pd.DataFrame({
        "ticker": FIRMS * 3,
        "date": ["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04", "2022-09-06",
                 "2022-09-07", "2022-09-08", "2022-09-09", "2023-06-05", "2023-06-06",
                 "2023-06-07", "2023-06-08"],
    })  # fmt: skip
    jumped = _jumped(prices, 0.08, events)
    study = es.Study.from_frame(events, name="jump", benchmark="SPY", bhar_windows=[[0, 20]])
    run = study.run(source=FrameSource(jumped), tests=["cs_t"])
    bhar = run.long_horizon.bhar
    assert len(bhar) == 12 and abs(bhar["bhar"].mean() - 0.08) < 0.04
    tests = run.tests()
    row = tests[(tests["group"] == "all") & (tests["measure"] == "bhar")].set_index("test")
    assert row.loc["bhar_t", "statistic"] > 2.0 and row.loc["bhar_t_sa", "p_value"] < 0.05
    base = study.run(source=FrameSource(prices), tests="none").long_horizon.bhar
    # the jump multiplies the security's buy-and-hold value by 1.08 from day 0 on: it
    # adds 8% x (1 + buy-and-hold return) to each pair's BHAR, exactly
    np.testing.assert_allclose(
        bhar["bhar"] - base["bhar"], 0.08 * (1 + base["ret_bh"]), rtol=1e-9, atol=1e-12
    )


def test_calendar_time_with_a_factors_file_and_min_portfolio(prices, tmp_path):
    days = prices.index
    rng = np.random.default_rng(3)
    factors = pd.DataFrame({
        "date": days.strftime("%Y-%m-%d"), "SMB": rng.normal(0, 0.004, len(days)),
        "RF": np.full(len(days), 0.0001),
    })  # fmt: skip
    factors.to_csv(tmp_path / "ff.csv", index=False)
    events = pd.DataFrame({"ticker": FIRMS * 2, "date": ["2022-03-01"] * 4 + ["2023-03-01"] * 4})
    spec = {"path": str(tmp_path / "ff.csv"), "columns": ["SMB"], "risk_free": "RF"}
    study = es.Study.from_frame(
        events, name="ct", benchmark="SPY", bhar_windows=[[0, 60]], factors_file=spec,
        min_portfolio=4,
    )  # fmt: skip
    run = study.run(source=FrameSource(prices), tests="none")
    # the portfolio built here from the prices: the 4 firms inside [day0, day0 + 60]
    ret = prices.pct_change(fill_method=None)
    held = pd.Series(False, index=days)
    for day0 in ("2022-03-01", "2023-03-01"):
        at = days.get_loc(pd.Timestamp(day0))
        held.iloc[at : at + 61] = True
    inside = ret[FIRMS].where(held, np.nan)
    n = inside.notna().sum(axis=1)
    keep = held & (n >= 4) & ret["SPY"].notna()
    f = factors.set_index(days)
    y = inside[keep].mean(axis=1) - f.loc[keep, "RF"]
    x = sm.add_constant(
        pd.DataFrame({"mkt": ret.loc[keep, "SPY"] - f.loc[keep, "RF"], "SMB": f.loc[keep, "SMB"]})
    )
    lags = newey_west_lags(int(keep.sum()))
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    row = run.long_horizon.calendar_time.iloc[0]
    assert row["model"] == "market + SMB" and row["n_days"] == keep.sum()
    assert row["alpha"] == pytest.approx(fit.params["const"], rel=1e-10)
    assert row["alpha_se"] == pytest.approx(fit.bse["const"], rel=1e-10)
    assert run.long_horizon.portfolio["n_securities"].min() >= 4
    assert "SMB" in run.long_horizon.portfolio.columns


def test_bhar_benchmark_overrides_the_pairs_benchmark(prices):
    events = pd.DataFrame({"ticker": FIRMS, "date": ["2022-03-01"] * 4})
    with_qqq = prices.assign(QQQ=prices["SPY"] * 1.1)  # the same returns as SPY
    other = prices.assign(QQQ=prices["DDD"])  # another benchmark's returns
    make = lambda **k: es.Study.from_frame(  # noqa: E731
        events, name="b", benchmark="SPY", bhar_windows=[[0, 20]], **k
    )
    base = make().run(source=FrameSource(prices), tests="none").long_horizon.bhar
    same = make(bhar_benchmark="QQQ").run(source=FrameSource(with_qqq), tests="none")
    np.testing.assert_allclose(same.long_horizon.bhar["bhar"], base["bhar"], rtol=1e-9)
    moved = make(bhar_benchmark="QQQ").run(source=FrameSource(other), tests="none")
    bhar = moved.long_horizon.bhar
    np.testing.assert_allclose(bhar["bhar"], bhar["ret_bh"] - bhar["benchmark_bh"], rtol=1e-12)
    ddd = bhar.set_index("ticker").loc["DDD"]
    assert ddd["bhar"] == pytest.approx(0.0, abs=1e-12)  # DDD against itself
