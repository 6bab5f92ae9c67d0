"""Figures that follow the study's design, and the details of every figure.

The design (shared dates, one firm, firm-specific) picks the study figures; the
validity marks of tests.csv follow it. Figure details are checked on the matplotlib
objects: integer ticks in trading days, axis labels, a legend entry for every mark,
the volatility critical value and scale, CAR paths anchored at day -1 with the
headline CAR printed, singular and plural, the t reference, 200 dpi.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import special

from eventstudy.measures.design import study_design, validity
from eventstudy.outputs import plots
from eventstudy.outputs.plots.distribution import T_DF_MAX, car_distribution
from eventstudy.outputs.plots.style import plural
from eventstudy.outputs.plots.volatility import SWAMP
from eventstudy.outputs.result import StudyResult
from eventstudy.pipeline.study_tests import EXTRA_COLUMNS, TEST_COLUMNS
from eventstudy.study import Study, load_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import earnings_study  # the benchmarks' firm-specific study

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]
EVENT_TIME = ("car", "ar", "volume", "volatility", "caar", "caar_category", "cav", "bhar")


@pytest.fixture(scope="module")
def demo() -> StudyResult:
    return load_study(ROOT / "events.yaml").run(source="demo", event_ids=SUBSET)


@pytest.fixture(scope="module")
def firms() -> StudyResult:
    """12 firms x 6 own events, eps_surprise planted at 1% per unit, one regression."""
    prices, table = earnings_study(12, 6, 0.01, seed=1)
    study = Study.from_frame(
        table, name="firms", benchmark="SPY", regressions=["car ~ eps_surprise"]
    )
    return study.run(prices=prices)


def _kinds(result: StudyResult) -> list[str]:
    return [kind for _, kind, event in plots.figure_names(result) if event is None]


def test_the_design_is_read_from_the_pairs(demo: StudyResult, firms: StudyResult) -> None:
    assert study_design(demo.car) == "shared-dates"
    assert study_design(firms.car) == "firm-specific"
    one = firms.car[firms.car["ticker"] == "S000"]
    assert study_design(one) == "one-firm"


def test_firm_specific_studies_get_their_figures_and_no_heatmap(firms: StudyResult) -> None:
    kinds = _kinds(firms)
    assert {"forest", "day0_dates", "caar_deciles", "binscatter"} <= set(kinds)
    assert "heatmap" not in kinds and "timeline" not in kinds


def test_shared_date_studies_keep_the_heatmap_and_timeline(demo: StudyResult) -> None:
    kinds = _kinds(demo)
    assert {"heatmap", "timeline"} <= set(kinds)
    assert not {"forest", "day0_dates", "caar_deciles", "binscatter"} & set(kinds)


def test_forest_plot_shows_the_smallest_p_first_with_their_intervals(firms: StudyResult) -> None:
    ax = plots.figure(firms, "forest").axes[0]
    rows = firms.car_window(0, 1).sort_values("car_p", kind="stable").head(25)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(rows)
    top = rows.iloc[0]
    # the top row (highest y) is the smallest p
    by_y = sorted(zip(ax.get_yticks(), labels, strict=True), reverse=True)
    assert (
        by_y[0][1] == f"{top['ticker']} · {pd.Timestamp(top['day0']):%Y-%m-%d} · {top['event_id']}"
    )
    ci = next(c for c in ax.collections if c.get_label() == "95% CI")
    n_est = firms.models.set_index(["event_id", "ticker"]).loc[(top["event_id"], top["ticker"])]
    half = special.stdtrit(n_est["n_est"] - 2, 0.975) * top["car_se"] * 100
    segment = ci.get_segments()[0]  # drawn top row first: rows are in p order
    np.testing.assert_allclose(
        sorted(segment[:, 0]), [top["car"] * 100 - half, top["car"] * 100 + half], rtol=1e-9
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["95% CI", "CAR[0, +1]"]


def test_day0_histogram_counts_every_pair(firms: StudyResult) -> None:
    ax = plots.figure(firms, "day0_dates").axes[0]
    bars = ax.collections[0]
    heights = [p.vertices[:, 1].max() for p in bars.get_paths()]
    assert sum(heights) == firms.car.drop_duplicates(["event_id", "ticker"]).shape[0]
    assert ax.get_ylabel().startswith("Pairs per ")


def test_binscatter_draws_the_regression_slope(firms: StudyResult) -> None:
    ax = plots.figure(firms, "binscatter").axes[0]
    fit = firms.regressions()[0].model_result
    line = next(x for x in ax.lines if x.get_label().startswith("fitted"))
    xs, ys = line.get_xdata(), line.get_ydata()
    slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    assert slope == pytest.approx(fit.params["eps_surprise"] * 100, rel=1e-9)
    assert f"t = {fit.tvalues['eps_surprise']:.1f}" in line.get_label()
    assert ax.get_xlabel() == "eps_surprise" and ax.get_ylabel() == "CAR[0, +1] (%)"


def test_caar_deciles_draw_ten_deciles_with_the_extremes_labelled(firms: StudyResult) -> None:
    ax = plots.figure(firms, "caar_deciles").axes[0]
    labelled = [x.get_label() for x in ax.lines if not x.get_label().startswith("_")]
    assert labelled == ["lowest decile", "highest decile"]
    assert ax.get_title(loc="left") == "eps_surprise"


@pytest.mark.parametrize("kind", EVENT_TIME)
def test_event_time_ticks_are_whole_trading_days(demo: StudyResult, kind: str) -> None:
    event = "election-2024" if kind in plots.EVENT_KINDS else None
    for ax in plots.figure(demo, kind, event).axes:
        ticks = ax.get_xticks()
        assert len(ticks) and np.array_equal(ticks, np.round(ticks)), (kind, ticks)


def test_volume_figure_labels_and_legend(demo: StudyResult) -> None:
    fig = plots.figure(demo, "volume", "election-2024")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Abnormal log volume"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["AV", "AV beyond the 95% bound", "±95% bound", "CAV (cumulative AV)", "day 0"]
    assert fig.axes[-1].get_xlabel() == "Trading days relative to day 0"


def test_cav_figure_names_its_quantity(demo: StudyResult) -> None:
    ax = plots.figure(demo, "cav").axes[0]
    assert ax.get_ylabel() == "Mean cumulative abnormal log volume"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["95% band (cross-sectional s.e.)", "mean CAV", "day 0"]


@pytest.mark.parametrize("event_id", SUBSET)
def test_volatility_figure_has_the_critical_value_and_a_log_scale_for_spikes(
    demo: StudyResult, event_id: str
) -> None:
    ax = plots.figure(demo, "volatility", event_id).axes[0]
    df = demo.models[demo.models["event_id"] == event_id]["n_est"].median() - 2
    crit = special.fdtri(1, df, 0.95)
    label = f"5% critical value F(1, {df:.0f}) = {crit:.2f}"
    line = next(x for x in ax.lines if x.get_label() == label)
    assert line.get_ydata()[0] == pytest.approx(crit)
    assert label in [t.get_text() for t in ax.get_legend().get_texts()]
    u = demo.volatility()[0]
    peak = u[u["event_id"] == event_id]["u"].max()
    assert ax.get_yscale() == ("symlog" if peak > SWAMP * crit else "linear")


def test_car_figure_prints_the_headline_car_of_car_csv(demo: StudyResult) -> None:
    ax = plots.figure(demo, "car", "liberation-day").axes[0]
    box = next(t.get_text() for t in ax.texts if t.get_text().startswith("CAR[0, +1]"))
    rows = demo.car_window(0, 1)
    for r in rows[rows["event_id"] == "liberation-day"].itertuples():
        assert f"{r.ticker} {r.car * 100:+.1f}%" in box
    assert ax.get_ylabel() == "Cumulative abnormal return from day 0 (%)"


def test_overlapping_bands_are_light_with_dashed_edges(demo: StudyResult) -> None:
    ax = plots.figure(demo, "caar_category").axes[0]
    fills = [c for c in ax.collections if type(c).__name__ == "FillBetweenPolyCollection"]
    n_categories = len([x for x in ax.get_legend().get_texts() if "event" in x.get_text()])
    assert len(fills) == 1 + n_categories  # all pairs' band and one per category
    assert all(c.get_alpha() <= 0.14 for c in fills)
    dashed = [x for x in ax.lines if x.get_label().startswith("_") and x.get_linestyle() == "--"]
    assert len(dashed) >= 2 * len(fills)


def test_singular_and_plural() -> None:
    assert plural(1, "event") == "1 event"
    assert plural(2, "event") == "2 events"
    assert plural(1_250, "security", "securities") == "1,250 securities"


def test_no_legend_says_one_events(demo: StudyResult) -> None:
    for kind in ("caar", "caar_category"):
        texts = [t.get_text() for t in plots.figure(demo, kind).axes[0].get_legend().get_texts()]
        assert not any("(1 events)" in t for t in texts), texts


def test_the_t_reference_is_left_out_when_its_df_is_huge() -> None:
    rng = np.random.default_rng(0)
    cars = pd.DataFrame({"car": rng.normal(0, 0.02, 5000)})
    stub = SimpleNamespace(
        car_window=lambda a, b: cars,
        study=SimpleNamespace(study=SimpleNamespace(car_windows=[(0, 1)])),
    )
    data = car_distribution(stub)  # type: ignore[arg-type]
    assert data.normal is not None and data.t is None
    heavy = pd.DataFrame({"car": rng.standard_t(3, 5000) * 0.01})
    stub.car_window = lambda a, b: heavy
    fitted = car_distribution(stub)  # type: ignore[arg-type]
    assert fitted.t is not None and fitted.t[0] <= T_DF_MAX


def test_pngs_are_200_dpi(demo: StudyResult) -> None:
    assert plots.DPI == 200
    fig = plots.figure(demo, "caar")
    data = plots.render(fig)
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1800, 1050)
    assert fig.dpi == 200
    assert data[25] == 3  # PNG colour type 3: a 256-colour palette (a quarter of the bytes)
    assert plots.render(fig) == data  # the same bytes on every run


def test_tests_csv_gets_a_validity_column_added_at_the_end(demo: StudyResult) -> None:
    tests = demo.tests()
    assert list(tests.columns[: len(TEST_COLUMNS + EXTRA_COLUMNS)]) == TEST_COLUMNS + EXTRA_COLUMNS
    assert tests.columns[-1] == "validity"
    assert set(tests["validity"]) <= {"recommended", "valid", "not valid"}
    shared = tests[(tests["group"] == "all") & (tests["measure"] == "return")]
    marks = shared.groupby("test")["validity"].first()
    assert marks["kp_bmp_t"] == "recommended" and marks["bootstrap"] == "recommended"
    assert marks["cs_t"] == "not valid" and marks["bmp_t"] == "not valid"
    assert marks["cda_t"] == "valid" and marks["corrado_rank_z"] == "valid"


def test_validity_follows_the_documented_size_results() -> None:
    rows = pd.DataFrame(
        {
            "test": ["bmp_t", "cs_t", "binder_f", "grank_t", "grank_t", "kp_bmp_t", "cs_t"],
            "clustered": [False, False, False, False, True, True, True],
            "valid_under_clustering": [False, False, True, False, False, True, False],
        }
    )
    assert validity(rows, "firm-specific").tolist() == [
        "recommended", "valid", "not valid", "valid", "not valid", "recommended", "not valid",
    ]  # fmt: skip
    assert validity(rows, "shared-dates").tolist()[:2] == ["valid", "valid"]
