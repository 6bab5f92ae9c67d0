"""Second-stage regressions: equal to statsmodels on car.csv, placebo p, merges, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import ConfigError, EventStudyError
from eventstudy.measures.regression import (
    FewDegreesOfFreedomWarning,
    RowsDroppedWarning,
    placebo_cars,
)
from eventstudy.sessions.calendar import sessions
from tests.conftest import FrameSource

EVENTS_YAML = Path(__file__).resolve().parents[1] / "events.yaml"
FIRMS = [f"F{i:02d}" for i in range(30)]
SLOPE = 0.02
"""The planted day-0 abnormal return is SLOPE x the event's attribute x."""


@pytest.fixture(scope="module")
def firm_study() -> tuple[es.Study, FrameSource, pd.DataFrame]:
    """30 firms x 4 own dates; day-0 AR = 0.02 x (attribute x) + noise."""
    days = sessions("XNYS")
    days = days[(days >= "2021-01-04") & (days <= "2024-12-31")]
    rng = np.random.default_rng(11)
    market = rng.normal(0.0004, 0.01, len(days))
    prices = {"SPY": 400 * np.cumprod(1 + market)}
    rows = []
    for k, firm in enumerate(FIRMS):
        beta = 0.6 + 0.05 * k
        ret = 0.0002 + beta * market + rng.normal(0, 0.01, len(days))
        for j in range(4):
            at = 300 + 150 * j + 3 * k
            x = rng.normal()
            ret[at] += SLOPE * x
            rows.append({"ticker": firm, "date": days[at].date().isoformat(), "x": x,
                         "size": ["small", "large"][k % 2]})  # fmt: skip
        prices[firm] = 50 * np.cumprod(1 + ret)
    frame = pd.DataFrame(prices, index=days)
    events = pd.DataFrame(rows)
    study = es.Study.from_frame(events, name="firms", benchmark="SPY")
    chars = pd.DataFrame({"ticker": FIRMS, "lev": np.linspace(0.1, 0.9, len(FIRMS))})
    return study, FrameSource(frame), chars


@pytest.fixture(scope="module")
def firm_result(firm_study) -> es.StudyResult:
    study, source, _ = firm_study
    return study.run(source=source, tests="none")


def _direct(result: es.StudyResult, chars: pd.DataFrame, window=(0, 1)) -> pd.DataFrame:
    car = result.car_window(*window).merge(result.events[["event_id", "x", "size"]])
    return car.merge(chars, on="ticker", how="left")


@pytest.mark.parametrize("cov", ["nonrobust", "HC1", "cluster:day0", "cluster:ticker"])
@pytest.mark.parametrize("weights", [None, "inverse-variance"])
def test_every_regression_equals_statsmodels_on_car_csv(firm_study, firm_result, cov, weights):
    _, _, chars = firm_study
    formula = "car ~ x + lev + C(size)"
    mine = firm_result.regress(formula, window=(0, 1), cov=cov, weights=weights, data=chars)
    data = _direct(firm_result, chars)
    if weights is None:
        model = smf.ols(formula, data)
    else:
        model = smf.wls(formula, data, weights=1 / data["car_se"] ** 2)
    if cov.startswith("cluster:"):
        groups = pd.factorize(data[cov.split(":")[1]])[0]
        theirs = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df = groups.max()  # G - 1
    else:
        theirs = model.fit(cov_type=cov, use_t=True)
        df = 120 - 4  # n - k
    np.testing.assert_allclose(mine.model_result.params, theirs.params, rtol=1e-10)
    np.testing.assert_allclose(mine.model_result.bse, theirs.bse, rtol=1e-10)
    table = mine.to_frame()
    np.testing.assert_allclose(table["p_value"], theirs.pvalues, rtol=1e-10)
    assert list(table["term"]) == list(theirs.params.index)
    assert (table["n"] == 120).all() and np.allclose(table["r2"], theirs.rsquared, rtol=1e-12)
    assert table["cov_type"].iloc[0].startswith(cov)
    assert (table["df"] == df).all()
    t_p = 2 * stats.t.sf(np.abs(table["t"]), df)  # Student's t, not the normal
    np.testing.assert_allclose(table["p_value"], t_p, rtol=1e-10)


def test_a_regression_on_three_pairs_uses_t_with_one_df_and_warns(firm_study):
    """3 pairs, 2 coefficients: p from t(1) (statsmodels use_t=True), not the normal."""
    _, source, _ = firm_study
    events = pd.DataFrame({
        "ticker": FIRMS[:3], "date": ["2023-03-01", "2023-06-01", "2023-09-01"],
        "eps_surprise": [-0.5, 0.1, 0.9],
    })  # fmt: skip
    result = es.Study.from_frame(events, name="three", benchmark="SPY").run(
        source=source, tests="none"
    )
    with pytest.warns(FewDegreesOfFreedomWarning, match="3 pairs for 2 coefficients leave 1 "):
        mine = result.regress("car ~ eps_surprise")
    direct = result.car_window(0, 1).merge(result.events[["event_id", "eps_surprise"]])
    theirs = smf.ols("car ~ eps_surprise", direct).fit(cov_type="HC1", use_t=True)
    table = mine.to_frame()
    np.testing.assert_allclose(table["p_value"], theirs.pvalues, rtol=1e-10)
    assert (table["df"] == 1).all() and (table["n"] == 3).all()
    normal = 2 * stats.norm.sf(np.abs(table["t"]))
    assert (table["p_value"] > normal).all()


def test_a_planted_slope_is_recovered(firm_result):
    reg = firm_result.regress("car ~ x", window=(0, 0))
    slope = reg.model_result.params["x"]
    assert abs(slope - SLOPE) < 4 * reg.model_result.bse["x"]
    assert reg.model_result.pvalues["x"] < 1e-6
    summary = reg.summary()
    assert "car ~ x" in summary and "CAR[+0,+0]" in summary
    assert "<b>car ~ x</b>" in reg._repr_html_()


def test_placebo_p_equals_statsmodels_day_by_day(firm_result):
    reg = firm_result.regress("car ~ x", window=(0, 1), cov="nonrobust", placebo=True)
    data = firm_result.car_window(0, 1).merge(firm_result.events[["event_id", "x"]])
    cars = placebo_cars(firm_result, data, 2)
    b = reg.model_result.params
    slopes = []
    for tau in range(cars.shape[1]):
        keep = ~np.isnan(cars[:, tau])
        day = data.loc[keep].assign(car=cars[keep, tau])
        slopes.append(smf.ols("car ~ x", day).fit().params)
    slopes = pd.DataFrame(slopes)
    expected = (1 + (slopes.abs() >= b.abs()).sum()) / (1 + len(slopes))
    np.testing.assert_allclose(reg.p_placebo, expected[b.index], rtol=1e-12)
    assert reg.n_placebo == len(slopes) == 240 - 2 + 1
    assert reg.to_frame()["p_placebo"].notna().all()


def test_placebo_cars_are_sums_of_the_estimation_residuals(firm_result):
    data = firm_result.car_window(0, 1).head(3)
    cars = placebo_cars(firm_result, data, 3)
    group = firm_result.estimates[0]
    index = {(p.event_id, p.ticker): i for i, p in enumerate(group.pairs)}
    for row, (event_id, ticker) in enumerate(zip(data["event_id"], data["ticker"], strict=True)):
        resid = group.residuals[index[(event_id, ticker)]]
        for tau in (0, 17, len(resid) - 3):
            assert cars[row, tau] == pytest.approx(resid[tau : tau + 3].sum(), abs=1e-15) or (
                np.isnan(resid[tau : tau + 3]).any() and np.isnan(cars[row, tau])
            )


def test_placebo_cars_equal_residuals_refitted_with_numpy(firm_study, firm_result):
    # each firm's first event has no other event in its estimation window (no masking):
    # its market model refitted here by least squares on the prices gives the same
    # placebo CARs
    _, source, _ = firm_study
    returns = source.prices.pct_change()
    est = firm_result.study.study.estimation_window
    car = firm_result.car_window(0, 1)
    first = car.sort_values("day0").groupby("ticker").head(1).head(5).reset_index(drop=True)
    cars = placebo_cars(firm_result, first, 2)
    for row, pair in first.iterrows():
        at = returns.index.get_loc(pd.Timestamp(pair["day0"]))
        window = returns.iloc[at + est[0] : at + est[1] + 1]
        design = np.column_stack([np.ones(len(window)), window["SPY"]])
        y = window[pair["ticker"]].to_numpy()
        resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        expected = resid[:-1] + resid[1:]  # every two-day window inside the estimation window
        np.testing.assert_allclose(cars[row], expected, rtol=0, atol=1e-12)


def test_characteristics_in_force_at_day0(firm_result):
    car = firm_result.car_window(0, 1)
    first = car.iloc[0]
    day0 = pd.Timestamp(first["day0"])
    chars = pd.DataFrame({
        "ticker": [first["ticker"]] * 3,
        "date": [(day0 - pd.Timedelta(days=d)).date().isoformat() for d in (400, 10, -1)],
        "size_usd": [1.0, 2.0, 3.0],
    })  # fmt: skip
    from eventstudy.measures.regression_data import check_characteristics, regression_frame

    frame = regression_frame(firm_result, (0, 1), check_characteristics(chars))
    mine = frame[(frame["event_id"] == first["event_id"]) & (frame["ticker"] == first["ticker"])]
    assert mine["size_usd"].tolist() == [2.0]  # the last row on or before day 0
    assert len(frame) == len(car) and list(frame["event_id"]) == list(car["event_id"])
    with pytest.warns(RowsDroppedWarning, match="pairs left out"):
        partial = pd.DataFrame({"ticker": FIRMS[:10], "v": range(10)})
        reg = firm_result.regress("car ~ v", data=partial)
    assert reg.model_result.nobs == 40


def test_characteristics_file_from_the_study(firm_study, tmp_path):
    study, source, chars = firm_study
    path = tmp_path / "chars.csv"
    chars.to_csv(path, index=False)
    settings = study.study.model_copy(update={"characteristics": str(path)})
    result = study.model_copy(update={"study": settings}).run(source=source, tests="none")
    reg = result.regress("car ~ lev")
    direct = smf.ols("car ~ lev", _direct(result, chars)).fit(cov_type="HC1")
    np.testing.assert_allclose(reg.model_result.params, direct.params, rtol=1e-10)


def test_user_mistakes_are_named(firm_result, tmp_path):
    with pytest.raises(EventStudyError, match=r"cannot fit 'car ~ nosuch'.*variables: event_id"):
        firm_result.regress("car ~ nosuch")
    with pytest.raises(EventStudyError, match="unknown covariance 'HC9'"):
        firm_result.regress("car ~ x", cov="HC9")
    with pytest.raises(EventStudyError, match="unknown weights"):
        firm_result.regress("car ~ x", weights="equal")
    with pytest.raises(EventStudyError, match=r"window \[0, 3\] is not a CAR window"):
        firm_result.regress("car ~ x", window=(0, 3))
    with pytest.raises(EventStudyError, match="needs a 'ticker' column"):
        firm_result.regress("car ~ x", data=pd.DataFrame({"firm": ["F00"], "v": [1]}))
    with pytest.raises(EventStudyError, match="'beta' is also a column"):
        firm_result.regress("car ~ x", data=pd.DataFrame({"ticker": ["F00"], "beta": [1]}))
    bad = pd.DataFrame({"ticker": ["F00"], "date": ["soon"], "v": [1]})
    with pytest.raises(EventStudyError, match="'soon' is not a date"):
        firm_result.regress("car ~ v", data=bad)
    from eventstudy.measures.regression_data import load_characteristics

    with pytest.raises(EventStudyError, match="characteristics file not found"):
        load_characteristics(tmp_path / "none.csv")


def test_regressions_key_accepts_formulas_and_mappings():
    raw = {
        "study": {
            "name": "r",
            "securities": ["A"],
            "regressions": [
                "car ~ beta",
                {"formula": "car ~ x", "window": [-1, 1], "cov": "cluster:day0", "placebo": True},
            ],
        },
        "events": [{"id": "a", "date": "2024-01-02", "title": "a"}],
    }
    from eventstudy.study import parse_study

    specs = parse_study(raw).study.regressions
    assert specs[0].formula == "car ~ beta" and specs[0].cov == "HC1"
    assert specs[1].window == (-1, 1) and specs[1].placebo
    for bad, message in [
        ("car beta", "is not a formula"),
        ({"formula": "car ~ x", "cov": "HC3"}, "regressions.0.cov"),
        ({"formula": "car ~ x", "window": [0, 3]}, "is not one of car_windows"),
    ]:
        raw["study"]["regressions"] = [bad]
        with pytest.raises(ConfigError, match=message):
            parse_study(raw)


def test_cli_regress_writes_regression_csv_and_the_report_shows_it(tmp_path):
    args = ["run", str(EVENTS_YAML), "--source", "demo", "--out", str(tmp_path), "--no-plots"]
    args += ["--tests", "none", "--regress", "car ~ beta + C(ticker)", "-q"]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    folder = next(tmp_path.iterdir())
    table = pd.read_csv(folder / "regression.csv")
    assert set(table["formula"]) >= {"car ~ beta + C(ticker)"}
    assert {"Intercept", "beta"} <= set(table["term"])
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "What explains the CARs?" in page and "car ~ beta + C(ticker)" in page
    assert "regression.csv" in page
    bad = CliRunner().invoke(app, [*args[:-3], "--regress", "car beta"])
    assert bad.exit_code == 2 and "is not a formula" in bad.output


@pytest.mark.filterwarnings("always::eventstudy.measures.regression.RegressionLeftOutWarning")
@pytest.mark.filterwarnings("always::eventstudy.measures.regression.FewDegreesOfFreedomWarning")
def test_a_study_regression_the_run_cannot_estimate_is_left_out_with_a_warning(tmp_path):
    # one event: its three pairs share one day 0 (one cluster for cluster:day0), and
    # C(ticker) needs three coefficients for three pairs; car ~ beta can be fitted
    text = EVENTS_YAML.read_text(encoding="utf-8").replace(
        "    - formula: car ~ C(category)\n      placebo: true\n",
        "    - {formula: car ~ beta, cov: cluster:day0}\n    - car ~ C(ticker)\n    - car ~ beta\n",
    )
    events = tmp_path / "events.yaml"
    events.write_text(text, encoding="utf-8")
    args = ["run", str(events), "--source", "demo", "--out", str(tmp_path / "out")]
    outcome = CliRunner().invoke(app, [*args, "-e", "deepseek-r1", "--no-plots", "--tests", "none"])
    assert outcome.exit_code == 0, outcome.output
    assert "Traceback" not in outcome.output
    assert "warning: regression left out of this run" in outcome.output
    assert "needs at least 2 clusters" in outcome.output and "too few" in outcome.output
    assert "warning: regression 'car ~ beta': 3 pairs for 2 coefficients leave 1 " in outcome.output
    table = pd.read_csv(next((tmp_path / "out").iterdir()) / "regression.csv")
    assert set(table["formula"]) == {"car ~ beta"}  # the one that can be estimated


def test_no_estimable_study_regression_writes_an_empty_table(tmp_path):
    from eventstudy.measures.regression import REGRESSION_COLUMNS, RegressionLeftOutWarning

    study = es.load_study(EVENTS_YAML)
    raw = study.study.model_dump()
    raw["regressions"] = [{"formula": "car ~ beta", "cov": "cluster:day0"}]
    one = es.Study.from_frame(
        pd.DataFrame([{"id": "deepseek-r1", "date": "2025-01-27"}]),
        **{k: raw[k] for k in ("name", "securities", "benchmark", "regressions")},
    )
    result = one.run(source="demo", tests="none")
    with pytest.warns(RegressionLeftOutWarning, match="needs at least 2 clusters"):
        tables = result.optional_tables()
    assert list(tables["regression"].columns) == REGRESSION_COLUMNS
    assert tables["regression"].empty


def test_yaml_event_attributes_are_regression_variables(tmp_path):
    # attributes: {name: value} on YAML events become columns of the regression
    raw = es.load_study(EVENTS_YAML)
    events = [e for e in raw.events if e.role != "confounder"][:6]
    text = "study:\n  name: attrs\n  securities: [BABA, MPNGY, NVDA]\n  benchmark: SPY\nevents:\n"
    for k, event in enumerate(events):
        text += (
            f"  - {{id: {event.id}, date: {event.date:%Y-%m-%d}, title: t{k}, "
            f"attributes: {{surprise: {k * 0.5}, kind: {'ab'[k % 2]}}}}}\n"
        )
    (tmp_path / "attrs.yaml").write_text(text, encoding="utf-8")
    result = es.load_study(tmp_path / "attrs.yaml").run(source="demo", tests="none")
    reg = result.regress("car ~ surprise + C(kind)", cov="nonrobust")
    car = result.car_window(0, 1)
    values = {e.id: (k * 0.5, "ab"[k % 2]) for k, e in enumerate(events)}
    car["surprise"] = car["event_id"].map(lambda e: values[e][0])
    car["kind"] = car["event_id"].map(lambda e: values[e][1])
    direct = smf.ols("car ~ surprise + C(kind)", car).fit()
    np.testing.assert_allclose(reg.model_result.params, direct.params, rtol=1e-10)
    np.testing.assert_allclose(reg.model_result.bse, direct.bse, rtol=1e-10)
