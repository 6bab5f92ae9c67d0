"""``run(prices=df)`` with the columns ``yf.download([...])`` returns.

yfinance 1.7.0 (``multi.py``, ``download``): the frames of the tickers are joined with
``pd.concat(..., keys=tickers, names=['Ticker', 'Price'])`` and, for the default
``group_by='column'``, the levels are swapped to (``Price``, ``Ticker``) and sorted;
``Price`` holds ``Close, High, Low, Open, Volume`` (``Adj Close`` too with
``auto_adjust=False``), the index is a ``DatetimeIndex`` named ``Date``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.core.errors import PriceDataError
from eventstudy.sessions.calendar import sessions

TICKERS = ["AAA", "SPY"]


def _closes() -> pd.DataFrame:
    days = sessions("XNYS")
    days = days[(days >= "2023-01-03") & (days <= "2024-12-31")]
    rng = np.random.default_rng(5)
    market = rng.normal(0.0003, 0.01, len(days))
    own = 0.9 * market + rng.normal(0, 0.01, len(days))
    return pd.DataFrame(
        {"AAA": 50 * np.exp(np.cumsum(own)), "SPY": 400 * np.exp(np.cumsum(market))},
        index=pd.DatetimeIndex(days, name="Date"),
    )


def like_yf_download(adjusted: bool = True, group_by: str = "column") -> pd.DataFrame:
    """The frame of ``yf.download(TICKERS, auto_adjust=adjusted, group_by=group_by)``."""
    closes = _closes()
    parts = {}
    for t in TICKERS:
        c = closes[t]
        fields = {"Open": c * 0.99, "High": c * 1.01, "Low": c * 0.98}
        fields |= {"Close": c} if adjusted else {"Close": c * 1.02, "Adj Close": c}
        parts[t] = pd.DataFrame(fields | {"Volume": np.arange(len(c)) + 1000}, index=c.index)
    data = pd.concat(
        parts.values(), axis=1, sort=True, keys=parts.keys(), names=["Ticker", "Price"]
    )
    if group_by == "column":
        data.columns = data.columns.swaplevel(0, 1)
        data = data.sort_index(level=0, axis=1)
    return data


STUDY = es.Study.from_frame(
    pd.DataFrame({"date": ["2024-06-03"], "ticker": ["AAA"]}), name="yf", benchmark="SPY"
)
EXPECTED = STUDY.run(prices=_closes(), tests="none")


@pytest.mark.parametrize(
    ("adjusted", "group_by"), [(True, "column"), (False, "column"), (True, "ticker")]
)
def test_yfinance_download_columns_give_the_wide_frames_result(adjusted, group_by):
    result = STUDY.run(prices=like_yf_download(adjusted, group_by), tests="none")
    pd.testing.assert_frame_equal(result.car, EXPECTED.car)
    assert len(result.models) == 1 and result.skipped.empty
    volume = result.prices.volume["AAA"]  # Volume is read too: row k of the frame has 1000 + k
    assert (volume == _closes().index.get_indexer(volume.index) + 1000).all()


def test_yfinance_columns_with_the_date_reset_into_a_column_work_too():
    frame = like_yf_download().reset_index()  # a ("Date", "") column
    result = STUDY.run(prices=frame, tests="none")
    pd.testing.assert_frame_equal(result.car, EXPECTED.car)


def test_other_column_levels_are_refused_naming_the_layouts():
    frame = _closes()
    frame.columns = pd.MultiIndex.from_product([["x"], TICKERS], names=["kind", "ticker"])
    with pytest.raises(PriceDataError) as info:
        STUDY.run(prices=frame)
    assert str(info.value) == (
        "<prices DataFrame>: the columns have 2 levels (kind, ticker): give one column per "
        "ticker, long columns date, ticker, adj_close, or yfinance's (Price, Ticker) columns "
        "with a Close or Adj Close price"
    )
