"""Intraday bar sources: Yahoo (yfinance monkeypatched, no network), csv, and config keys."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from eventstudy.core.errors import ConfigError, EventStudyError, NoPairsError, PriceDataError
from eventstudy.intraday.demo import demo_bars
from eventstudy.intraday.run import run_intraday
from eventstudy.intraday.sources import CsvBarSource
from eventstudy.intraday.yahoo import YahooBarSource
from eventstudy.study import load_study, parse_study

COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]


def intraday_frame_like_yfinance(closes: pd.Series, ticker: str) -> pd.DataFrame:
    """What ``Ticker.history(interval='5m', prepost=True, auto_adjust=False, actions=True)``
    returns: a tz-aware exchange-local ``Datetime`` index (``datetime64[s, America/New_York]``),
    raw prices, int volume, the action columns (and ``Capital Gains`` for an ETF)."""
    closes = closes.dropna()
    index = pd.DatetimeIndex(closes.index).tz_localize("UTC").tz_convert("America/New_York")
    index = index.as_unit("s").rename("Datetime")
    c = closes.to_numpy(dtype="float64")
    frame = pd.DataFrame(
        {"Open": c, "High": c * 1.001, "Low": c * 0.999, "Close": c, "Adj Close": c,
         "Volume": np.full(len(c), 1000, dtype="int64"), "Dividends": 0.0, "Stock Splits": 0.0},
        index=index,
    )  # fmt: skip
    if ticker == "SPY":
        frame["Capital Gains"] = 0.0
    return frame


class FakeIntradayYahoo:
    """Serves the demo bars as yfinance would; records every call."""

    def __init__(self, bars: pd.DataFrame, splits: dict[str, str] | None = None) -> None:
        self.bars = bars
        self.splits = splits or {}
        self.calls: list[dict] = []

    def install(self, monkeypatch) -> FakeIntradayYahoo:
        import yfinance

        fake = self

        def history(ticker_self, start=None, end=None, **kwargs):
            fake.calls.append({"ticker": ticker_self.ticker, "start": start, "end": end, **kwargs})
            return fake.answer(ticker_self.ticker, start, end)

        monkeypatch.setattr(yfinance.Ticker, "history", history)
        return self

    def answer(self, ticker: str, start: str, end: str) -> pd.DataFrame:
        if ticker not in self.bars:
            return pd.DataFrame(columns=COLUMNS[:6])
        frame = intraday_frame_like_yfinance(self.bars[ticker], ticker)
        local_day = frame.index.tz_localize(None).normalize()
        frame = frame[(local_day >= pd.Timestamp(start)) & (local_day < pd.Timestamp(end))]
        if ticker in self.splits:
            at = pd.Timestamp(self.splits[ticker])
            frame.loc[frame.index.tz_localize(None) == at, "Stock Splits"] = 2.0
        return frame


@pytest.fixture
def demo_study():
    """The demo study with a 10-session estimation window: Yahoo's 60 days can hold it."""
    study = load_study("examples/intraday.yaml")
    settings = study.study.model_copy(
        update={"estimation_window": (-800, -80), "min_estimation_returns": 500}
    )
    return study.model_copy(update={"study": settings})


def test_yahoo_bars_through_the_cache_give_the_demo_results(tmp_path, monkeypatch, demo_study):
    fake = FakeIntradayYahoo(demo_bars()).install(monkeypatch)
    yahoo = run_intraday(demo_study, source="yahoo", cache_dir=tmp_path, today=date(2025, 5, 5))
    demo = run_intraday(demo_study, source="demo")
    assert fake.calls and all(c["interval"] == "5m" and c["prepost"] for c in fake.calls)
    assert all(c["auto_adjust"] is False for c in fake.calls)
    pd.testing.assert_series_equal(yahoo.car["car"], demo.car["car"], rtol=1e-9)
    np.testing.assert_allclose(yahoo.car["car_p_tod"], demo.car["car_p_tod"])
    assert sorted(p.name for p in (tmp_path / "prices" / "v1" / "5m").glob("*.parquet")) == [
        "BABA.parquet", "NVDA.parquet", "SPY.parquet",
    ]  # fmt: skip
    assert not (tmp_path / "prices" / "v1" / "1d").exists()  # its own cache per interval
    calls = len(fake.calls)
    again = run_intraday(demo_study, source="yahoo", cache_dir=tmp_path, today=date(2025, 5, 5))
    assert len(fake.calls) == calls  # served from the cache: no request
    pd.testing.assert_frame_equal(again.car, yahoo.car)


def test_events_past_yahoos_intraday_limit_are_skipped_with_the_reason(
    tmp_path, monkeypatch, demo_study
):
    fake = FakeIntradayYahoo(demo_bars()).install(monkeypatch)
    with pytest.raises(NoPairsError) as info:  # all 6 pairs are too old: nothing is left
        run_intraday(demo_study, source="yahoo", cache_dir=tmp_path, today=date(2025, 7, 1))
    assert not fake.calls  # nothing is asked for what Yahoo cannot serve
    why = str(info.value)
    assert "no (event, security) pair could be estimated (Yahoo serves 5m bars for the last " in why
    assert (
        "60 days only (from 2025-05-03); the event on 2025-03-26 needs bars from 2025-03-1" in why
    )
    # a nearer "today" keeps the latest event only
    result = run_intraday(demo_study, source="yahoo", cache_dir=tmp_path, today=date(2025, 5, 20))
    assert set(result.models["event_id"]) == {"demo-afterclose"}
    assert set(result.skipped["event_id"]) == {"demo-midday", "demo-premarket"}


def test_one_minute_bars_are_requested_a_week_at_a_time(tmp_path, monkeypatch):
    fake = FakeIntradayYahoo(demo_bars()).install(monkeypatch)
    source = YahooBarSource("1m", str(tmp_path))
    source.load_bars(["SPY"], date(2025, 3, 3), date(2025, 3, 21))
    spans = [(pd.Timestamp(c["end"]) - pd.Timestamp(c["start"])).days for c in fake.calls]
    assert len(spans) == 3 and max(spans) <= 7
    assert all(c["interval"] == "1m" for c in fake.calls)


def test_a_split_marks_its_session_and_the_table_says_so(tmp_path, monkeypatch):
    stamp = "2025-03-12 09:30"  # local time of the bar Yahoo marks
    FakeIntradayYahoo(demo_bars(), splits={"NVDA": stamp}).install(monkeypatch)
    table = YahooBarSource("5m", str(tmp_path)).load_bars(
        ["NVDA"], date(2025, 3, 10), date(2025, 3, 14)
    )
    marked = table.split_bars["NVDA"]
    assert list(marked) == [pd.Timestamp("2025-03-12 13:30")]  # UTC


def _long_csv(tmp_path, offsets: bool = True) -> tuple:
    bars = demo_bars()[["NVDA", "SPY"]].iloc[:400]
    local = bars.index.tz_localize("UTC").tz_convert("America/New_York")
    text = local.map(lambda t: t.isoformat()) if offsets else local.strftime("%Y-%m-%d %H:%M")
    long = pd.concat(
        [pd.DataFrame({"timestamp": text, "ticker": t, "close": bars[t].to_numpy()}) for t in bars]
    )
    path = tmp_path / "bars.csv"
    long.to_csv(path, index=False)
    return path, bars


@pytest.mark.parametrize("offsets", [True, False])
def test_csv_long_file_with_or_without_offsets(tmp_path, offsets):
    path, bars = _long_csv(tmp_path, offsets)
    table = CsvBarSource(path).load_bars(
        ["NVDA", "SPY", "BABA"], date(2025, 2, 1), date(2025, 2, 28)
    )
    pd.testing.assert_series_equal(
        table.series("NVDA"), bars["NVDA"].dropna(), check_names=False, check_freq=False
    )
    assert "BABA" in table.missing and "no csv bars for BABA" in table.missing["BABA"].reason


def test_csv_folder_of_ticker_files(tmp_path):
    bars = demo_bars()["SPY"].iloc[:50]
    stamps = bars.index.tz_localize("UTC").map(lambda t: t.isoformat())
    pd.DataFrame({"Datetime": stamps, "Close": bars.to_numpy()}).to_csv(
        tmp_path / "SPY.csv", index=False
    )
    table = CsvBarSource(tmp_path).load_bars(["SPY"], date(2025, 2, 1), date(2025, 2, 28))
    np.testing.assert_allclose(table.series("SPY").to_numpy(), bars.to_numpy())


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["2025-02-03T09:30:00-05:00,SPY,1.0", "2025-02-03 09:35,SPY,1.0"], "line 3"),
        (
            ["2025-02-03T09:30:00-05:00,SPY,1.0", "2025-02-30T09:30:00-05:00,SPY,1.0"],
            "is not an ISO timestamp",
        ),
        (["2025-02-03T09:30:00-05:00,SPY,-1"], "is not a positive number"),
        (["2025-02-03T09:30:00-05:00,SPY,1", "2025-02-03T09:30:00-05:00,SPY,2"], "appears twice"),
        (["2025-03-09 02:30,SPY,1"], "give them a UTC offset"),  # no such New York time
    ],
)
def test_bad_csv_bars_give_one_line_errors_naming_the_file(tmp_path, rows, message):
    path = tmp_path / "bars.csv"
    path.write_text("timestamp,ticker,close\n" + "\n".join(rows) + "\n")
    with pytest.raises(PriceDataError) as err:
        CsvBarSource(path).load_bars(["SPY"], date(2025, 2, 1), date(2025, 3, 30))
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def _raw(**study):
    return {
        "study": {"name": "s", "securities": ["NVDA"], **study},
        "events": [{"id": "e", "date": "2025-03-26", "time": "11:02", "title": "t"}],
    }


def test_intraday_defaults_per_interval_and_daily_defaults_unchanged():
    s = parse_study(_raw(interval="5m"), "<t>").study
    assert (s.estimation_window, s.event_window) == ((-1600, -80), (-12, 24))
    assert s.car_windows == [(0, 0), (0, 2), (0, 12)] and s.session == "regular"
    hourly = parse_study(_raw(interval="1h", event_window=[-1, 3], car_windows=[[0, 1]]), "<t>")
    assert hourly.study.event_window == (-1, 3) and hourly.study.estimation_window == (-560, -14)
    daily = parse_study(_raw(), "<t>").study
    assert daily.interval == "1d" and daily.estimation_window == (-250, -11)


@pytest.mark.parametrize(
    ("study", "field", "message"),
    [
        ({"interval": "2m"}, "interval", "'2m' is not one of '1d', '1h', '30m', '15m', '5m'"),
        ({"interval": "5m", "session": "overnight"}, "session", "'overnight' is not one of"),
        ({"interval": "5m", "model": "dimson"}, None, "model 'dimson' is not available"),
        ({"interval": "5m", "bhar_windows": [[0, 20]]}, None, "bhar_windows is a daily-study key"),
    ],
)
def test_bad_intraday_keys_are_named(study, field, message):
    with pytest.raises(ConfigError) as err:
        parse_study(_raw(**study), "events.yaml")
    text = str(err.value)
    assert message in text and "events.yaml" in text and "\n" not in text
    if field:
        assert f"field '{field}'" in text


def test_a_date_outside_the_exchange_calendar_names_the_event(tmp_path):
    raw = _raw(interval="5m")
    raw["events"][0]["date"] = "1999-06-01"
    study = parse_study(raw, "events.yaml")
    with pytest.raises(EventStudyError) as err:
        run_intraday(study, source="demo")
    text = str(err.value)
    assert "event 'e'" in text and "outside the XNYS calendar" in text and "\n" not in text


def test_the_result_renders_in_a_notebook(demo_study):
    html = run_intraday(demo_study, source="demo")._repr_html_()
    assert "interval 5m" in html and "car_p_tod" in html and "<table" in html


def test_a_dataframe_of_bars_runs_like_the_demo(demo_study):
    bars = demo_bars()
    stamps = bars.index.tz_localize("UTC").tz_convert("America/New_York")
    long = pd.concat(
        [
            pd.DataFrame({"timestamp": stamps, "ticker": t, "close": bars[t].to_numpy()})
            for t in bars
        ]
    ).dropna()
    from_frame = run_intraday(demo_study, prices=long)
    demo = run_intraday(demo_study, source="demo")
    assert from_frame.prices.source == "frame"
    pd.testing.assert_series_equal(from_frame.car["car"], demo.car["car"], rtol=1e-12)
