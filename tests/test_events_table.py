"""Events from tables (CSV, Parquet) and DataFrames, and prices from DataFrames.

The same events as a YAML list, a CSV table, a Parquet table and a DataFrame give
byte-identical result tables; a table alone runs with the default study settings; every
problem names the file, the line (or row) and the column.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import ConfigError, EventStudyError, SkippedPairsWarning
from eventstudy.data.demo import demo_prices
from eventstudy.events.events_table import events_from_frame
from eventstudy.study import load_study

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("abnormal_returns.csv", "car.csv", "models.csv", "skipped.csv", "tests.csv")
runner = CliRunner()


def _seed_events_table() -> tuple[dict, pd.DataFrame]:
    """The seed study's YAML document and its events as a table (every field kept)."""
    raw = yaml.safe_load((ROOT / "events.yaml").read_text(encoding="utf-8"))
    rows = []
    for e in raw["events"]:
        row = dict(e)
        if "securities" in row:
            row["securities"] = "; ".join(row["securities"])
        row["date"] = str(row["date"])
        rows.append(row)
    return raw, pd.DataFrame(rows)


def _run_and_save(study: es.Study, out: Path) -> Path:
    result = study.run(source="demo", tests=["cs_t", "kp_bmp_t", "corrado_rank_z"])
    result.save(out, plots=False)
    return out / study.study.name


@pytest.fixture(scope="module")
def same_events_four_ways(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("four-ways")
    raw, table = _seed_events_table()
    table.to_csv(tmp / "events.csv", index=False)
    table.to_parquet(tmp / "events.parquet", index=False)
    folders = {"yaml": _run_and_save(load_study(ROOT / "events.yaml"), tmp / "yaml")}
    for kind in ("csv", "parquet"):
        doc = {"study": raw["study"], "events": f"events.{kind}"}
        (tmp / f"{kind}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        folders[kind] = _run_and_save(load_study(tmp / f"{kind}.yaml"), tmp / kind)
    frame_study = es.Study.from_frame(table, **raw["study"])
    folders["frame"] = _run_and_save(frame_study, tmp / "frame")
    return folders


@pytest.mark.parametrize("kind", ["csv", "parquet", "frame"])
def test_a_table_gives_the_same_outputs_as_the_yaml_list(
    same_events_four_ways: dict[str, Path], kind: str
) -> None:
    for name in TABLES:
        expected = (same_events_four_ways["yaml"] / name).read_bytes()
        assert (same_events_four_ways[kind] / name).read_bytes() == expected, (kind, name)
    car = pd.read_csv(same_events_four_ways[kind] / "car.csv")
    assert len(car) > 100 and car["car_t"].notna().all()


def test_table_columns_become_events_and_attributes(tmp_path: Path) -> None:
    path = tmp_path / "earnings.csv"
    path.write_text(
        "Ticker,Date,EPS Surprise,sector,id,time\n"
        "NVDA,2025-01-27,0.12,tech,,\n"
        "BABA,2024-11-18,,retail,baba-q3,16:30\n"
        "NVDA,2024-11-20,-3,,,\n",
        encoding="utf-8",
    )
    study = load_study(path)
    assert study.study.name == "earnings"
    assert [e.id for e in study.events] == ["nvda-2025-01-27", "baba-q3", "nvda-2024-11-20"]
    assert [e.title for e in study.events] == [e.id for e in study.events]
    assert study.events[0].securities == ["NVDA"]
    assert study.events[1].time is not None and study.events[1].time.hour == 16
    assert study.event_attributes == ("EPS Surprise", "sector")
    assert study.events[0].attributes == {"EPS Surprise": 0.12, "sector": "tech"}
    assert study.events[1].attributes == {"sector": "retail"}  # empty cell: missing
    assert study.events[2].attributes == {"EPS Surprise": -3.0}

    result = study.run(source="demo", tests="none")
    events = result.events
    assert list(events["event_id"]) == [e.id for e in study.events]
    assert events["EPS Surprise"].tolist()[0] == 0.12 and np.isnan(events["EPS Surprise"][1])
    merged = result.car.merge(events, on="event_id")
    assert len(merged) == len(result.car)


def test_rows_without_ticker_use_the_study_securities(tmp_path: Path) -> None:
    (tmp_path / "news.csv").write_text(
        "date,securities,category\n2024-11-18,,ai\n2025-01-27,NVDA; BABA,ai\n", encoding="utf-8"
    )
    doc = {"study": {"name": "news", "securities": ["BABA", "MPNGY"]}, "events": "news.csv"}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    study = load_study(tmp_path / "study.yaml")
    assert [e.id for e in study.events] == ["2024-11-18", "nvda-baba-2025-01-27"]
    assert study.securities_for(study.events[0]) == ["BABA", "MPNGY"]
    assert study.securities_for(study.events[1]) == ["NVDA", "BABA"]
    assert study.events[0].category == "ai"


def test_every_problem_of_a_table_is_listed_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ticker,date,model\n"
        "NVDA,2025-01-27,market\n"
        "BABA,2024-02-30,market\n"
        "NVDA,2025-01-27,\n"
        ",2024-11-18,\n"
        "BABA,2024-11-19,garch-ish\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith(f"{path}: line 3: column 'date': ")
    assert lines[1].startswith(
        f"{path}: line 4: duplicate event id 'nvda-2025-01-27', also on line 2"
    )
    assert lines[2] == (
        f"{path}: line 5: column 'ticker': empty 'ticker', and the study names no default "
        "securities (study.securities)"
    )
    assert lines[3].startswith(f"{path}: line 6: column 'model': ")
    assert len(lines) == 4

    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {line}" for line in lines]


def test_validate_lists_the_attribute_columns(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("ticker,date,premium,acquirer\nNVDA,2025-01-27,0.3,X\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "columns kept as attributes: premium, acquirer" in result.stdout


def test_from_frame_names_rows_and_settings() -> None:
    frame = pd.DataFrame({"ticker": ["NVDA", "NVDA"], "date": ["2025-01-27", "27/01/2025"]})
    with pytest.raises(ConfigError, match=r"<events DataFrame>: row 2: column 'date': "):
        es.Study.from_frame(frame)
    good = pd.DataFrame({"ticker": ["NVDA"], "date": pd.to_datetime(["2025-01-27"])})
    with pytest.raises(ConfigError, match=r"field 'event_window': "):
        es.Study.from_frame(good, event_window=(5, -5))
    study = es.Study.from_frame(good, benchmark="QQQ", car_windows=[(0, 0)])
    assert study.events[0].id == "nvda-2025-01-27"
    assert study.study.benchmark == "QQQ" and study.study.car_windows == [(0, 0)]
    with pytest.raises(ConfigError, match="expected a pandas DataFrame"):
        events_from_frame([1, 2])  # type: ignore[arg-type]


def test_table_alone_on_the_command_line(tmp_path: Path) -> None:
    prices, _ = demo_prices()
    prices.to_csv(tmp_path / "prices.csv", index_label="date")
    (tmp_path / "Earnings 2024.csv").write_text(
        "ticker,date\nNVDA,2025-01-27\nBABA,2024-11-18\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "Earnings 2024.csv"), "--prices", str(tmp_path / "prices.csv")]
    result = runner.invoke(app, [*args, "--no-plots", "--out", str(out), "--tests", "none"])
    assert result.exit_code == 0, result.output
    car = pd.read_csv(out / "earnings-2024" / "car.csv")
    assert set(car["event_id"]) == {"nvda-2025-01-27", "baba-2024-11-18"}
    assert set(car["benchmark"]) == {"SPY"}

    result = runner.invoke(
        app, [*args, "--no-plots", "--out", str(out), "--tests", "none",
              "--benchmark", "KWEB", "--name", "mine", "--model", "market-adjusted"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    car = pd.read_csv(out / "mine" / "car.csv")
    assert set(car["benchmark"]) == {"KWEB"} and set(car["model"]) == {"market-adjusted"}
    (tmp_path / "dates.csv").write_text("date\n2025-01-27\n", encoding="utf-8")
    result = runner.invoke(
        app, ["run", str(tmp_path / "dates.csv"), "--prices", str(tmp_path / "prices.csv"),
              "--securities", "NVDA, BABA", "--no-plots", "--tests", "none", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    car = pd.read_csv(out / "dates" / "car.csv")
    assert set(car["ticker"]) == {"NVDA", "BABA"} and set(car["event_id"]) == {"2025-01-27"}
    bad = runner.invoke(app, [*args, "--name", "Not A Slug", "--out", str(out)])
    assert bad.exit_code == 2 and "field 'name'" in bad.stderr


# ------------------------------------------------------------------ prices as a DataFrame


@pytest.fixture(scope="module")
def demo_run() -> tuple[es.Study, es.StudyResult, pd.DataFrame, pd.DataFrame]:
    prices, volumes = demo_prices()
    # returns only: a wide frame has no volumes (events.yaml also measures volume)
    study = load_study(ROOT / "events.yaml", measures=["return", "volatility"])
    return study, study.run(source="demo", tests="none"), prices, volumes


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    """A wide frame as long rows date, ticker, adj_close (missing values kept)."""
    stacked = wide.rename_axis(columns="ticker").stack()
    return stacked.rename("adj_close").reset_index()


def _same_results(a: es.StudyResult, b: es.StudyResult) -> None:
    pd.testing.assert_frame_equal(a.car, b.car)
    pd.testing.assert_frame_equal(a.abnormal_returns, b.abnormal_returns)
    pd.testing.assert_frame_equal(a.models, b.models)


def test_wide_and_long_frames_give_the_demo_results(demo_run, tmp_path: Path) -> None:
    study, expected, prices, volumes = demo_run
    wide = study.run(prices=prices, tests="none")
    _same_results(wide, expected)
    assert wide.prices.source == "frame" and not wide.synthetic
    assert wide.manifest()["data"]["source"] == "frame"
    with_column = study.run(prices=prices.reset_index(), tests="none")
    _same_results(with_column, expected)

    long = _long(prices)
    volume = _long(volumes).set_index(["date", "ticker"])["adj_close"]
    long["volume"] = volume.reindex(pd.MultiIndex.from_frame(long[["date", "ticker"]])).to_numpy()
    long = long.sample(frac=1.0, random_state=1)  # row order does not matter
    from_long = study.run(prices=long, tests="none")
    _same_results(from_long, expected)
    loaded = from_long.prices.volume
    assert loaded is not None and len(loaded.columns) >= 3
    expected_volume = volumes.reindex(index=loaded.index, columns=loaded.columns)
    np.testing.assert_array_equal(loaded.to_numpy(), expected_volume.to_numpy())
    # the hash of each ticker is the csv source's hash of the same prices
    prices.to_csv(tmp_path / "p.csv", index_label="date")
    from_csv = study.run(prices=tmp_path / "p.csv", tests="none")  # a path: the csv source
    assert from_csv.prices.source == "csv"
    for ticker, prov in wide.prices.provenance.items():
        assert prov.sha256 == from_csv.prices.provenance[ticker].sha256


def test_frame_problems_are_named_like_a_csv_file(demo_run) -> None:
    study, _, prices, _ = demo_run
    bad = prices.copy()
    bad.iloc[300, bad.columns.get_loc("NVDA")] = -2.0
    day = bad.index[300].strftime("%Y-%m-%d")
    with pytest.raises(
        EventStudyError, match=rf"field 'NVDA': row 301 \({day}\): '-2.0' is not a positive price"
    ):
        study.run(prices=bad)
    long = _long(prices).astype({"adj_close": object})
    long.loc[5, "adj_close"] = "n/a?"
    with pytest.raises(
        EventStudyError, match=r"row 6 \(.*\), ticker '.*': 'n/a\?' is not a number"
    ):
        study.run(prices=long)
    repeated = pd.concat([prices.iloc[:3], prices.iloc[2:3]])
    with pytest.raises(EventStudyError, match=r"row 4: duplicate date .* \(first on row 3\)"):
        study.run(prices=repeated)
    with pytest.raises(EventStudyError, match="give the frame a DatetimeIndex or a 'date' column"):
        study.run(prices=prices.reset_index(drop=True))
    with pytest.raises(
        EventStudyError, match="argument 'prices': prices have no effect with the demo source"
    ):
        study.run(source="demo", prices=prices)


def test_prices_on_non_sessions_are_named_and_recorded() -> None:
    days = pd.bdate_range("2023-01-02", "2025-06-30", name="date")  # holidays included
    rng = np.random.default_rng(3)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 2)), axis=0)),
        index=days,
        columns=["SPY", "NVDA"],
    )
    study = es.Study.from_frame(pd.DataFrame({"ticker": ["NVDA"], "date": ["2025-01-27"]}))
    with pytest.warns(
        UserWarning,
        match=r"not XNYS sessions are left out: NVDA 13 rows "
        r"\(2024-01-15, 2024-02-19, 2024-03-29, \.\.\.\); SPY 13 rows",
    ) as caught:
        result = study.run(prices=prices, tests="none")
    assert len(caught) == 1
    off = result.manifest()["data"]["off_session"]
    assert off["NVDA"]["rows"] == 13 and "2024-07-04" in off["NVDA"]["dates"]
    # the 13 are exactly the loaded weekdays that are NYSE holidays (exchange_calendars)
    from eventstudy.sessions.calendar import get_calendar

    loaded = result.prices.adj_close.index
    holidays = loaded[~loaded.isin(get_calendar("XNYS").sessions)]
    assert len(holidays) == 13
    assert off["NVDA"]["dates"] == [d.strftime("%Y-%m-%d") for d in holidays]
    # a clean frame gives no warning
    sessions = es.load_study(ROOT / "events.yaml", measures=["return"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SkippedPairsWarning)  # the demo's missing NVDA day
        sessions.run(prices=demo_prices()[0], tests="none")


def test_prices_path_without_source_means_csv_on_the_command_line(tmp_path: Path) -> None:
    prices, _ = demo_prices()
    prices.to_csv(tmp_path / "p.csv", index_label="date")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(ROOT / "events.yaml"), "--prices", str(tmp_path / "p.csv"),
              "--measures", "return", "--no-plots", "--tests", "none", "--out", str(out),
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "us-china-ai" / "car.csv").is_file()
    manifest = yaml.safe_load((out / "us-china-ai" / "manifest.json").read_text())
    assert manifest["data"]["source"] == "csv"
    bad = runner.invoke(app, ["run", "--source", "yahoo", "--prices", str(tmp_path / "p.csv")])
    assert bad.exit_code == 2
    assert "prices have no effect with the yahoo source" in bad.stderr


def test_run_signature_is_documented() -> None:
    import inspect

    params = inspect.signature(es.Study.run).parameters
    assert {"source", "prices", "event_ids", "tests", "engine", "offline"} <= set(params)
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    assert "DataFrame" in (es.Study.run.__doc__ or "")


def test_study_level_problems_are_listed_beside_the_table_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("ticker,date,model\nNVDA,2025-01-27,factor\nNVDA,2025-01-27,market\n")
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: the factor model needs study.factors (tickers) or study.factors_file",
        f"{path}: line 3: duplicate event id 'nvda-2025-01-27', also on line 2 (generated "
        "from ticker and date: add an 'id' column to tell them apart)",
    ]
