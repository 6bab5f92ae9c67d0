"""Figures: every file written and decodable at the expected size; plotted data = CSVs.

The data checks read what was handed to matplotlib (line data, bar rectangles, the
heat-map array, texts), never pixels. A subset of the demo study keeps this fast; the
full demo run with every figure is drawn once in ``test_cli.py``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from scipy import stats

from eventstudy.core.errors import EventStudyError
from eventstudy.outputs import plots
from eventstudy.outputs.result import StudyResult
from eventstudy.pipeline.summary import stars
from eventstudy.sessions.calendar import sessions
from eventstudy.study import load_study, parse_study, run_study
from tests.conftest import FrameSource

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events.yaml"
# A skipped pair (liberation-day/NVDA), two events on one day 0, a timed event.
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]
EVENT_PX = (1050, 1800)  # rows, columns of a per-event or CAAR figure (200 dpi)


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return load_study(EVENTS).run(source="demo", event_ids=SUBSET)


@pytest.fixture(scope="module")
def saved(result: StudyResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("plots")
    return result.save(out, formats=("png", "svg"))


@pytest.fixture(scope="module")
def folder(result: StudyResult, saved: dict[str, Path]) -> Path:
    return saved["car"].parent


def labelled(ax, label: str):
    """The one line of ``ax`` with this legend label."""
    found = [line for line in ax.lines if line.get_label() == label]
    assert len(found) == 1, (label, [line.get_label() for line in ax.lines])
    return found[0]


def bar_heights(collection: PolyCollection) -> tuple[np.ndarray, np.ndarray]:
    """Centres and signed heights of bars drawn from 0 (see ``plots._bars``)."""
    centres, heights = [], []
    for path in collection.get_paths():
        x, y = path.vertices[:4, 0], path.vertices[:4, 1]
        centres.append((x.min() + x.max()) / 2)
        heights.append(y.min() + y.max())  # one of them is 0
    return np.array(centres), np.array(heights)


def main_axes(fig: Figure):
    return fig.axes[0]


def from_day0(pair: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A pair's CAR path anchored at day -1 and its prediction-error s.e., by a loop:
    the sum of the ARs from day 0 to tau (tau >= 0), minus the sum from tau + 1 to -1
    before; the variance sums ar_se**2 over the same days."""
    ar = dict(zip(pair["rel_day"], pair["ar"].fillna(0.0), strict=True))
    var = dict(zip(pair["rel_day"], pair["ar_se"].fillna(0.0) ** 2, strict=True))
    path, se = [], []
    for tau in pair["rel_day"]:
        days = range(0, tau + 1) if tau >= 0 else range(tau + 1, 0)
        sign = 1.0 if tau >= 0 else -1.0
        path.append(sign * sum(ar.get(d, 0.0) for d in days))
        se.append(np.sqrt(sum(var.get(d, 0.0) for d in days)))
    return np.array(path), np.array(se)


def critical(n_est: pd.Series) -> np.ndarray:
    return stats.t.ppf(0.975, n_est.to_numpy(dtype=float) - 2)


# ----------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------


def test_every_figure_is_written_in_both_formats(result: StudyResult, saved, folder) -> None:
    names = [name for name, _, _ in plots.figure_names(result)]
    estimated = list(dict.fromkeys(result.models["event_id"]))
    assert names == [
        "caar",
        "caar_category",
        "car_distribution",
        "heatmap",
        "timeline",
        "cav",  # events.yaml measures volume
        "bhar",  # and has bhar_windows
        *(f"{e}/{k}" for e in estimated for k in ("car", "ar", "volatility", "volume")),
    ]
    for name in names:
        for fmt in ("png", "svg"):
            assert saved[f"{name}.{fmt}"] == folder / f"{name}.{fmt}"
            assert (folder / f"{name}.{fmt}").stat().st_size > 0
    assert not list(folder.rglob("*.tmp"))


def test_pngs_decode_at_the_expected_size(result: StudyResult, folder: Path) -> None:
    expected = {kind: EVENT_PX for kind in ("car", "ar", "caar", "caar_category", "cav", "bhar")}
    expected["car_distribution"] = EVENT_PX
    for kind in ("heatmap", "timeline"):
        w, h = result.plot(kind=kind).get_size_inches() * plots.DPI
        expected[kind] = (round(h), round(w))
    # The heat map grows with the events (4 here), the timeline with its key.
    assert expected["heatmap"][0] > 500
    assert expected["timeline"][1] == 2200
    for name, kind, event in plots.figure_names(result):
        pixels = matplotlib.image.imread(folder / f"{name}.png")
        if kind in ("volume", "volatility"):  # one panel per security: drawn size
            w, h = plots.figure(result, kind, event).get_size_inches() * plots.DPI
            expected[kind] = (round(h), round(w))
        assert pixels.shape[:2] == expected[kind], name
        assert pixels.std() > 0.05, f"{name}.png is blank"


def test_png_bytes_equal_savefig_then_palette(result: StudyResult) -> None:
    """The PNGs read from Agg's buffer are the bytes of matplotlib's own ``savefig`` to
    an RGB PNG at the same dpi, quantized to the same 256-colour palette."""
    import io

    from PIL import Image

    from eventstudy.outputs.plots.jobs import PNG_COMPRESSION, render

    for name, kind, event in list(plots.figure_names(result))[:8]:
        buffer = io.BytesIO()
        plots.figure(result, kind, event).savefig(buffer, format="png", dpi=plots.DPI)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        palette = image.quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        expected = io.BytesIO()
        palette.save(expected, format="png", compress_level=PNG_COMPRESSION)
        assert render(plots.figure(result, kind, event)) == expected.getvalue(), name


def test_svgs_are_svg_without_a_timestamp(result: StudyResult, folder: Path) -> None:
    root = ET.parse(folder / "caar.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "648pt"  # 9 inches
    text = (folder / "election-2024" / "car.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in text


def test_unknown_format_is_refused(result: StudyResult, tmp_path: Path) -> None:
    with pytest.raises(EventStudyError, match="formats"):
        plots.save_figures(result, tmp_path, formats=("jpg",))


# ----------------------------------------------------------------------------------
# Plotted data equal the CSV files
# ----------------------------------------------------------------------------------


def test_car_lines_and_bands_equal_the_csv(result: StudyResult, folder: Path) -> None:
    ar = pd.read_csv(folder / "abnormal_returns.csv")
    models = pd.read_csv(folder / "models.csv").set_index(["event_id", "ticker"])
    for event_id in dict.fromkeys(ar["event_id"]):
        ax = main_axes(result.plot(event_id, kind="car"))
        rows = ar[ar["event_id"] == event_id]
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        tickers = list(dict.fromkeys(rows["ticker"]))
        assert len(bands) == len(tickers)
        for ticker, band in zip(tickers, bands, strict=True):
            pair = rows[rows["ticker"] == ticker]
            line = labelled(ax, ticker)
            path, se = from_day0(pair)
            np.testing.assert_array_equal(line.get_xdata(), pair["rel_day"])
            np.testing.assert_allclose(line.get_ydata(), path * 100, rtol=1e-9, atol=1e-12)
            # day +1 of the path is the CAR[0, +1] of car.csv
            car01 = result.car_window(0, 1).set_index(["event_id", "ticker"])["car"]
            at1 = line.get_ydata()[list(pair["rel_day"]).index(1)]
            assert at1 == pytest.approx(car01[(event_id, ticker)] * 100, rel=1e-9)
            half = critical(models.loc[(event_id, ticker), ["n_est"]]) * se * 100
            verts = band.get_paths()[0].vertices
            for day, car, h in zip(pair["rel_day"], path * 100, half, strict=True):
                ys = verts[np.isclose(verts[:, 0], day), 1]
                np.testing.assert_allclose([ys.min(), ys.max()], [car - h, car + h], rtol=1e-9)


def test_ar_bars_and_stars_equal_the_csv(result: StudyResult, folder: Path) -> None:
    ar = pd.read_csv(folder / "abnormal_returns.csv")
    models = pd.read_csv(folder / "models.csv").set_index(["event_id", "ticker"])
    for event_id in dict.fromkeys(ar["event_id"]):
        ax = main_axes(result.plot(event_id, kind="ar"))
        rows = ar[ar["event_id"] == event_id]
        bars = {c.get_label(): c for c in ax.collections if isinstance(c, PolyCollection)}
        tickers = list(dict.fromkeys(rows["ticker"]))
        assert list(bars) == tickers
        n_stars = 0
        for k, ticker in enumerate(tickers):
            pair = rows[rows["ticker"] == ticker]
            centres, heights = bar_heights(bars[ticker])
            offset = (k - (len(tickers) - 1) / 2) * 0.8 / len(tickers)
            np.testing.assert_allclose(centres, pair["rel_day"] + offset, atol=1e-12)
            np.testing.assert_allclose(heights, pair["ar"] * 100, rtol=1e-12, atol=1e-14)
            crit = critical(models.loc[(event_id, ticker), ["n_est"]])
            n_stars += int((pair["ar"].abs() > crit * pair["ar_se"]).sum())
        assert sum(t.get_text() == "*" for t in ax.texts) == n_stars


def test_caar_line_and_band_follow_the_documented_formula(
    result: StudyResult, folder: Path
) -> None:
    ar = pd.read_csv(folder / "abnormal_returns.csv")
    ax = main_axes(result.plot(kind="caar"))
    by_day = ar.groupby("rel_day")["car"]
    n, mean, sd = by_day.count(), by_day.mean(), by_day.std(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)

    caar = labelled(ax, "CAAR")
    np.testing.assert_array_equal(caar.get_xdata(), mean.index)
    np.testing.assert_allclose(caar.get_ydata(), mean * 100, rtol=1e-12)
    band = ax.collections[0].get_paths()[0].vertices
    for day in mean.index:
        ys = band[np.isclose(band[:, 0], day), 1]
        np.testing.assert_allclose(
            [ys.min(), ys.max()],
            [(mean[day] - half[day]) * 100, (mean[day] + half[day]) * 100],
            rtol=1e-9,
        )
    # The same numbers as the public helper.
    table = plots.caar(result)
    np.testing.assert_allclose(table["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(table["upper"] - table["mean"], half, rtol=1e-9)
    # One dashed line per security: its mean CAR over its events.
    for ticker, rows in ar.groupby("ticker"):
        n_events = rows["event_id"].nunique()
        line = labelled(ax, f"{ticker} ({n_events} events)")
        expected = rows.groupby("rel_day")["car"].mean() * 100
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)


def test_heatmap_array_and_labels_equal_the_csv(result: StudyResult, folder: Path) -> None:
    car = pd.read_csv(folder / "car.csv")
    car = car[(car["window_start"] == 0) & (car["window_end"] == 1)]
    skipped = pd.read_csv(folder / "skipped.csv")
    fig = result.plot("heatmap")
    ax = main_axes(fig)
    array = ax.images[0].get_array()
    tickers = [t.get_text() for t in ax.get_xticklabels()]
    events = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    assert events == SUBSET
    assert tickers == ["BABA", "MPNGY", "NVDA"]
    expected = car.pivot(index="event_id", columns="ticker", values="car")
    expected = expected.reindex(index=events, columns=tickers) * 100
    np.testing.assert_array_equal(array.mask, expected.isna().to_numpy())
    np.testing.assert_allclose(array.filled(np.nan), expected.to_numpy(), rtol=1e-12)
    # Cell texts: CAR with one decimal and the stars of its p-value; skipped pairs say so.
    texts = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }
    for row in car.itertuples():
        i, j = events.index(row.event_id), tickers.index(row.ticker)
        assert texts[i, j] == f"{row.car * 100:+.1f}{stars(row.car_p)}"
    for row in skipped.itertuples():
        assert texts[events.index(row.event_id), tickers.index(row.ticker)] == "skipped"
    assert "CAR[+0,+1] (%)" in [a.get_ylabel() for a in fig.axes]


def test_timeline_lines_equal_the_prices(result: StudyResult) -> None:
    ax = main_axes(result.plot(kind="timeline"))
    prices = result.prices.adj_close
    for ticker in ["BABA", "MPNGY", "NVDA"]:
        series = prices[ticker].dropna()
        line = labelled(ax, ticker)
        np.testing.assert_array_equal(pd.DatetimeIndex(line.get_xdata()), series.index)
        np.testing.assert_allclose(line.get_ydata(), series / series.iloc[0] * 100, rtol=1e-12)
    spy = labelled(ax, "SPY (benchmark)")
    assert spy.get_linestyle() == "--"
    # One numbered marker per event, in date order.
    numbers = [t.get_text() for t in ax.texts]
    assert numbers == [str(i) for i in range(1, len(SUBSET) + 1)]
    assert ax.get_yscale() == "log"


def test_every_figure_has_title_labels_and_watermark(result: StudyResult) -> None:
    figures = {
        "car": result.plot("election-2024"),
        "ar": result.plot("election-2024", kind="ar"),
        "caar": result.plot(kind="caar"),
        "heatmap": result.plot(kind="heatmap"),
        "timeline": result.plot(kind="timeline"),
    }
    for kind, fig in figures.items():
        texts = [t.get_text() for t in fig.texts]
        assert "SYNTHETIC DATA" in texts, kind
        assert any("SYNTHETIC demo data" in t for t in texts), kind
        ax = main_axes(fig)
        if kind != "heatmap":
            assert "%" in ax.get_ylabel() or "100" in ax.get_ylabel(), kind
            assert ax.get_xlabel(), kind
    title = figures["car"].texts[0].get_text()
    assert title.startswith("Trump wins the 2024 US presidential election")
    assert "2024-11-06 05:35 America/New_York" in figures["car"].texts[1].get_text()
    # Session dates under the relative days.
    labels = [t.get_text() for t in main_axes(figures["car"]).get_xticklabels()]
    assert "0\n06 Nov" in labels
    assert figures["caar"].texts[0].get_text() == result.study.study.title


def test_plot_returns_a_figure_for_every_kind(result: StudyResult) -> None:
    for kind in ("car", "ar"):
        assert isinstance(result.plot("election-2024", kind=kind), Figure)
    for kind in ("caar", "heatmap", "timeline"):
        assert isinstance(result.plot(kind=kind), Figure)
        assert isinstance(result.plot(kind), Figure)  # the short form
    assert isinstance(result.plot(), Figure)
    assert isinstance(result.plot("heatmap", window=(0, 0)), Figure)
    with pytest.raises(EventStudyError, match="unknown plot kind"):
        result.plot("election-2024", kind="pie")
    with pytest.raises(EventStudyError, match="needs an event id"):
        result.plot(kind="ar")
    with pytest.raises(EventStudyError, match="no event with id"):
        result.plot("no-such-event")


# ----------------------------------------------------------------------------------
# Many securities; real (non-synthetic) data
# ----------------------------------------------------------------------------------

MANY = [f"S{i:02d}" for i in range(15)]


@pytest.fixture(scope="module")
def many() -> StudyResult:
    """15 securities following a market model on NY sessions; not synthetic-flagged."""
    days = sessions("XNYS")
    days = days[(days >= "2023-01-03") & (days <= "2024-12-31")]
    rng = np.random.default_rng(3)
    market = rng.normal(0.0004, 0.01, len(days))
    returns = {"SPY": market}
    for i, ticker in enumerate(MANY):
        returns[ticker] = 0.0002 + (0.5 + i / 10) * market + rng.normal(0, 0.015, len(days))
    prices = pd.DataFrame({t: 50 * np.cumprod(1 + r) for t, r in returns.items()}, index=days)
    study = parse_study(
        {
            "study": {"name": "many", "title": "Fifteen securities", "securities": MANY},
            "events": [
                {"id": "first", "date": "2024-06-12", "title": "First news"},
                {"id": "second", "date": "2024-09-18", "title": "Second news"},
            ],
        }
    )
    return run_study(study, source=FrameSource(prices))


def test_many_securities_draw_the_mean_and_a_quantile_band(many: StudyResult) -> None:
    assert len(many.models) == 2 * len(MANY)
    ar = many.abnormal_returns
    rows = ar[ar["event_id"] == "first"]
    by_day = rows.groupby("rel_day")

    ax = main_axes(many.plot("first", kind="car"))
    assert not any(line.get_label() in MANY for line in ax.lines)
    mean = labelled(ax, "mean CAR")
    paths = pd.concat(
        [
            pd.Series(from_day0(pair)[0], index=pair["rel_day"].to_numpy())
            for _, pair in rows.groupby("ticker")
        ]
    )
    by_day_path = paths.groupby(level=0)
    np.testing.assert_allclose(mean.get_ydata(), by_day_path.mean() * 100, rtol=1e-9, atol=1e-12)
    quantile = ax.collections[0].get_paths()[0].vertices
    for day, group in by_day_path:
        ys = quantile[np.isclose(quantile[:, 0], day), 1]
        np.testing.assert_allclose(
            [ys.min(), ys.max()], group.quantile([0.1, 0.9]) * 100, rtol=1e-9, atol=1e-12
        )

    ax = main_axes(many.plot("first", kind="ar"))
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bars) == 1
    _, heights = bar_heights(bars[0])
    np.testing.assert_allclose(heights, by_day["ar"].mean() * 100, rtol=1e-12)

    ax = main_axes(many.plot(kind="timeline"))
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == [
        "median",
        "SPY (benchmark)",
    ]
    ax = main_axes(many.plot(kind="caar"))
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == [
        "CAAR"
    ]


def test_real_data_figures_have_no_watermark(many: StudyResult) -> None:
    for fig in (many.plot("first"), many.plot(kind="heatmap"), many.plot(kind="timeline")):
        texts = [t.get_text() for t in fig.texts]
        assert "SYNTHETIC DATA" not in texts
        assert any("prices: frame" in t for t in texts)


def test_ar_chart_draws_the_95_bound_of_every_bar(result: StudyResult, folder: Path) -> None:
    from matplotlib.collections import LineCollection

    ar = pd.read_csv(folder / "abnormal_returns.csv")
    models = pd.read_csv(folder / "models.csv").set_index(["event_id", "ticker"])
    rows = ar[ar["event_id"] == "election-2024"]
    ax = main_axes(result.plot("election-2024", kind="ar"))
    bounds = [c for c in ax.collections if isinstance(c, LineCollection)]
    tickers = list(dict.fromkeys(rows["ticker"]))
    assert len(bounds) == len(tickers)
    for ticker, bound in zip(tickers, bounds, strict=True):
        pair = rows[rows["ticker"] == ticker]
        half = critical(models.loc[("election-2024", ticker), ["n_est"]]) * pair["ar_se"] * 100
        ys = np.array([segment[0, 1] for segment in bound.get_segments()])
        np.testing.assert_allclose(ys, np.r_[half, -half], rtol=1e-12)
    assert "±95% bound (t · s.e.)" in [line.get_label() for line in ax.lines]


def test_car_subtitle_says_where_the_path_is_anchored(result: StudyResult) -> None:
    subtitle = result.plot("election-2024").texts[1].get_text()
    assert subtitle.startswith("CAR per security from day 0 (0 at day -1), 95% bands")


def test_heatmap_rows_show_day0_and_tag_shared_day0(result: StudyResult, folder: Path) -> None:
    car = pd.read_csv(folder / "car.csv").drop_duplicates(["event_id", "ticker"])
    day0 = car.groupby("event_id")["day0"].first()
    fig = result.plot("heatmap")
    labels = [t.get_text().split() for t in main_axes(fig).get_yticklabels()]
    for parts in labels:
        assert parts[1] == day0[parts[0]]  # the tables' day 0, not the news date
    shared = day0[day0.duplicated(keep=False)]
    assert len(shared) >= 2  # the subset has two events on one day 0
    tags = {parts[0]: parts[2] if len(parts) > 2 else "" for parts in labels}
    assert len({tags[e] for e in shared.index}) == 1 and tags[shared.index[0]] == "[a]"
    assert all(tags[e] == "" for e in day0.index if e not in shared.index)
    assert any("share a day 0" in t.get_text() for t in fig.texts)


def test_car_distribution_of_few_pairs_says_why_no_t_reference(result: StudyResult) -> None:
    fig = result.plot("car_distribution")
    labels = [line.get_label() for line in main_axes(fig).lines]
    assert any(label.startswith("normal") for label in labels)
    assert not any(label.startswith("Student t") for label in labels)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert f"n = {len(result.car_window(0, 1))}" in texts
    assert f"no t reference: it needs at least {plots.distribution.T_FIT_MIN} CARs" in texts
