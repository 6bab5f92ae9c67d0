"""Tests of the ``parquet`` price source against the long CSV source on the same data.

The same hand-made prices are written as a long CSV and as Parquet in every layout
(single file, plain folder, folder partitioned by ticker, ``file://`` and fsspec
``memory://`` URLs, every Arrow date type); the source must give the csv source's
frame, volumes and hashes, read only the partitions and rows the study needs, and name
the file, row, date and column of a bad value as the csv source names the line.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import eventstudy as es
from eventstudy.core.errors import EventStudyError, PriceDataError
from eventstudy.data import get_source
from eventstudy.data.csv import CsvSource
from eventstudy.data.parquet import ParquetSource
from eventstudy.sessions.calendar import sessions

DATES = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"])
PRICES = {
    "AAA": [10.0, 10.5, 11.0, 10.8, 11.2],
    "9988.HK": [80.0, np.nan, 81.5, 82.0, 83.0],
    "^IDX": [5000.0, 5010.5, 4990.25, 5020.0, 5030.0],
}
VOLUMES = {
    "AAA": [100.0, 200.0, 300.0, 400.0, 500.0],
    "9988.HK": [1000.0, np.nan, 0.0, 3000.0, 4000.0],
    "^IDX": [7.0, 8.0, 9.0, 10.0, 11.0],
}
TICKERS = list(PRICES)
START, END = date(2024, 1, 1), date(2024, 12, 31)
DATE32 = pa.date32()


def long_frame(prices: dict[str, list[float]] = PRICES, dates: pd.DatetimeIndex = DATES):
    """The prices in the long layout, rows shuffled (order must not matter)."""
    rows = [
        (d, t, prices[t][i], VOLUMES.get(t, VOLUMES["AAA"])[i % 5])
        for t in prices
        for i, d in enumerate(dates)
    ]
    frame = pd.DataFrame(rows, columns=["date", "ticker", "adj_close", "volume"])
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)


def arrow(frame: pd.DataFrame, date_type: pa.DataType = DATE32) -> pa.Table:
    """The long frame as an Arrow table with ``date`` of ``date_type``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    column = table.column("date")
    if pa.types.is_timestamp(date_type) and date_type.tz:  # the local session date at 16:00
        local = frame["date"] + pd.Timedelta(hours=16)
        column = pa.array(local.dt.tz_localize(date_type.tz), date_type)
    elif pa.types.is_string(date_type):
        column = pa.array(frame["date"].dt.strftime("%Y-%m-%d"))
    else:
        column = column.cast(date_type)
    return table.set_column(0, "date", column)


def write_long_csv(folder: Path, frame: pd.DataFrame) -> Path:
    path = folder / "long.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def write_file(folder: Path, frame: pd.DataFrame) -> Path:
    path = folder / "prices.parquet"
    pq.write_table(arrow(frame), path)
    return path


def write_plain_folder(folder: Path, frame: pd.DataFrame) -> Path:
    """Two files, each holding rows of every ticker, and a file pyarrow ignores."""
    out = folder / "plain"
    out.mkdir()
    half = len(frame) // 2
    pq.write_table(arrow(frame.iloc[:half]), out / "a.parquet")
    pq.write_table(arrow(frame.iloc[half:]), out / "b.parquet")
    (out / "_SUCCESS").write_text("", encoding="utf-8")
    return out


def write_partitioned(folder: Path, frame: pd.DataFrame) -> Path:
    out = folder / "partitioned"
    ds.write_dataset(
        arrow(frame), out, format="parquet", partitioning=["ticker"], partitioning_flavor="hive"
    )
    return out


LAYOUTS = {"file": write_file, "plain": write_plain_folder, "partitioned": write_partitioned}


def expected() -> pd.DataFrame:
    index = pd.DatetimeIndex(DATES, name="date").as_unit("ns")
    return pd.DataFrame({t: PRICES[t] for t in TICKERS}, index=index, dtype="float64")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_gives_the_long_csv_frame(tmp_path: Path, layout: str) -> None:
    frame = long_frame()
    csv = CsvSource(write_long_csv(tmp_path, frame)).load([*TICKERS, "NONE"], START, END)
    source = ParquetSource(LAYOUTS[layout](tmp_path, frame))
    table = source.load([*TICKERS, "NONE"], START, END)
    pd.testing.assert_frame_equal(table.adj_close, expected())
    pd.testing.assert_frame_equal(table.adj_close, csv.adj_close)
    pd.testing.assert_frame_equal(table.volume, csv.volume)
    assert table.volume.loc["2024-01-04", "9988.HK"] == 0.0
    assert table.source == "parquet" and table.synthetic is False
    for t in TICKERS:  # same data, same hash and range in the manifest
        got, want = table.provenance[t], csv.provenance[t]
        assert (got.sha256, got.rows, got.first_date, got.last_date) == (
            want.sha256,
            want.rows,
            want.first_date,
            want.last_date,
        )
        assert got.detail == f"{source.location} (Parquet, long: date, ticker, adj_close)"
    assert source.rows_read == len(frame)


@pytest.mark.parametrize(
    "date_type",
    [pa.date64(), pa.timestamp("ns"), pa.timestamp("ms"), pa.timestamp("us", tz="Asia/Tokyo")],
    ids=str,
)
def test_date_types_give_the_session_dates(tmp_path: Path, date_type: pa.DataType) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(arrow(long_frame(), date_type), path)
    table = ParquetSource(path).load(TICKERS, START, END)
    pd.testing.assert_frame_equal(table.adj_close, expected())


def test_text_dates_are_parsed_like_the_csv_source(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(arrow(long_frame(), pa.string()), path)
    pd.testing.assert_frame_equal(
        ParquetSource(path).load(TICKERS, START, END).adj_close, expected()
    )


def test_tz_aware_timestamps_count_as_their_local_date(tmp_path: Path) -> None:
    # 2024-01-02 09:00 in Tokyo is 2024-01-02 00:00 UTC: the session date is the local one
    stamps = pd.DatetimeIndex(["2024-01-02 09:00", "2024-01-03 08:59"], tz="Asia/Tokyo")
    table = pa.table({"date": pa.array(stamps), "ticker": ["T", "T"], "adj_close": [1.0, 2.0]})
    pq.write_table(table, tmp_path / "p.parquet")
    got = ParquetSource(tmp_path / "p.parquet").load(["T"], date(2024, 1, 3), date(2024, 1, 3))
    assert list(got.adj_close.index.strftime("%Y-%m-%d")) == ["2024-01-03"]
    assert got.adj_close["T"].tolist() == [2.0]


def test_urls_file_and_fsspec_memory(tmp_path: Path) -> None:
    import fsspec

    frame = long_frame()
    folder = write_partitioned(tmp_path, frame)
    by_url = ParquetSource(f"file://{folder}").load(TICKERS, START, END)
    pd.testing.assert_frame_equal(by_url.adj_close, expected())
    memory = fsspec.filesystem("memory")
    with memory.open("/eventstudy-test/prices.parquet", "wb") as handle:
        pq.write_table(arrow(frame), handle)
    try:
        url = "memory://eventstudy-test/prices.parquet"
        table = ParquetSource(url).load(TICKERS, START, END)
        pd.testing.assert_frame_equal(table.adj_close, expected())
        assert table.provenance["AAA"].detail.startswith(url)
    finally:
        memory.rm("/eventstudy-test", recursive=True)


def test_other_partitions_are_never_opened(tmp_path: Path) -> None:
    folder = write_partitioned(tmp_path, long_frame())
    for part in folder.glob("ticker=*/*.parquet"):
        if "AAA" not in part.parent.name:  # unreadable: opening it would fail
            part.write_bytes(b"not parquet at all")
    table = ParquetSource(folder).load(["AAA", "NONE"], START, END)
    assert list(table.adj_close.columns) == ["AAA"]
    with pytest.raises(PriceDataError) as exc:  # ... and opening one does fail, naming it
        ParquetSource(folder).load(["AAA", "^IDX"], START, END)
    assert "ticker=%5EIDX" in str(exc.value) and "not a readable Parquet dataset" in str(exc.value)


def test_only_the_tickers_and_dates_of_the_span_are_read(tmp_path: Path) -> None:
    days = pd.DatetimeIndex(sessions("XNYS")[:400])
    rng = np.random.default_rng(5)
    others = {f"X{i:03d}": list(50 + rng.random(len(days))) for i in range(30)}
    frame = long_frame({"AAA": list(10 + rng.random(len(days))), **others}, days)
    frame = frame.sort_values(["ticker", "date"])
    path = tmp_path / "big.parquet"
    pq.write_table(arrow(frame), path, row_group_size=100)
    start, end = days[100].date(), days[149].date()
    source = ParquetSource(path)
    table = source.load(["AAA", "X007"], start, end)
    assert source.rows_read == 2 * 50  # two tickers x 50 sessions, of 31 x 400 rows
    assert table.adj_close.shape == (50, 2)
    want = frame[frame["ticker"] == "X007"].set_index("date")["adj_close"]
    want = want.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    np.testing.assert_array_equal(table.adj_close["X007"].to_numpy(), want.to_numpy())
    # the same cut from a timestamp column: a day's margin is read, then cut to the span
    pq.write_table(arrow(frame, pa.timestamp("ns")), path, row_group_size=100)
    cut = source.load(["AAA", "X007"], start, end)
    margin = (days >= pd.Timestamp(start) - pd.Timedelta(days=1)) & (
        days < pd.Timestamp(end) + pd.Timedelta(days=2)
    )
    assert source.rows_read == 2 * margin.sum() > 2 * 50
    pd.testing.assert_frame_equal(cut.adj_close, table.adj_close)


def test_partition_values_stay_text(tmp_path: Path) -> None:
    frame = long_frame({"0700": PRICES["AAA"], "^IDX": PRICES["^IDX"]})
    folder = write_partitioned(tmp_path, frame)
    assert (folder / "ticker=0700").is_dir()
    table = ParquetSource(folder).load(["0700", "^IDX"], START, END)
    assert table.adj_close["0700"].tolist() == PRICES["AAA"]


def test_ticker_both_in_the_path_and_the_file(tmp_path: Path) -> None:
    (tmp_path / "ticker=AAA").mkdir()
    pq.write_table(arrow(long_frame({"AAA": PRICES["AAA"]})), tmp_path / "ticker=AAA" / "p.parquet")
    assert (
        ParquetSource(tmp_path).load(["AAA"], START, END).adj_close["AAA"].tolist()
        == (PRICES["AAA"])
    )


def bad(tmp_path: Path, **changes: object) -> Path:
    """The hand-made file with one cell changed: ``changes`` maps column to (row, value)."""
    frame = long_frame().sort_values(["ticker", "date"]).reset_index(drop=True)
    for column, (row, value) in changes.items():
        frame.loc[row, column] = value
    path = tmp_path / "bad.parquet"
    pq.write_table(arrow(frame), path)
    return path


@pytest.mark.parametrize(
    ("changes", "texts"),
    [
        (
            {"adj_close": (7, -1.0)},
            ["field 'adj_close'", "row 8 (2024-01-04)", "ticker 'AAA'", "'-1.0' is not a positive"],
        ),
        ({"adj_close": (2, 0.0)}, ["row 3 (2024-01-04)", "ticker '9988.HK'", "positive price"]),
        ({"adj_close": (1, np.inf)}, ["row 2", "'inf' is not a number"]),
        ({"volume": (11, -5.0)}, ["field 'volume'", "row 12", "'-5.0' is negative"]),
        (
            {"date": (1, pd.Timestamp("2024-01-02"))},
            ["field 'date'", "row 2", "duplicate row for ticker '9988.HK' on date 2024-01-02"],
        ),
        ({"date": (12, pd.NaT)}, ["field 'date'", "row 13", "empty date"]),
    ],
    ids=["negative", "zero", "infinite", "negative volume", "duplicate", "no date"],
)
def test_bad_rows_name_file_row_date_and_column(
    tmp_path: Path, changes: dict[str, tuple[int, object]], texts: list[str]
) -> None:
    path = bad(tmp_path, **changes)
    with pytest.raises(PriceDataError) as exc:
        ParquetSource(path).load(TICKERS, START, END)
    message = str(exc.value)
    assert message.startswith(str(path)) and "\n" not in message
    for text in texts:
        assert text in message, message


def test_the_csv_source_gives_the_same_message_for_a_bad_price(tmp_path: Path) -> None:
    frame = long_frame().sort_values(["ticker", "date"]).reset_index(drop=True)
    frame.loc[7, "adj_close"] = -1.0
    with pytest.raises(PriceDataError) as by_csv:
        CsvSource(write_long_csv(tmp_path, frame)).load(TICKERS, START, END)
    with pytest.raises(PriceDataError) as by_parquet:
        ParquetSource(write_file(tmp_path, frame)).load(TICKERS, START, END)
    # "line 9" (the header is line 1) and "row 8" name the same record
    assert (
        str(by_csv.value).split(": ", 1)[1].replace("line 9", "row 8").replace("'-1'", "'-1.0'")
        == str(by_parquet.value).split(": ", 1)[1]
    )


def test_a_bad_row_outside_the_span_or_of_another_ticker_is_not_read(tmp_path: Path) -> None:
    path = bad(tmp_path, adj_close=(9, -1.0))  # AAA on 2024-01-08
    table = ParquetSource(path).load(TICKERS, START, date(2024, 1, 5))
    assert table.adj_close.index[-1] == pd.Timestamp("2024-01-05")
    assert ParquetSource(path).load(["^IDX"], START, END).tickers == ["^IDX"]


def test_a_row_repeated_in_two_files_names_both(tmp_path: Path) -> None:
    frame = long_frame()
    out = tmp_path / "plain"
    out.mkdir()
    pq.write_table(arrow(frame), out / "a.parquet")
    pq.write_table(arrow(frame[frame["ticker"] == "AAA"].head(1)), out / "b.parquet")
    with pytest.raises(PriceDataError) as exc:
        ParquetSource(out).load(TICKERS, START, END)
    message = str(exc.value)
    assert "duplicate row for ticker 'AAA'" in message
    assert "a.parquet" in message and "b.parquet" in message


@pytest.mark.parametrize(
    ("table", "texts"),
    [
        (
            pa.table({"day": ["2024-01-02"], "ticker": ["A"], "adj_close": [1.0]}),
            ["field 'date'", "no 'date' column", "the columns are day, ticker, adj_close"],
        ),
        (
            pa.table({"date": ["2024-01-02"], "symbol": ["A"], "adj_close": [1.0]}),
            ["field 'ticker'", "no 'ticker' column"],
        ),
        (
            pa.table({"date": ["2024-01-02"], "ticker": ["A"], "close": [1.0]}),
            ["field 'adj_close'", "no 'adj_close' column"],
        ),
        (
            pa.table({"date": ["2024-01-02"], "ticker": ["A"], "adj_close": ["1.0"]}),
            ["field 'adj_close'", "holds string, not numbers (prices)"],
        ),
        (
            pa.table({"date": [1], "ticker": ["A"], "adj_close": [1.0]}),
            ["field 'date'", "holds int64, not dates"],
        ),
        (
            pa.table({"date": ["2024-01-02"], "ticker": [1], "adj_close": [1.0]}),
            ["field 'ticker'", "not text"],
        ),
    ],
    ids=["no date", "no ticker", "no adj_close", "text prices", "int dates", "int tickers"],
)
def test_wrong_columns_name_the_file_and_column(
    tmp_path: Path, table: pa.Table, texts: list[str]
) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    with pytest.raises(PriceDataError) as exc:
        ParquetSource(path).load(["A"], START, END)
    assert str(exc.value).startswith(str(path))
    for text in texts:
        assert text in str(exc.value)


def test_column_names_match_like_the_csv_source(tmp_path: Path) -> None:
    frame = long_frame().rename(
        columns={"date": "Date", "ticker": "Ticker", "adj_close": "Adj Close"}
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "p.parquet")
    table = ParquetSource(tmp_path / "p.parquet").load(TICKERS, START, END)
    pd.testing.assert_frame_equal(table.adj_close, expected())
    assert "Adj Close" in table.provenance["AAA"].detail


@pytest.mark.parametrize(
    ("make", "texts"),
    [
        (lambda p: p / "nowhere.parquet", ["nowhere.parquet", "no such file or folder"]),
        (
            lambda p: (p / "x.parquet", (p / "x.parquet").write_bytes(b"PAR1 junk"))[0],
            ["x.parquet", "not a readable Parquet dataset"],
        ),
        (
            lambda p: (p / "e", (p / "e").mkdir(), (p / "e" / ".hidden").write_text("x"))[0],
            ["the folder holds no Parquet files"],
        ),
    ],
    ids=["missing", "not parquet", "empty folder"],
)
def test_unusable_paths_raise_one_line(tmp_path: Path, make, texts: list[str]) -> None:
    path = make(tmp_path)
    with pytest.raises(PriceDataError) as exc:
        ParquetSource(path).load(["A"], START, END)
    for text in texts:
        assert text in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_half_partitioned_folder_is_an_error(tmp_path: Path) -> None:
    folder = write_partitioned(tmp_path, long_frame())
    pq.write_table(arrow(long_frame()), folder / "loose.parquet")
    with pytest.raises(PriceDataError, match=r"loose.parquet: the folder is partitioned by ticker"):
        ParquetSource(folder).load(["AAA"], START, END)


def test_unknown_url_scheme_is_an_error() -> None:
    with pytest.raises(PriceDataError, match="nope://x/prices: cannot open the URL"):
        ParquetSource("nope://x/prices").load(["A"], START, END)


def test_get_source_chooses_parquet(tmp_path: Path) -> None:
    assert isinstance(get_source("parquet", tmp_path / "p"), ParquetSource)
    assert isinstance(get_source(None, tmp_path / "prices.parquet"), ParquetSource)
    assert isinstance(get_source(None, str(tmp_path / "prices.csv")), CsvSource)
    with pytest.raises(EventStudyError, match="parquet source needs a prices file"):
        get_source("parquet")
    with pytest.raises(PriceDataError, match="not DataFrame"):
        get_source("parquet", long_frame())


# -- a whole study: Parquet and long CSV give the same tables --------------------------


@pytest.fixture(scope="module")
def firm_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, es.Study]:
    """A firm-specific study (8 securities x 3 own dates) and its long prices."""
    tmp = tmp_path_factory.mktemp("firm")
    days = pd.DatetimeIndex(sessions("XNYS")[(sessions("XNYS") >= "2021-01-04")][:700])
    rng = np.random.default_rng(11)
    market = rng.normal(0.0004, 0.01, len(days))
    prices = {"SPY": 300 * np.cumprod(1 + market)}
    events = []
    for k in range(8):
        r = 0.0002 + (0.6 + 0.1 * k) * market + rng.normal(0, 0.02, len(days))
        for j, at in enumerate((300, 450, 600)):
            r[at + k] += 0.05  # a planted day-0 effect
            events.append({"ticker": f"F{k}", "date": days[at + k].strftime("%Y-%m-%d")})
            del j
        prices[f"F{k}"] = 50 * np.cumprod(1 + r)
    wide = pd.DataFrame(prices, index=days)
    volume = pd.DataFrame(rng.integers(1000, 9000, wide.shape), index=days, columns=wide.columns)
    long = wide.stack().rename("adj_close").reset_index()
    long.columns = ["date", "ticker", "adj_close"]
    long["volume"] = volume.stack().to_numpy().astype("float64")
    long = pd.concat(  # another security and years of dates the study does not need
        [long, pd.DataFrame({"date": days, "ticker": "OTHER", "adj_close": 7.0, "volume": 1.0})]
    )
    study = es.Study.from_frame(pd.DataFrame(events), name="firm", benchmark="SPY")
    return tmp, long.reset_index(drop=True), study


@pytest.mark.parametrize("layout", ["file", "partitioned"])
def test_a_study_from_parquet_equals_the_long_csv(firm_study, layout: str) -> None:
    tmp, long, study = firm_study
    folder = tmp / layout
    folder.mkdir(exist_ok=True)
    csv_path = folder / "long.csv"
    long.to_csv(csv_path, index=False, date_format="%Y-%m-%d")
    table = pa.Table.from_pandas(long, preserve_index=False)
    table = table.set_column(0, "date", table.column("date").cast(pa.date32()))
    if layout == "file":
        data = folder / "prices.parquet"
        pq.write_table(table, data)
    else:
        data = folder / "dataset"
        ds.write_dataset(
            table, data, format="parquet", partitioning=["ticker"], partitioning_flavor="hive"
        )
    by_csv = study.run(source="csv", prices=csv_path, tests=["cs_t", "patell_z"])
    by_parquet = study.run(source="parquet", prices=str(data), tests=["cs_t", "patell_z"])
    assert len(by_parquet.car) == 8 * 3 * 5 and by_parquet.skipped.empty
    by_csv.save(folder / "csv", plots=False)
    by_parquet.save(folder / "parquet", plots=False)
    for name in ("car.csv", "abnormal_returns.csv", "models.csv", "tests.csv", "skipped.csv"):
        got = (folder / "parquet" / "firm" / name).read_bytes()
        assert got == (folder / "csv" / "firm" / name).read_bytes(), name
    pd.testing.assert_frame_equal(by_parquet.prices.volume, by_csv.prices.volume)
    day0 = by_parquet.car[by_parquet.car["window_start"] == 0]
    day0 = day0[day0["window_end"] == 0]
    assert day0["car"].mean() == pytest.approx(0.05, abs=0.01)  # the planted effect
    manifests = [
        json.loads((folder / kind / "firm" / "manifest.json").read_text(encoding="utf-8"))
        for kind in ("csv", "parquet")
    ]
    assert manifests[1]["data"]["source"] == "parquet"
    for ticker, record in manifests[1]["data"]["tickers"].items():
        want = manifests[0]["data"]["tickers"][ticker]
        assert {k: record[k] for k in ("sha256", "rows", "first_date", "last_date")} == {
            k: want[k] for k in ("sha256", "rows", "first_date", "last_date")
        }
    assert "OTHER" not in manifests[1]["data"]["tickers"]


def test_cli_runs_a_parquet_dataset_given_as_a_url(firm_study) -> None:
    from typer.testing import CliRunner

    from eventstudy.cli.app import app

    tmp, long, study = firm_study
    table = pa.Table.from_pandas(long, preserve_index=False)
    data = tmp / "cli-dataset"
    ds.write_dataset(
        table, data, format="parquet", partitioning=["ticker"], partitioning_flavor="hive"
    )
    events = pd.DataFrame([{"ticker": e.securities[0], "date": e.date} for e in study.events])
    events.to_csv(tmp / "earnings.csv", index=False)
    args = ["run", str(tmp / "earnings.csv"), "--source", "parquet", "--prices", f"file://{data}"]
    args += ["--benchmark", "SPY", "--no-plots", "--tests", "cs_t", "--out", str(tmp / "cli")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    missing = CliRunner().invoke(app, [*args[:5], str(tmp / "nowhere"), *args[6:]])
    assert missing.exit_code == 2
    assert "nowhere: no such file or folder" in missing.output
