"""Runs that estimate no pair, or skip some: one clear error, or a warning with the count.

The command line prints one ``error:`` line and exits 2 (1 when Yahoo could not be
reached); the library raises :class:`~eventstudy.core.errors.NoPairsError` with the same
words. A pair whose dates lie outside its prices is skipped naming the dates.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from curl_cffi.requests.exceptions import DNSError
from typer.testing import CliRunner, Result

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import NoPairsError, SkippedPairsWarning
from eventstudy.data.yahoo import FetchError
from eventstudy.measures.calendar_time import calendar_time
from eventstudy.measures.long_horizon import buy_and_hold
from eventstudy.sessions.calendar import sessions

ROOT = Path(__file__).resolve().parents[1]
NO_PAIR = "no (event, security) pair could be estimated"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(result: Result, code: int) -> str:
    """Exit ``code``, one ``error:`` line on stderr, no traceback; the line."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def prices(first: str = "2023-01-03", last: str = "2024-12-31") -> pd.DataFrame:
    """Wide XNYS prices of AAA and SPY from ``first`` to ``last``."""
    days = sessions("XNYS")
    days = days[(days >= first) & (days <= last)].rename("date")
    rng = np.random.default_rng(34)
    market = rng.normal(0.0003, 0.01, len(days))
    frame = pd.DataFrame(
        {
            "AAA": 50 * np.exp(np.cumsum(0.8 * market + rng.normal(0, 0.01, len(days)))),
            "SPY": 400 * np.exp(np.cumsum(market)),
        },
        index=days,
    )
    return frame


def events(*dates: str) -> pd.DataFrame:
    return pd.DataFrame({"date": list(dates), "ticker": ["AAA"] * len(dates)})


# ------------------------------------------------------- the README's default command


def test_the_default_command_offline_with_an_empty_cache_exits_2_with_one_line(tmp_path):
    """``eventstudy run events.yaml --offline`` on an empty cache (bhar_windows set)."""
    (tmp_path / "empty").mkdir()
    args = ["run", ROOT / "events.yaml", "--offline", "--cache-dir", tmp_path / "empty"]
    line = one_line(invoke(*args, "--no-plots", "--out", tmp_path / "out"), 2)
    assert line.startswith(f"{ROOT / 'events.yaml'}: {NO_PAIR} (no yahoo prices for BABA over ")
    assert "(offline); no yahoo prices for SPY over " in line and "; and 1 more)" in line
    assert not (tmp_path / "out").exists()


def test_the_default_command_without_network_exits_1_naming_the_network(tmp_path, monkeypatch):
    """Yahoo unreachable (DNS fails for every ticker) and an empty cache."""
    import yfinance

    def unreachable(self: object, *args: object, **kwargs: object) -> None:
        raise DNSError("Failed to perform, curl: (6) Could not resolve host: query1.finance")

    monkeypatch.setattr(yfinance.Ticker, "history", unreachable)
    args = ["run", ROOT / "events.yaml", "--cache-dir", tmp_path / "cache", "--no-plots"]
    line = one_line(invoke(*args, "--out", tmp_path / "out"), 1)
    assert line.startswith(f"{ROOT / 'events.yaml'}: {NO_PAIR} (")
    assert "(Yahoo unreachable: DNSError: curl: (6) Could not resolve host: query1" in line
    assert line.endswith(
        "; check the network and run again (what was fetched is cached), or use --offline "
        "to run on cached prices only"
    )
    with pytest.raises(FetchError, match="Yahoo unreachable"):
        es.load_study(ROOT / "events.yaml").run(cache_dir=tmp_path / "cache")


# ------------------------------------------------------------ a missing benchmark


def test_a_missing_benchmark_raises_the_same_error_in_python_and_on_the_command_line(tmp_path):
    study = es.Study.from_frame(events("2024-06-03"), benchmark="QQQ")
    with pytest.raises(NoPairsError) as info:
        study.run(prices=prices())
    assert str(info.value) == f"{NO_PAIR} (no prices for benchmark QQQ in the frame source)"
    prices().to_csv(tmp_path / "p.csv")
    events("2024-06-03").to_csv(tmp_path / "ev.csv", index=False)
    args = ["run", tmp_path / "ev.csv", "--prices", tmp_path / "p.csv", "--benchmark", "QQQ"]
    line = one_line(invoke(*args, "--bhar", "0,20", "--out", tmp_path / "out"), 2)
    assert (
        line == f"{tmp_path / 'ev.csv'}: {NO_PAIR} (no prices for benchmark QQQ in the csv source)"
    )


# ------------------------------------------------------------ outside the prices


def _estimation_of(day0: str) -> tuple[str, int]:
    """The estimation window [-250, -11]'s first session, and its returns from the first
    price on 2023-01-03 (the first return is the next session's)."""
    grid = sessions("XNYS")
    pos = grid.get_loc(pd.Timestamp(day0))
    inside = grid[pos - 250 : pos - 10]
    return f"{inside[0]:%Y-%m-%d}", int((inside > "2023-01-03").sum())


START, N_EST = _estimation_of("2023-03-01")
OUTSIDE = {
    "aaa-2019-06-03": "day 0 2019-06-03 is before AAA's first price (2023-01-03)",
    "aaa-2026-06-03": "day 0 2026-06-03 is after AAA's last price (2024-12-31)",
    "aaa-2023-03-01": (
        f"only {N_EST} valid estimation returns (minimum 120): the estimation window starts "
        f"{START}, before AAA's first price (2023-01-03)"
    ),
    "aaa-2023-11-01": "day 0 2023-11-01 is before benchmark LATE's first price (2024-01-02)",
}


def test_pairs_outside_the_prices_are_skipped_naming_the_dates(tmp_path):
    """Before the first price, after the last, an estimation window off the data, and a
    benchmark that starts later; the one pair inside is estimated, the run warns."""
    frame = prices()
    frame["LATE"] = frame["SPY"].where(frame.index >= "2024-01-02")
    dates = ["2019-06-03", "2026-06-03", "2023-03-01", "2023-11-01", "2024-10-01"]
    table = events(*dates).assign(benchmark=["SPY", "SPY", "SPY", "LATE", "SPY"])
    study = es.Study.from_frame(table, benchmark="SPY")
    with pytest.warns(SkippedPairsWarning) as caught:
        result = study.run(prices=frame, tests="none")
    assert dict(zip(result.skipped["event_id"], result.skipped["reason"], strict=True)) == OUTSIDE
    assert result.models["event_id"].tolist() == ["aaa-2024-10-01"]
    reasons = list(OUTSIDE.values())
    assert str(caught[0].message) == (
        f"4 of 5 (event, security) pairs skipped ({'; '.join(reasons[:3])}; and 1 more); "
        "see result.skipped or skipped.csv"
    )


def test_nothing_left_inside_the_prices_names_the_dates_in_the_error(tmp_path):
    prices().to_csv(tmp_path / "p.csv")
    events("2019-06-03").to_csv(tmp_path / "ev.csv", index=False)
    args = ["run", tmp_path / "ev.csv", "--prices", tmp_path / "p.csv", "--benchmark", "SPY"]
    line = one_line(invoke(*args, "--out", tmp_path / "out"), 2)
    assert line == (
        f"{tmp_path / 'ev.csv'}: {NO_PAIR} (day 0 2019-06-03 is before AAA's first price "
        "(2023-01-03))"
    )
    with pytest.raises(NoPairsError, match=r"day 0 2019-06-03 is before AAA's first price"):
        es.Study.from_frame(events("2019-06-03"), benchmark="SPY").run(prices=prices())


# ------------------------------------------------------- every measure, on no pair


@pytest.mark.parametrize(
    "settings",
    [
        {"bhar_windows": [[0, 20]]},
        {"measures": ["return", "volume"]},
        {"measures": ["return", "volatility"]},
        {"regressions": ["car ~ beta"]},
        {"placebo": 20},
    ],
    ids=["bhar-calendar-time", "volume", "volatility", "regression", "placebo"],
)
def test_every_measure_on_no_estimable_pair_raises_no_pairs_error(settings):
    study = es.Study.from_frame(events("2024-06-03"), benchmark="QQQ", **settings)
    with pytest.raises(NoPairsError, match=r"\(no prices for benchmark QQQ in the frame source\)"):
        study.run(prices=prices())


def test_an_intraday_run_on_no_estimable_pair_raises_no_pairs_error():
    study = es.load_study(ROOT / "examples" / "intraday.yaml", securities=["ZZZZ"])
    with pytest.raises(NoPairsError, match=re.escape(f"{NO_PAIR} (no demo bars for ZZZZ")):
        study.run(source="demo")


def test_long_horizons_on_no_pair_or_no_benchmark_give_empty_tables():
    """BHARs and calendar-time portfolios of zero pairs (or no benchmark returns)."""
    study = es.Study.from_frame(events("2024-06-03"), benchmark="SPY", bhar_windows=[[0, 20]])
    bhar, path, skipped = buy_and_hold([], {}, [(0, 20)], "SPY")
    assert bhar.empty and skipped == [] and (path["n"] == 0).all()
    table, portfolio = calendar_time(study, [], {}, [(0, 20)])
    assert table[["window_start", "window_end", "n_days"]].values.tolist() == [[0, 20, 0]]
    assert table["alpha"].isna().all() and portfolio.empty


def test_a_bhar_window_past_the_data_skips_its_pairs_and_the_run_completes(tmp_path):
    prices().to_csv(tmp_path / "p.csv")
    events("2024-11-01").to_csv(tmp_path / "ev.csv", index=False)
    args = ["run", tmp_path / "ev.csv", "--prices", tmp_path / "p.csv", "--benchmark", "SPY"]
    outcome = invoke(*args, "--bhar", "30,60", "--no-plots", "--out", tmp_path / "out")
    assert outcome.exit_code == 0, outcome.output
    folder = tmp_path / "out" / "ev"
    assert pd.read_csv(folder / "bhar.csv").empty
    assert pd.read_csv(folder / "skipped.csv")["reason"].tolist() == [
        "BHAR [30, 60] runs past the end of the data (last return 2024-12-31)"
    ]
