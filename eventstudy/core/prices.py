"""The price-source interface: every source returns a :class:`PriceTable`.

A source is asked for tickers over a date range and answers with adjusted closes on
each security's own trading dates (tz-naive session dates, one column per ticker).
Tickers it has no data for are simply absent from the table: the study then records
the affected pairs in ``skipped.csv`` instead of failing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TickerProvenance:
    """Where one ticker's prices came from, for ``manifest.json``."""

    ticker: str
    source: str
    first_date: str | None
    last_date: str | None
    rows: int
    sha256: str
    detail: str = ""
    fetched_at: str | None = None
    library: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the provenance as a JSON-ready dict."""
        return {
            "ticker": self.ticker,
            "source": self.source,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "rows": self.rows,
            "sha256": self.sha256,
            "detail": self.detail,
            "fetched_at": self.fetched_at,
            "library": self.library,
        }


@dataclass(frozen=True)
class MissingPrices:
    """Prices a source could not deliver for one ticker.

    Attributes
    ----------
    reason
        Why, in words (unknown ticker, offline, Yahoo unreachable ...).
    ranges
        The calendar-date ranges (inclusive) without prices; empty means all dates.
    source_failed
        True when the source itself failed (network down, service unreachable), not the
        data: the same request may succeed later.
    """

    reason: str
    ranges: tuple[tuple[date, date], ...] = ()
    source_failed: bool = False

    def affects(self, first: date, last: date) -> bool:
        """True if prices between ``first`` and ``last`` are (partly) missing."""
        return not self.ranges or any(a <= last and b >= first for a, b in self.ranges)


@dataclass(frozen=True)
class OffSessionRows:
    """Price rows of one ticker on dates that are not sessions of its exchange.

    Attributes
    ----------
    exchange
        The exchange (ISO MIC) whose calendar the dates are not sessions of.
    rows
        How many such rows had a price.
    dates
        Their dates, ``YYYY-MM-DD``.
    """

    exchange: str
    rows: int
    dates: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the record as a JSON-ready dict."""
        return {"exchange": self.exchange, "rows": self.rows, "dates": list(self.dates)}


@dataclass(frozen=True)
class PriceTable:
    """Adjusted closes for several tickers, as a source delivered them.

    Attributes
    ----------
    adj_close
        Wide frame: a tz-naive ``DatetimeIndex`` of session dates named ``date``, one
        float column per ticker; NaN where a ticker has no price on a date.
    source
        Name of the source (``demo``, ``csv``, ``yahoo``).
    synthetic
        True when the prices are made up (the demo data); every output then says so.
    provenance
        Per-ticker origin, range, row count and hash of the data used.
    volume
        Optional wide frame of volumes on the same index.
    missing
        Tickers (or date ranges of them) the source could not deliver, and why.
    off_session
        Tickers with price rows on dates that are not sessions of their exchange (left
        out of the returns), found by :func:`eventstudy.sessions.price_checks.flag_off_session`.
    extents
        Each ticker's first and last priced date in the whole source, beyond the range
        asked for (sources that know it: csv, frame); it names why a pair whose dates
        lie outside the data is skipped (:mod:`eventstudy.sessions.price_range`).
    """

    adj_close: pd.DataFrame
    source: str
    synthetic: bool = False
    provenance: dict[str, TickerProvenance] = field(default_factory=dict)
    volume: pd.DataFrame | None = None
    missing: dict[str, MissingPrices] = field(default_factory=dict)
    off_session: dict[str, OffSessionRows] = field(default_factory=dict)
    extents: dict[str, tuple[date, date]] = field(default_factory=dict)

    @property
    def tickers(self) -> list[str]:
        """Tickers with at least one price."""
        priced = self.adj_close.notna().to_numpy().any(axis=0)  # one pass, not per column
        return list(self.adj_close.columns[priced])

    def series(self, ticker: str) -> pd.Series:
        """Adjusted close of one ticker with its missing dates dropped."""
        return self.adj_close[ticker].dropna()


class PriceSource(Protocol):
    """Anything that can deliver adjusted closes for tickers over a date range."""

    name: str

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Return prices for ``tickers`` between ``start`` and ``end`` inclusive.

        Tickers the source does not know are left out of the table, not raised.
        """
        ...


def frame_sha256(series: pd.Series) -> str:
    """Hash of one ticker's prices (dates and values), stable across runs and machines."""
    s = series.dropna()
    dates = s.index.strftime("%Y-%m-%d").to_numpy(dtype=str)
    digest = hashlib.sha256()
    digest.update("\n".join(dates).encode())
    digest.update(np.ascontiguousarray(s.to_numpy(dtype="float64")).tobytes())
    return digest.hexdigest()


def provenance_for(
    frame: pd.DataFrame, source: str, detail: str = ""
) -> dict[str, TickerProvenance]:
    """Build the provenance record of every ticker column in ``frame``."""
    out: dict[str, TickerProvenance] = {}
    stamps = np.asarray(frame.index.strftime("%Y-%m-%d"), dtype=object)  # once, not per ticker
    for ticker in frame.columns:
        values = frame[ticker].to_numpy(dtype="float64")
        kept = ~np.isnan(values)
        dates = stamps[kept]
        digest = hashlib.sha256()  # as frame_sha256: dates, then the float64 bytes
        digest.update("\n".join(dates).encode())
        digest.update(np.ascontiguousarray(values[kept]).tobytes())
        out[ticker] = TickerProvenance(
            ticker=ticker,
            source=source,
            first_date=min(dates) if len(dates) else None,
            last_date=max(dates) if len(dates) else None,
            rows=int(kept.sum()),
            sha256=digest.hexdigest(),
            detail=detail,
        )
    return out
