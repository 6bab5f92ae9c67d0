"""The yahoo source and the price cache, with yfinance faked (never the network)."""

from __future__ import annotations

import multiprocessing
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from curl_cffi.requests.exceptions import DNSError
from typer.testing import CliRunner
from yfinance.exceptions import YFRateLimitError, YFTzMissingError

from eventstudy.cli.app import app
from eventstudy.data.cache import CacheWarning, PriceCache, merge_ranges, missing_ranges
from eventstudy.data.demo import demo_prices
from eventstudy.data.yahoo import FetchError, YahooSource, normalise_history
from eventstudy.study import parse_study, run_study
from tests.yahoo_fakes import HISTORY_COLUMNS, FakeYahoo, history_frame_like_yfinance

D = date.fromisoformat
PRICES = demo_prices()[0].loc[:, ["SPY", "BABA", "NVDA"]].dropna()


def study(*events: tuple[str, str], securities=("BABA", "NVDA")):
    return parse_study(
        {
            "study": {"name": "y", "securities": list(securities), "benchmark": "SPY"},
            "events": [{"id": i, "date": d, "title": i} for i, d in events],
        }
    )


def source(tmp_path: Path, **kwargs) -> YahooSource:
    return YahooSource(PriceCache(tmp_path / "cache"), sleep=lambda s: None, **kwargs)


# ------------------------------------------------------------------ pure helpers


def test_range_arithmetic():
    assert merge_ranges(
        [(D("2024-01-05"), D("2024-01-09")), (D("2024-01-01"), D("2024-01-04"))]
    ) == [(D("2024-01-01"), D("2024-01-09"))]
    covered = [(D("2024-01-01"), D("2024-01-31")), (D("2024-03-01"), D("2024-03-31"))]
    assert missing_ranges((D("2024-01-15"), D("2024-04-10")), covered) == [
        (D("2024-02-01"), D("2024-02-29")),
        (D("2024-04-01"), D("2024-04-10")),
    ]
    assert missing_ranges((D("2024-01-02"), D("2024-01-30")), covered) == []


def test_history_frame_shape_and_normalisation():
    raw = history_frame_like_yfinance("9988.HK", PRICES["BABA"].iloc[:5])
    assert list(raw.columns) == HISTORY_COLUMNS
    assert str(raw.index.dtype) == "datetime64[s, Asia/Hong_Kong]"
    assert raw.index.name == "Date"
    bars = normalise_history(raw, "9988.HK")
    assert bars.index.tz is None
    assert list(bars.index) == list(PRICES.index[:5])  # exchange-local dates kept
    np.testing.assert_array_equal(bars["adj_close"], PRICES["BABA"].iloc[:5])
    assert bars["volume"].dtype == "float64"
    etf = history_frame_like_yfinance("SPY", PRICES["SPY"].iloc[:3])
    assert "Capital Gains" in etf.columns
    assert list(normalise_history(etf, "SPY").columns) == [
        "open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits",
    ]  # fmt: skip


# ------------------------------------------------------------------ caching


def test_second_run_makes_no_network_call(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    s = study(("ft", "2024-11-18"))
    first = run_study(s, source=source(tmp_path))
    assert sorted(fake.tickers_called()) == ["BABA", "NVDA", "SPY"]
    calls = len(fake.calls)
    second = run_study(s, source=source(tmp_path))
    assert len(fake.calls) == calls
    pd.testing.assert_frame_equal(first.car, second.car)
    prov = second.prices.provenance["BABA"]
    assert prov.source == "yahoo" and prov.library.startswith("yfinance 1.") and prov.fetched_at


def test_only_missing_ranges_are_fetched(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    src = source(tmp_path)
    src.fetch(["BABA"], D("2024-01-01"), D("2024-06-30"))
    assert fake.calls == [("BABA", D("2024-01-01"), D("2024-07-01"))]  # end is exclusive
    src.fetch(["BABA"], D("2024-03-01"), D("2024-09-30"))
    # only July..September, widened by a 10-day seam on each side
    assert fake.calls[1] == ("BABA", D("2024-06-21"), D("2024-10-11"))
    src.fetch(["BABA"], D("2024-02-01"), D("2024-09-30"))
    assert len(fake.calls) == 2
    entry = src.cache.read("BABA")
    assert entry.coverage == [(D("2024-01-01"), D("2024-10-10"))]
    expected = PRICES.loc["2024-01-01":"2024-10-10", "BABA"]
    np.testing.assert_array_equal(entry.bars["adj_close"], expected)


def test_new_adjustment_basis_triggers_a_full_refetch(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    src = source(tmp_path)
    src.fetch(["BABA"], D("2024-01-01"), D("2024-06-30"))
    fake.adjust = lambda t: 0.98  # a dividend moved every adjusted close
    report = src.fetch(["BABA"], D("2024-01-01"), D("2024-09-30"))
    assert report.refetched_for_adjustment == ["BABA"]
    assert fake.calls[-1] == ("BABA", D("2024-01-01"), D("2024-10-01"))
    bars = src.cache.read("BABA").bars
    np.testing.assert_allclose(
        bars["adj_close"], PRICES.loc["2024-01-01":"2024-09-30", "BABA"] * 0.98
    )


def test_offline_uses_the_cache_and_names_what_is_missing(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    s = study(("ft", "2024-11-18"), ("old", "2023-03-01"))
    run_study(s, source=source(tmp_path), event_ids=["ft"])
    calls = len(fake.calls)
    result = run_study(s, source=source(tmp_path, offline=True))
    assert len(fake.calls) == calls
    assert set(result.models["event_id"]) == {"ft"}
    reasons = result.skipped.set_index(["event_id", "ticker"])["reason"]
    assert "no yahoo prices for BABA over" in reasons[("old", "BABA")]
    assert "(offline)" in reasons[("old", "BABA")]


def test_corrupt_cache_file_is_moved_aside_and_refetched(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    src = source(tmp_path)
    src.fetch(["NVDA"], D("2024-01-01"), D("2024-03-31"))
    path = src.cache.path("NVDA")
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.warns(CacheWarning, match="unreadable"):
        src.fetch(["NVDA"], D("2024-01-01"), D("2024-03-31"))
    assert len(fake.calls) == 2
    assert list(path.parent.glob("NVDA.parquet.corrupt-*"))
    assert src.cache.read("NVDA").bars.index[0] == pd.Timestamp("2024-01-02")


def _hammer(root: str, ticker: str, offset: int) -> None:
    cache = PriceCache(root)
    days = PRICES.index[offset::2][:40]
    for i, day in enumerate(days):
        bars = pd.DataFrame(
            {c: [float(i + 1)] for c in ["open", "high", "low", "close", "adj_close", "volume"]}
            | {"dividends": [0.0], "stock_splits": [0.0]},
            index=pd.DatetimeIndex([day], name="date"),
        )
        cache.store(ticker, bars, (day.date(), day.date()))


def test_two_processes_writing_one_ticker_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), "BABA", k)) for k in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    entry = PriceCache(tmp_path).read("BABA")
    assert len(entry.bars) == 80  # 40 distinct days from each writer
    assert not list((tmp_path / "prices").rglob("*.tmp"))


# ------------------------------------------------------------------ faults


def test_unknown_ticker_is_skipped_and_the_rest_runs(tmp_path, monkeypatch):
    FakeYahoo(PRICES, errors={"NVDA": YFTzMissingError("NVDA")}).install(monkeypatch)
    result = run_study(study(("ft", "2024-11-18")), source=source(tmp_path))
    assert list(result.models["ticker"]) == ["BABA"]
    reason = result.skipped.set_index("ticker").loc["NVDA", "reason"]
    assert "Yahoo has no data" in reason and "no timezone found" in reason


def test_empty_frame_means_no_data(tmp_path, monkeypatch):
    FakeYahoo(PRICES.drop(columns="NVDA")).install(monkeypatch)  # answers an empty frame
    result = run_study(study(("ft", "2024-11-18")), source=source(tmp_path))
    assert "Yahoo has no data" in result.skipped.set_index("ticker").loc["NVDA", "reason"]


def test_rate_limit_is_retried_with_backoff(tmp_path, monkeypatch):
    limit = [YFRateLimitError(), YFRateLimitError()]
    fake = FakeYahoo(PRICES, errors={"BABA": limit}).install(monkeypatch)
    waits: list[float] = []
    src = YahooSource(PriceCache(tmp_path), sleep=waits.append, backoff=2.0)
    src.fetch(["BABA"], D("2024-01-01"), D("2024-02-28"))
    assert waits == [2.0, 4.0]
    assert fake.tickers_called() == ["BABA"] * 3
    assert src.cache.read("BABA") is not None


def test_persistent_rate_limit_gives_a_clear_error_and_keeps_what_was_fetched(
    tmp_path, monkeypatch
):
    FakeYahoo(PRICES, errors={"SPY": [YFRateLimitError()] * 10}).install(monkeypatch)
    src = source(tmp_path, retries=2)
    with pytest.raises(FetchError, match=r"rate-limiting.*fetched and cached so far: BABA") as info:
        src.fetch(["BABA", "SPY", "NVDA"], D("2024-01-01"), D("2024-02-28"))
    assert info.value.exit_code == 1
    assert src.cache.read("BABA") is not None and src.cache.read("SPY") is None


def test_network_down_uses_the_cache_where_it_covers(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    s = study(("ft", "2024-11-18"), ("old", "2023-03-01"))
    run_study(s, source=source(tmp_path), event_ids=["ft"])
    fake.errors = {
        t: DNSError("Failed to perform, curl: (6) Could not resolve host") for t in PRICES
    }
    calls = len(fake.calls)
    result = run_study(s, source=source(tmp_path))
    assert set(result.models["event_id"]) == {"ft"}
    assert len(fake.calls) == calls + 1  # gives up on the network after the first failure
    reason = result.skipped.set_index(["event_id", "ticker"]).loc[("old", "NVDA"), "reason"]
    assert "Yahoo unreachable: DNSError" in reason


def test_yahoo_and_csv_runs_on_the_same_prices_give_identical_car(tmp_path, monkeypatch):
    FakeYahoo(PRICES).install(monkeypatch)
    s = study(("ft", "2024-11-18"), ("election", "2024-11-06"))
    yahoo = run_study(s, source=source(tmp_path))
    folder = tmp_path / "csv"
    folder.mkdir()
    for ticker in PRICES:
        PRICES[[ticker]].rename(columns={ticker: "adj_close"}).to_csv(folder / f"{ticker}.csv")
    csv = run_study(s, source="csv", prices=folder)
    pd.testing.assert_frame_equal(yahoo.car, csv.car, check_exact=True)


# ------------------------------------------------------------------ command line


def test_fetch_and_cache_commands(tmp_path, monkeypatch):
    fake = FakeYahoo(PRICES).install(monkeypatch)
    events = tmp_path / "events.yaml"
    events.write_text(
        "study: {name: y, securities: [BABA, NVDA], benchmark: SPY}\n"
        "events: [{id: ft, date: 2024-11-18, title: FT}]\n"
    )
    cache_dir = tmp_path / "c"
    runner = CliRunner()
    result = runner.invoke(app, ["fetch", str(events), "--cache-dir", str(cache_dir)])
    assert result.exit_code == 0, result.output
    assert "BABA" in result.output and "fetched" in result.output
    assert sorted(fake.tickers_called()) == ["BABA", "NVDA", "SPY"]
    again = runner.invoke(app, ["fetch", str(events), "--cache-dir", str(cache_dir)])
    assert again.exit_code == 0 and len(fake.calls) == 3 and "cached" in again.output
    refresh = runner.invoke(app, ["fetch", str(events), "--refresh", "--cache-dir", str(cache_dir)])
    assert refresh.exit_code == 0 and len(fake.calls) == 6
    listing = runner.invoke(app, ["cache", "--cache-dir", str(cache_dir)])
    assert listing.exit_code == 0
    for ticker in ("BABA", "NVDA", "SPY"):
        assert ticker in listing.output
    out = tmp_path / "out"
    run = runner.invoke(
        app,
        [
            "run",
            str(events),
            "--offline",
            "--cache-dir",
            str(cache_dir),
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    assert len(fake.calls) == 6
    manifest = (out / "y" / "manifest.json").read_text()
    assert '"source": "yahoo"' in manifest and "fetched_at" in manifest
    cleared = runner.invoke(app, ["cache", "--clear", "NVDA", "--cache-dir", str(cache_dir)])
    assert "Removed 1" in cleared.output
    missing = runner.invoke(app, ["fetch", str(events), "--offline", "--cache-dir", str(cache_dir)])
    assert missing.exit_code == 1
    assert "NVDA" in missing.output and "MISSING" in missing.output and "offline" in missing.output


def test_no_warning_leaks_from_a_normal_fetch(tmp_path, monkeypatch):
    FakeYahoo(PRICES).install(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source(tmp_path).fetch(["BABA"], D("2024-01-01"), D("2024-02-01"))
