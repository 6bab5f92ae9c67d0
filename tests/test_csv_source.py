"""Tests of the ``csv`` price source: the three layouts, date ranges and validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.core.errors import PriceDataError
from eventstudy.data.csv import CsvSource

DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
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
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def cell(value: float) -> str:
    """A price or volume as written in a CSV cell: empty when missing."""
    return "" if np.isnan(value) else repr(value)


def write(path: Path, lines: list[str]) -> Path:
    """Write ``lines`` as a file and return its path."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wide_file(folder: Path) -> Path:
    """The hand-made prices as a wide file."""
    rows = ["Date," + ",".join(TICKERS)]
    rows += [d + "," + ",".join(cell(PRICES[t][i]) for t in TICKERS) for i, d in enumerate(DATES)]
    return write(folder / "wide.csv", rows)


def long_file(folder: Path) -> Path:
    """The hand-made prices as a long file, rows not in date order, a blank price kept."""
    rows = ["date,ticker,Adj Close,volume"]
    for t in reversed(TICKERS):
        for i in reversed(range(len(DATES))):
            rows.append(f"{DATES[i]},{t},{cell(PRICES[t][i])},{cell(VOLUMES[t][i])}")
    return write(folder / "long.csv", rows)


def ticker_folder(folder: Path) -> Path:
    """The hand-made prices as per-ticker files, in three header spellings."""
    out = folder / "prices"
    out.mkdir()
    yahoo = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    snake = ["date,open,high,low,close,adj_close,volume"]
    close_only = ["date,open,high,low,close,volume"]
    for t, header in zip(TICKERS, (yahoo, snake, close_only), strict=True):
        rows = list(header)
        for i, d in enumerate(DATES):
            p, v = PRICES[t][i], VOLUMES[t][i]
            if np.isnan(p):
                continue  # the security did not trade: no row at all
            adj = [] if header is close_only else [cell(p)]
            rows.append(",".join([d, "1", "2", "0.5", cell(p), *adj, cell(v)]))
        write(out / f"{t}.csv", rows)
    return out


LAYOUTS = {"wide": wide_file, "long": long_file, "folder": ticker_folder}


def expected(frame: dict[str, list[float]], tickers: list[str]) -> pd.DataFrame:
    """The wide frame every layout should give for ``tickers``."""
    index = pd.DatetimeIndex(pd.to_datetime(DATES), name="date").as_unit("ns")
    return pd.DataFrame({t: frame[t] for t in tickers}, index=index, dtype="float64")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_gives_the_same_frame(tmp_path: Path, layout: str) -> None:
    table = CsvSource(LAYOUTS[layout](tmp_path)).load(TICKERS, START, END)
    pd.testing.assert_frame_equal(table.adj_close, expected(PRICES, TICKERS))
    assert table.source == "csv"
    assert table.synthetic is False
    assert set(table.provenance) == set(TICKERS)
    assert table.provenance["9988.HK"].rows == 4
    assert table.provenance["AAA"].first_date == "2024-01-02"


@pytest.mark.parametrize("layout", ["long", "folder"])
def test_volumes_are_read_when_present(tmp_path: Path, layout: str) -> None:
    table = CsvSource(LAYOUTS[layout](tmp_path)).load(TICKERS, START, END)
    assert table.volume is not None
    volumes = expected(VOLUMES, TICKERS)
    volumes.loc["2024-01-03", "9988.HK"] = np.nan
    pd.testing.assert_frame_equal(table.volume, volumes)


def test_wide_file_has_no_volumes(tmp_path: Path) -> None:
    assert CsvSource(wide_file(tmp_path)).load(TICKERS, START, END).volume is None


def test_provenance_names_the_file_and_layout(tmp_path: Path) -> None:
    folder = ticker_folder(tmp_path)
    provenance = CsvSource(folder).load(TICKERS, START, END).provenance
    assert "AAA.csv" in provenance["AAA"].detail
    assert "Adj Close" in provenance["AAA"].detail
    assert "no adj_close column, used close" in provenance["^IDX"].detail
    wide = CsvSource(wide_file(tmp_path)).load(["AAA"], START, END).provenance["AAA"]
    assert "wide.csv" in wide.detail
    assert "wide file" in wide.detail


@pytest.mark.parametrize("layout", LAYOUTS)
def test_date_range_is_inclusive(tmp_path: Path, layout: str) -> None:
    source = CsvSource(LAYOUTS[layout](tmp_path))
    table = source.load(TICKERS, date(2024, 1, 3), date(2024, 1, 5))
    assert list(table.adj_close.index.strftime("%Y-%m-%d")) == DATES[1:4]
    assert table.provenance["AAA"].rows == 3


@pytest.mark.parametrize("layout", LAYOUTS)
def test_missing_and_differently_cased_tickers_are_left_out(tmp_path: Path, layout: str) -> None:
    table = CsvSource(LAYOUTS[layout](tmp_path)).load(["MISSING", "aaa", "^IDX"], START, END)
    assert list(table.adj_close.columns) == ["^IDX"]
    assert list(table.provenance) == ["^IDX"]


def test_no_ticker_found_gives_an_empty_frame(tmp_path: Path) -> None:
    table = CsvSource(wide_file(tmp_path)).load(["MISSING"], START, END)
    assert table.adj_close.empty
    assert isinstance(table.adj_close.index, pd.DatetimeIndex)
    assert table.tickers == []


def test_columns_follow_the_requested_order(tmp_path: Path) -> None:
    table = CsvSource(long_file(tmp_path)).load(["^IDX", "AAA", "^IDX"], START, END)
    assert list(table.adj_close.columns) == ["^IDX", "AAA"]


def test_folder_reads_index_file_without_caret(tmp_path: Path) -> None:
    write(tmp_path / "IDX.csv", ["date,adj_close", "2024-01-02,5000", "2024-01-03,5010"])
    table = CsvSource(tmp_path).load(["^IDX"], START, END)
    assert table.adj_close["^IDX"].tolist() == [5000.0, 5010.0]
    assert "IDX.csv" in table.provenance["^IDX"].detail


def test_folder_reads_only_requested_files(tmp_path: Path) -> None:
    write(tmp_path / "AAA.csv", ["date,adj_close", "2024-01-02,10"])
    write(tmp_path / "BAD.csv", ["nonsense"])
    assert CsvSource(tmp_path).load(["AAA"], START, END).adj_close["AAA"].tolist() == [10.0]


def test_dates_with_time_and_offset_or_compact_form(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        ["Date,AAA", "2025-01-24 00:00:00-05:00,1", "2025-01-27T00:00:00Z,2", "20250128,3"],
    )
    index = CsvSource(path).load(["AAA"], START, date(2025, 12, 31)).adj_close.index
    assert list(index.strftime("%Y-%m-%d")) == ["2025-01-24", "2025-01-27", "2025-01-28"]
    assert index.tz is None


def test_blank_lines_and_missing_markers_are_missing(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", ["date,AAA,BBB", "2024-01-02,1,NA", "", "2024-01-03, ,2"])
    frame = CsvSource(path).load(["AAA", "BBB"], START, END).adj_close
    assert frame["AAA"].tolist()[0] == 1.0
    assert frame.isna().to_numpy().tolist() == [[False, True], [True, False]]


BAD_FILES = {
    # name: (file lines, tickers asked, text every message must hold)
    "no date column": (["day,AAA", "2024-01-02,1"], ["AAA"], ["no 'date' column"]),
    "semicolons": (["date;AAA", "2024-01-02;1"], ["AAA"], ["no 'date' column", "';'"]),
    "bad date": (
        ["date,AAA", "2024-01-02,1", "2024-13-01,2"],
        ["AAA"],
        ["field 'date'", "line 3", "'2024-13-01'"],
    ),
    "text date": (["date,AAA", "Jan 2 2024,1"], ["AAA"], ["line 2", "'Jan 2 2024'"]),
    "empty date": (["date,AAA", "2024-01-02,1", ",2"], ["AAA"], ["line 3", "empty date"]),
    "duplicate date": (
        ["date,AAA", "2024-01-02,1", "2024-01-03,2", "2024-01-03,3"],
        ["AAA"],
        ["field 'date'", "line 4", "duplicate date 2024-01-03", "line 3"],
    ),
    "duplicate column": (["date,AAA,AAA", "2024-01-02,1,2"], ["AAA"], ["'AAA' appears twice"]),
    "text price": (
        ["date,AAA", "2024-01-02,1", "2024-01-03,n/a?"],
        ["AAA"],
        ["field 'AAA'", "line 3 (2024-01-03)", "'n/a?' is not a number"],
    ),
    "infinite price": (["date,AAA", "2024-01-02,inf"], ["AAA"], ["'inf' is not a number"]),
    "zero price": (
        ["date,AAA", "2024-01-02,0"],
        ["AAA"],
        ["field 'AAA'", "2024-01-02", "not a positive price"],
    ),
    "negative price": (
        ["date,AAA", "2024-01-02,1", "2024-01-03,-5"],
        ["AAA"],
        ["field 'AAA'", "line 3 (2024-01-03)", "'-5' is not a positive price"],
    ),
    "no ticker columns": (["date", "2024-01-02"], ["AAA"], ["no ticker columns"]),
    "ragged row": (
        ["date,AAA", "2024-01-02,1", "2024-01-03,1,2"],
        ["AAA"],
        ["not a well-formed CSV", "line 3"],
    ),
    "long without ticker": (
        ["date,adj_close", "2024-01-02,1"],
        ["AAA"],
        ["field 'ticker'", "no 'ticker' column"],
    ),
    "long without adj_close": (
        ["date,ticker,close", "2024-01-02,AAA,1"],
        ["AAA"],
        ["field 'adj_close'", "no 'adj_close' column"],
    ),
    "long duplicate": (
        ["date,ticker,adj_close", "2024-01-02,AAA,1", "2024-01-02,BBB,1", "2024-01-02,AAA,2"],
        ["AAA"],
        ["line 4", "duplicate row for ticker 'AAA' on date 2024-01-02", "line 2"],
    ),
    "long text price": (
        ["date,ticker,adj_close", "2024-01-02,AAA,1", "2024-01-03,AAA,abc"],
        ["AAA"],
        ["field 'adj_close'", "line 3 (2024-01-03)", "ticker 'AAA'", "'abc'"],
    ),
    "long empty ticker": (
        ["date,ticker,adj_close", "2024-01-02,,1"],
        ["AAA"],
        ["field 'ticker'", "line 2", "empty ticker"],
    ),
    "long negative volume": (
        ["date,ticker,adj_close,volume", "2024-01-02,AAA,1,-3"],
        ["AAA"],
        ["field 'volume'", "'-3' is negative"],
    ),
}


def check_message(exc: pytest.ExceptionInfo[PriceDataError], path: Path, texts: list[str]) -> None:
    """The message is one line naming ``path`` and holding every text in ``texts``."""
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message
    for text in texts:
        assert text in message


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_raises_price_data_error(tmp_path: Path, case: str) -> None:
    lines, tickers, texts = BAD_FILES[case]
    path = write(tmp_path / "prices.csv", lines)
    with pytest.raises(PriceDataError) as exc:
        CsvSource(path).load(tickers, START, END)
    check_message(exc, path, texts)


def test_bad_value_in_unrequested_column_is_not_checked(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", ["date,AAA,BBB", "2024-01-02,1,oops"])
    assert CsvSource(path).load(["AAA"], START, END).adj_close["AAA"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("case", "content", "texts"),
    [
        ("empty", b"", ["the file is empty"]),
        ("latin-1", b"date,AAA\n2024-01-02,1\n2024-01-03,\xe91\n", ["line 3", "not UTF-8"]),
        ("binary", b"PK\x03\x04\x00\x00binary", ["not a CSV file"]),
    ],
)
def test_unreadable_file_raises(
    tmp_path: Path, case: str, content: bytes, texts: list[str]
) -> None:
    path = tmp_path / f"{case}.csv"
    path.write_bytes(content)
    with pytest.raises(PriceDataError) as exc:
        CsvSource(path).load(["AAA"], START, END)
    check_message(exc, path, texts)


def test_missing_path_raises(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(PriceDataError) as exc:
        CsvSource(path).load(["AAA"], START, END)
    check_message(exc, path, ["no such file or folder"])


def test_folder_without_csv_files_raises(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", ["hello"])
    with pytest.raises(PriceDataError) as exc:
        CsvSource(tmp_path).load(["AAA"], START, END)
    check_message(exc, tmp_path, ["no .csv files"])


@pytest.mark.parametrize(
    ("lines", "texts"),
    [
        (["date,close", "2024-01-02,1", "2024-01-03,x"], ["field 'close'", "line 3 (2024-01-03)"]),
        (["date,open,volume", "2024-01-02,1,5"], ["no 'adj_close' or 'close' column"]),
        (["date,adj_close", "2024-01-02,1", "2024-01-02,2"], ["duplicate date 2024-01-02"]),
        (["Date,Adj Close,Volume", "2024-01-02,1,x"], ["field 'Volume'", "'x' is not a number"]),
    ],
)
def test_bad_per_ticker_file_names_that_file(
    tmp_path: Path, lines: list[str], texts: list[str]
) -> None:
    path = write(tmp_path / "9988.HK.csv", lines)
    with pytest.raises(PriceDataError) as exc:
        CsvSource(tmp_path).load(["9988.HK"], START, END)
    check_message(exc, path, texts)


@pytest.fixture
def real_folder() -> Path:
    """The real Yahoo-export folder shipped alongside the project, if present."""
    if not REAL.is_dir():
        pytest.skip(f"real price data not found at {REAL}")
    return REAL


def test_real_folder(real_folder: Path) -> None:
    tickers = ["BABA", "NVDA", "SPY", "9988.HK", "^GSPC", "MPNGY"]
    table = CsvSource(real_folder).load(tickers, date(2023, 6, 1), date(2025, 4, 30))
    assert "MPNGY" not in table.adj_close.columns
    for ticker in ("BABA", "NVDA", "SPY", "^GSPC"):
        assert table.provenance[ticker].rows == 480
        assert table.series(ticker).index.min() == pd.Timestamp("2023-06-01")
        assert table.series(ticker).index.max() == pd.Timestamp("2025-04-30")
    assert table.provenance["9988.HK"].rows == 469
    nvda = table.series("NVDA").pct_change()
    assert nvda.loc["2025-01-27"] == pytest.approx(-0.1697, abs=1e-4)
    assert table.series("NVDA").loc["2025-01-24"] == pytest.approx(142.57, abs=0.01)
    assert table.volume is not None
    assert table.volume["NVDA"].reindex(table.series("NVDA").index).notna().all()


@pytest.mark.parametrize("layout", ["wide", "long", "long with volume"])
def test_fast_reader_equals_the_checked_path(
    tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventstudy.data import csv as csv_source

    rng = np.random.default_rng(11)
    days = pd.bdate_range("2021-01-04", periods=300)
    tickers = ["AAA", "BB.HK", "NA", "^IDX"]  # "NA" is a ticker, not a missing value
    prices = pd.DataFrame(
        np.exp(rng.normal(0, 0.02, (300, 4)).cumsum(axis=0)) * rng.uniform(1, 500, 4),
        index=days,
        columns=tickers,
    )
    prices = prices.round(rng.integers(2, 9))
    prices = prices.mask(rng.random(prices.shape) < 0.05)  # missing prices
    path = tmp_path / "prices.csv"
    if layout == "wide":
        text = prices.rename_axis("date").to_csv(float_format="%.10g", na_rep="")
        text = text.replace(",\n", ",NA\n", 3)  # missing-value markers too
    else:
        long = prices.rename_axis("date").reset_index().melt("date", var_name="ticker")
        long = long.rename(columns={"value": "adj_close"}).sample(frac=1.0, random_state=2)
        long = long.iloc[20:]  # some (date, ticker) rows absent, not just empty
        long["open"] = "n/a here"  # an unused column is not checked
        if layout == "long with volume":
            long["volume"] = rng.integers(0, 10**6, len(long)).astype(float)
            long.loc[long.index[:7], "volume"] = np.nan
        text = long.to_csv(index=False, float_format="%.12g", na_rep="null")
    path.write_text(text)
    wanted = ["NA", "AAA", "^IDX", "ZZZ"]
    assert csv_source._load_fast(path, wanted) is not None  # a valid file takes the fast path
    source = CsvSource(path)
    fast = source.load(wanted, date(2021, 2, 1), date(2021, 12, 31))
    monkeypatch.setattr(csv_source, "_load_fast", lambda *_: None)
    checked = source.load(wanted, date(2021, 2, 1), date(2021, 12, 31))
    assert list(fast.adj_close.columns) == ["NA", "AAA", "^IDX"]
    pd.testing.assert_frame_equal(fast.adj_close, checked.adj_close)
    if layout == "long with volume":
        pd.testing.assert_frame_equal(fast.volume, checked.volume)
    else:
        assert fast.volume is None and checked.volume is None
    assert fast.provenance == checked.provenance


@pytest.mark.parametrize(
    "lines",
    [
        ["date,ticker,adj_close", "2024-01-02, AAA,1"],  # padded ticker
        ["date,ticker,adj_close", "2024-01-02,,1"],  # empty ticker
        ["date,ticker,adj_close", "2024-01-02,AAA,1", "2024-01-02,AAA,2"],  # repeated
        ["date,ticker,adj_close,volume", "2024-01-02,AAA,1,-5"],  # negative volume
        ["date,AAA", "2024-01-02,1", "2024-01-03,-1"],  # not a positive price
        ["date,AAA", "2024-01-02,1", "2024-01-03,1,2"],  # ragged
        ["date,AAA ", "2024-01-02,1"],  # padded header
    ],
)
def test_fast_reader_leaves_doubtful_files_to_the_checked_path(
    tmp_path: Path, lines: list[str]
) -> None:
    from eventstudy.data.csv import _load_fast

    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n")
    assert _load_fast(path, ["AAA"]) is None
