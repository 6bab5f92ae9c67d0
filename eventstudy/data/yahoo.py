"""The ``yahoo`` price source: yfinance behind the local price cache.

Price policy (fixed, documented):

* Bars come from ``yfinance.Ticker(t).history(start, end, interval="1d",
  auto_adjust=False, actions=True, repair=False)``: raw ``Close`` (split-adjusted by
  Yahoo), ``Adj Close`` (split- and dividend-adjusted), volume, dividends and splits are
  all kept in the cache. Returns use ``Adj Close``. ``auto_adjust`` is passed explicitly
  because yfinance changed its default (0.2.51).
* The index is normalised to tz-naive exchange-local session dates (yfinance returns
  exchange-local midnights, e.g. ``datetime64[s, America/New_York]``).
* ``Ticker.history`` is used one ticker at a time rather than ``yf.download``:
  ``download`` never raises and reports every failure the same way (all-NaN columns,
  a log line), while ``history`` with ``yf.config.debug.hide_exceptions = False``
  raises typed errors, so a rate limit (retry), an unknown ticker (skip that security)
  and a network failure (fall back to the cache) can be told apart. The result is also
  checked: an empty or all-NaN frame counts as "no data".
* Only missing date ranges are fetched. A fetch that touches cached dates re-reads a
  ten-day overlap; if the adjusted closes there changed (a new dividend or split moved
  Yahoo's adjustment basis), the ticker's whole cached range is fetched again, so
  returns never straddle two adjustment bases.

yfinance is imported only here and only when a fetch happens. Its own small caches
(time zones, cookies) are pointed into this toolkit's cache folder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from eventstudy.core.errors import FetchError
from eventstudy.core.prices import MissingPrices, PriceTable, TickerProvenance, frame_sha256
from eventstudy.data.cache import COLUMNS, CacheEntry, DateRange, PriceCache, missing_ranges

OVERLAP = timedelta(days=10)
RETRIES = 4
BACKOFF_SECONDS = 2.0
_RENAME = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
    "Dividends": "dividends",
    "Stock Splits": "stock_splits",
}
ProgressCallback = Callable[[str, int, int], None]


class _NoData(Exception):
    """Yahoo knows no data for this ticker and range (unknown, delisted, empty)."""


class _Unreachable(Exception):
    """The network or Yahoo's service failed."""


class _RateLimited(Exception):
    """Yahoo answered 'Too Many Requests'."""


def _classify(exc: Exception) -> Exception:
    """Map what yfinance raised to one of the three failure kinds."""
    from yfinance.exceptions import YFRateLimitError, YFTickerMissingError

    if isinstance(exc, YFRateLimitError):
        return _RateLimited(str(exc))
    if isinstance(exc, YFTickerMissingError):
        return _NoData(str(exc).split(": ", 1)[-1])
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status == 429:
        return _RateLimited(str(exc))
    if status == 404:
        return _NoData("Yahoo does not know this symbol (HTTP 404)")
    first_line = str(exc).split(". See ")[0].replace("Failed to perform, ", "")
    return _Unreachable(f"{type(exc).__name__}: {first_line}"[:160])


def _yfinance_version() -> str:
    from importlib.metadata import version

    return f"yfinance {version('yfinance')}"


def history_frame(ticker: str, start: date, end: date) -> pd.DataFrame:
    """One call to ``yfinance.Ticker(ticker).history`` for ``start..end`` inclusive.

    Raises the failure kinds of this module instead of yfinance's exceptions, and
    returns bars with this toolkit's column names on tz-naive session dates.
    """
    raw = call_history(ticker, start, end, interval="1d")
    return normalise_history(raw, ticker)


def call_history(ticker: str, start: date, end: date, **options: object) -> pd.DataFrame:
    """``yfinance.Ticker(ticker).history(start, end + 1 day, **options)`` as yfinance returns it.

    ``auto_adjust=False, actions=True, repair=False`` are always passed. yfinance's
    exceptions are turned on for the call and mapped to this module's failure kinds;
    its logger is silenced (failures are reported by the caller).
    """
    import yfinance as yf

    debug = yf.config.debug
    hidden = debug.hide_exceptions
    debug.hide_exceptions = False
    logger = logging.getLogger("yfinance")  # failures are classified and reported here
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return yf.Ticker(ticker).history(
            start=start.isoformat(),
            end=(end + timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
            auto_adjust=False,
            actions=True,
            repair=False,
            **options,
        )
    except Exception as exc:
        raise _classify(exc) from exc
    finally:
        debug.hide_exceptions = hidden
        logger.setLevel(level)


def normalise_history(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Bars as cached: snake-case columns, float prices, tz-naive session-date index.

    Raises ``_NoData`` for an empty frame or one whose adjusted closes are all missing
    (how yfinance reports many failures without raising).
    """
    if raw is None or raw.empty or "Adj Close" not in raw or raw["Adj Close"].isna().all():
        raise _NoData("Yahoo returned no prices")
    frame = raw.rename(columns=_RENAME)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = 0.0 if column in ("dividends", "stock_splits") else np.nan
    frame = frame[COLUMNS].astype("float64")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    frame.index = index.normalize().as_unit("ns")
    frame.index.name = "date"
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame[frame["adj_close"].notna()]


@dataclass
class FetchReport:
    """What a fetch did, per ticker."""

    fetched: dict[str, list[DateRange]] = field(default_factory=dict)
    from_cache: list[str] = field(default_factory=list)
    missing: dict[str, MissingPrices] = field(default_factory=dict)
    refetched_for_adjustment: list[str] = field(default_factory=list)


class YahooSource:
    """Prices from Yahoo via yfinance, through a :class:`PriceCache`.

    Parameters
    ----------
    cache
        The cache to use (default: the user cache folder or ``$EVENTSTUDY_CACHE_DIR``).
    offline
        Never touch the network; serve only what the cache holds and name the rest.
    refresh
        Re-download every requested range even if cached.
    retries, backoff
        On a rate limit, retry up to ``retries`` times, waiting ``backoff * 2**k``
        seconds before retry ``k``; then give up with a :class:`FetchError`.
    progress
        Called as ``progress(ticker, i, n)`` before each ticker is handled.
    sleep
        Injected for tests.
    """

    name = "yahoo"
    synthetic = False

    def __init__(
        self,
        cache: PriceCache | None = None,
        *,
        offline: bool = False,
        refresh: bool = False,
        retries: int = RETRIES,
        backoff: float = BACKOFF_SECONDS,
        progress: ProgressCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = cache or PriceCache()
        self.offline = offline
        self.refresh = refresh
        self.retries = retries
        self.backoff = backoff
        self.progress = progress
        self.sleep = sleep
        self._unreachable: str | None = None

    def _history(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        """``history_frame`` with bounded retries on rate limits."""
        for attempt in range(self.retries + 1):
            try:
                return self._request(ticker, start, end)
            except _RateLimited:
                if attempt == self.retries:
                    raise
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        """One request for ``ticker``'s bars over ``start..end`` (daily: ``history_frame``)."""
        return history_frame(ticker, start, end)

    def _point_yfinance_cache(self) -> None:
        import yfinance as yf

        folder = self.cache.root / "yfinance"
        folder.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(folder))

    def fetch(self, tickers: list[str], start: date, end: date) -> FetchReport:
        """Make the cache cover ``start..end`` for every ticker it can.

        Raises
        ------
        FetchError
            When Yahoo keeps rate-limiting after the retries. Tickers fetched before
            that stay cached.
        """
        report = FetchReport()
        last_closed = datetime.now(UTC).date() - timedelta(days=1)
        wanted: DateRange = (start, min(end, last_closed))
        tickers = list(dict.fromkeys(tickers))
        if not self.offline and wanted[0] <= wanted[1]:
            self._point_yfinance_cache()
        for i, ticker in enumerate(tickers):
            if self.progress:
                self.progress(ticker, i, len(tickers))
            entry = None if self.refresh else self.cache.read(ticker)
            gaps = [wanted] if entry is None else missing_ranges(wanted, entry.coverage)
            if wanted[0] > wanted[1] or not gaps:
                report.from_cache.append(ticker)
                continue
            if self.offline or self._unreachable:
                why = "offline" if self.offline else f"Yahoo unreachable: {self._unreachable}"
                report.missing[ticker] = _gaps(ticker, gaps, why, source_failed=not self.offline)
                continue
            try:
                self._fill(ticker, entry, gaps, last_closed, report)
            except _NoData as exc:
                report.missing[ticker] = _gaps(ticker, gaps, f"Yahoo has no data: {exc}")
            except _Unreachable as exc:
                self._unreachable = str(exc)
                report.missing[ticker] = _gaps(
                    ticker, gaps, f"Yahoo unreachable: {exc}", source_failed=True
                )
            except _RateLimited as exc:
                done = ", ".join(sorted(report.fetched)) or "none"
                raise FetchError(
                    f"Yahoo is rate-limiting requests ({exc}): {ticker} failed after "
                    f"{self.retries} retries; tickers fetched and cached so far: {done}. "
                    "Wait a while and run again: cached data is reused."
                ) from None
        return report

    def _fill(
        self,
        ticker: str,
        entry: CacheEntry | None,
        gaps: list[DateRange],
        last_closed: date,
        report: FetchReport,
    ) -> None:
        """Fetch each gap; re-read seams with cached data and refetch all on a new basis."""
        library = _yfinance_version()
        for gap_start, gap_end in gaps:
            lo, hi = gap_start, gap_end
            if entry is not None:  # re-read the seams to check the adjustment basis
                lo, hi = lo - OVERLAP, min(hi + OVERLAP, last_closed)
            bars = self._history(ticker, lo, hi)
            if entry is not None and _basis_changed(entry.bars, bars):
                full = (
                    min(entry.coverage[0][0], gaps[0][0]),
                    max(entry.coverage[-1][1], gaps[-1][1]),
                )
                bars = self._history(ticker, *full)
                self.cache.store(ticker, bars, full, library=library, replace=True)
                report.refetched_for_adjustment.append(ticker)
                report.fetched.setdefault(ticker, []).append(full)
                return
            entry = self.cache.store(ticker, bars, (lo, hi), library=library)
            report.fetched.setdefault(ticker, []).append((gap_start, gap_end))

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Fetch what the cache lacks (unless offline), then serve prices from the cache.

        Tickers Yahoo does not know, and ranges that could not be fetched, are named
        in :attr:`PriceTable.missing`; the study skips the pairs they affect.
        """
        report = self.fetch(tickers, start, end)
        columns, volumes, provenance = {}, {}, {}
        for ticker in dict.fromkeys(tickers):
            entry = self.cache.read(ticker)
            if entry is None:
                continue
            bars = entry.bars.loc[pd.Timestamp(start) : pd.Timestamp(end)]
            if bars.empty:
                continue
            columns[ticker] = bars["adj_close"]
            volumes[ticker] = bars["volume"]
            provenance[ticker] = TickerProvenance(
                ticker=ticker,
                source=self.name,
                first_date=f"{bars.index[0]:%Y-%m-%d}",
                last_date=f"{bars.index[-1]:%Y-%m-%d}",
                rows=len(bars),
                sha256=frame_sha256(bars["adj_close"]),
                detail=f"Adj Close from Ticker.history; cache {self.cache.path(ticker)}",
                fetched_at=entry.fetched_at,
                library=entry.library,
            )
        adj = pd.DataFrame(columns).sort_index()
        adj.index.name = "date"
        return PriceTable(
            adj_close=adj,
            source=self.name,
            synthetic=False,
            provenance=provenance,
            volume=pd.DataFrame(volumes).reindex(adj.index),
            missing=report.missing,
        )


def _gaps(
    ticker: str, gaps: list[DateRange], why: str, *, source_failed: bool = False
) -> MissingPrices:
    spans = ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in gaps)
    reason = f"no yahoo prices for {ticker} over {spans} ({why})"
    return MissingPrices(reason, tuple(gaps), source_failed=source_failed)


def _basis_changed(cached: pd.DataFrame, fresh: pd.DataFrame) -> bool:
    """True when adjusted closes on dates present in both differ (new adjustment basis)."""
    common = cached.index.intersection(fresh.index)
    if common.empty:
        return False
    old = cached.loc[common, "adj_close"].to_numpy()
    new = fresh.loc[common, "adj_close"].to_numpy()
    return not np.allclose(old, new, rtol=1e-6, atol=0.0, equal_nan=True)
