"""The volume measure (eventstudy.measures.volume) against direct computations and statsmodels."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.core.errors import EventStudyError
from eventstudy.core.prices import PriceTable, provenance_for
from eventstudy.sessions.calendar import session_span
from eventstudy.study import parse_study, run_study
from tests.conftest import FrameSource, market_model_prices

DAY0 = pd.Timestamp("2024-11-18")
EST, EVT = (-250, -11), (-10, 10)


class VolumeSource(FrameSource):
    """A frame source that also serves volumes (a long layout)."""

    def __init__(self, prices: pd.DataFrame, volume: pd.DataFrame) -> None:
        super().__init__(prices)
        self.volume = volume

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        table = super().load(tickers, start, end)
        known = [t for t in table.adj_close.columns if t in self.volume.columns]
        volume = self.volume.loc[table.adj_close.index, known].reindex(
            columns=table.adj_close.columns
        )
        return PriceTable(
            table.adj_close, self.name, False, provenance_for(table.adj_close, self.name), volume
        )


def _volumes(prices: pd.DataFrame, *, spike: float = 0.0, seed: int = 1) -> pd.DataFrame:
    """Log-normal share volumes; STK's log(1+V) is raised by ``spike`` on day 0."""
    rng = np.random.default_rng(seed)
    n = len(prices)
    market = np.exp(rng.normal(18.0, 0.3, n))
    stock = np.exp(11.0 + 0.8 * (np.log(market) - 18.0) + rng.normal(0.0, 0.25, n))
    frame = pd.DataFrame({"SPY": np.round(market), "STK": np.round(stock)}, index=prices.index)
    frame.loc[frame.index[:40], "STK"] = 0.0  # zero-volume days before the study span
    day0 = frame.index.get_loc(DAY0)
    frame.iloc[day0, 1] = np.expm1(np.log1p(frame.iloc[day0, 1]) + spike)
    return frame


def _study(**settings):
    base = {"name": "t", "securities": ["STK"], "benchmark": "SPY", "measures": ["volume"]}
    events = [{"id": "e1", "date": "2024-11-18", "title": "E"}]
    return parse_study({"study": base | settings, "events": events})


def _run(spike: float = 0.0, **settings):
    prices = market_model_prices(noise=0.01, seed=3)
    volume = _volumes(prices, spike=spike)
    result = run_study(_study(**settings), source=VolumeSource(prices, volume))
    return result, volume


def _window(volume: pd.DataFrame, ticker: str, window: tuple[int, int]) -> np.ndarray:
    days = session_span("XNYS", DAY0, *window)
    return np.log1p(volume.loc[days, ticker].to_numpy())


def test_mean_adjusted_av_cav_and_se_equal_a_direct_computation():
    result, volume = _run()
    v_est, v_evt = _window(volume, "STK", EST), _window(volume, "STK", EVT)
    n, mean, s2 = len(v_est), v_est.mean(), v_est.var(ddof=1)
    av = result.volume.abnormal_volume
    assert list(av.columns)[:9] == [
        "event_id", "ticker", "rel_day", "date", "volume", "log_volume", "expected", "av", "cav",
    ]  # fmt: skip
    np.testing.assert_allclose(av["volume"], np.expm1(v_evt), rtol=1e-12)
    np.testing.assert_allclose(av["expected"], mean, rtol=1e-12)
    np.testing.assert_allclose(av["av"], v_evt - mean, atol=1e-10)
    np.testing.assert_allclose(av["cav"], np.cumsum(v_evt - mean), atol=1e-10)
    np.testing.assert_allclose(av["av_se"], np.sqrt(s2 * (1 + 1 / n)), rtol=1e-10)
    cav = result.volume.cav.set_index(["window_start", "window_end"])
    for start, end in result.study.study.car_windows:
        row = cav.loc[(start, end)]
        length = end - start + 1
        sel = slice(start - EVT[0], end - EVT[0] + 1)
        expected = (v_evt[sel] - mean).sum()
        se = np.sqrt(s2 * (length + length**2 / n))
        assert row["cav"] == pytest.approx(expected, abs=1e-10)
        assert row["cav_se"] == pytest.approx(se, rel=1e-10)
        assert row["cav_p"] == pytest.approx(2 * stats.t.sf(abs(expected / se), n - 1), rel=1e-8)
        assert row["n_est"] == n and row["model"] == "mean-adjusted"


def test_market_volume_model_equals_statsmodels_ols():
    result, volume = _run(volume_model="market")
    y, x = _window(volume, "STK", EST), _window(volume, "SPY", EST)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    x_evt, y_evt = _window(volume, "SPY", EVT), _window(volume, "STK", EVT)
    av = result.volume.abnormal_volume
    np.testing.assert_allclose(av["expected"], ols.params[0] + ols.params[1] * x_evt, rtol=1e-10)
    np.testing.assert_allclose(av["av"], y_evt - ols.predict(sm.add_constant(x_evt)), atol=1e-10)
    cav = result.volume.cav.set_index(["window_start", "window_end"])
    design = sm.add_constant(x_evt)
    for start, end in result.study.study.car_windows:
        rows = slice(start - EVT[0], end - EVT[0] + 1)
        total = design[rows].sum(axis=0)  # MacKinlay (1997): s^2 (L + 1'X (X'X)^-1 X'1)
        var = ols.scale * (end - start + 1 + total @ ols.normalized_cov_params @ total)
        row = cav.loc[(start, end)]
        assert row["cav_se"] == pytest.approx(np.sqrt(var), rel=1e-10)
        assert row["model"] == "market" and row["n_est"] == ols.nobs


def test_a_planted_day0_volume_spike_is_recovered():
    result, _ = _run(spike=1.0)
    row = result.volume.cav.set_index(["window_start", "window_end"]).loc[(0, 0)]
    assert row["cav"] == pytest.approx(1.0, abs=0.6)
    assert row["cav_t"] > 3
    tests = result.tests()
    by_measure = tests.groupby("measure")
    assert set(by_measure["test"].apply(frozenset)) == {frozenset(tests["test"])}  # same tests
    assert (by_measure.size() == len(tests) // 2).all()  # same groups and windows
    day0 = (tests["window_start"] == 0) & (tests["window_end"] == 0) & (tests["group"] == "all")
    patell = tests[(tests["measure"] == "volume") & (tests["test"] == "patell_z") & day0]
    assert patell["p_value"].item() < 0.01


def test_holm_families_are_per_measure():
    result, _ = _run(spike=1.0)
    tests = result.tests()
    assert {"return", "volume"} == set(tests["measure"])
    from eventstudy.inference import adjust_pvalues

    for (_, _, _), part in tests.groupby(
        [tests["measure"], tests["group"].str.split(":").str[0], tests["test"]]
    ):
        np.testing.assert_allclose(part["p_holm"], adjust_pvalues(part["p_value"].to_numpy()))


def test_prices_without_volume_are_a_clear_error():
    prices = market_model_prices(noise=0.01, seed=3)
    with pytest.raises(EventStudyError, match=r"volume.*long CSV") as caught:
        run_study(_study(), source=FrameSource(prices))
    assert caught.value.field == "measures"


def test_a_ticker_without_volume_is_skipped_for_volume_only():
    prices = market_model_prices(noise=0.01, seed=3)
    prices["OTH"] = prices["STK"] * 1.01
    volume = _volumes(prices)
    study = _study(securities=["STK", "OTH"])
    result = run_study(study, source=VolumeSource(prices, volume[["SPY", "STK"]]))
    assert set(result.car["ticker"]) == {"STK", "OTH"}  # returns still measured
    assert set(result.volume.cav["ticker"]) == {"STK"}
    reason = result.skipped.set_index("ticker").loc["OTH", "reason"]
    assert reason.startswith("volume: no trading volume for OTH")


def test_cli_measures_return_volume_writes_the_tables(tmp_path: Path):
    events = Path(__file__).resolve().parents[1] / "events.yaml"
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        app,
        ["run", str(events), "--source", "demo", "--measures", "return,volume", "--no-plots",
         "--out", str(out)],
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "return, volume (mean-adjusted)" in ran.output  # the summary names the measures
    (folder,) = out.iterdir()
    av = pd.read_csv(folder / "abnormal_volume.csv")
    cav = pd.read_csv(folder / "cav.csv")
    assert list(cav.columns) == [
        "event_id", "ticker", "day0", "window_start", "window_end", "cav", "cav_se", "cav_t",
        "cav_p", "n_est", "model",
    ]  # fmt: skip
    assert len(av) > 0 and np.isfinite(cav["cav_se"]).all()
    tests = pd.read_csv(folder / "tests.csv")
    assert set(tests["measure"]) == {"return", "volume", "bhar"}  # events.yaml: bhar_windows


def test_the_demo_run_recovers_the_planted_volume_jumps():
    from eventstudy.data.demo import PLANTED_VOLUME
    from eventstudy.study import load_study

    study = load_study(Path(__file__).resolve().parents[1] / "events.yaml", measures=["volume"])
    cav = study.run(source="demo", tests="none").volume.cav
    day0 = cav[(cav["window_start"] == 0) & (cav["window_end"] == 0)]
    for (ticker, day), jump in PLANTED_VOLUME.items():
        (row,) = day0[(day0["ticker"] == ticker) & (day0["day0"] == day)].itertuples()
        assert row.cav_t > 2.5, (ticker, day)
        assert abs(row.cav - jump) < 2 * row.cav_se, (ticker, day)


def test_volume_figures_are_drawn_only_when_volume_is_measured():
    from eventstudy.outputs.plots.kinds import figure_names

    result, _ = _run(spike=1.0)
    names = [name for name, _, _ in figure_names(result, "all")]
    assert "cav" in names and "e1/volume" in names
    fig = result.plot("e1", kind="volume")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["STK"]
    prices = market_model_prices(noise=0.01, seed=3)
    plain = run_study(_study(measures=["return"]), source=FrameSource(prices))
    assert not {"cav", "e1/volume"} & {name for name, _, _ in figure_names(plain, "all")}


def test_the_report_has_a_volume_section_only_when_volume_is_measured():
    from eventstudy.outputs.report.volume import volume_section

    result, _ = _run(spike=1.0)
    html = volume_section(result, result.tests(), None)
    assert html.startswith("<section id=volume><h2>Volume</h2>")
    # the volume tests are in the tests table (under their measure), not repeated here
    assert "patell_z" not in html and "under Volume (CAV)" in html
    from eventstudy.outputs.report.markup import window

    first = window(*result.study.study.car_windows[0])
    assert f"CAV{first} per pair, in order of p" in html
    prices = market_model_prices(noise=0.01, seed=3)
    plain = run_study(_study(measures=["return"]), source=FrameSource(prices))
    assert volume_section(plain, None, None) == ""


def test_cav_rows_in_the_report_follow_the_first_window_p():
    from eventstudy.outputs.report.volume import by_first_window_p

    cav = pd.DataFrame({
        "event_id": ["a", "a", "b", "b", "c"], "ticker": ["X"] * 5,
        "window_start": [0, -1, 0, -1, -1], "window_end": [0, 1, 0, 1, 1],
        "cav_p": [0.5, 0.01, 0.02, 0.9, 0.0],
    })  # fmt: skip
    ordered = by_first_window_p(cav, 0, 0)
    # b's [0, 0] p (0.02) < a's (0.5); c has no [0, 0] row and comes last
    assert ordered["event_id"].tolist() == ["b", "b", "a", "a", "c"]
    assert ordered.index.tolist() == [2, 3, 0, 1, 4]
