"""A durable on-disk price cache: one Parquet file per ticker.

Layout: ``<root>/prices/v1/1d/<TICKER>.parquet`` holding the daily bars as fetched
(open, high, low, close, adj_close, volume, dividends, stock_splits) indexed by session
date, with the cache's own metadata in the Parquet schema: which calendar-date ranges
have been fetched (``coverage``, so a holiday is not mistaken for a gap), when, and
with which library version.

Writes are atomic (a temp file in the same folder, then ``os.replace``) and serialised
per ticker by a file lock, so two processes updating the same ticker never corrupt or
lose each other's rows. A file that cannot be read is moved aside (``*.corrupt-<time>``)
with a :class:`CacheWarning` and treated as absent, so it is fetched again.

The root defaults to the platform's user cache folder (``platformdirs``), overridable
with the ``EVENTSTUDY_CACHE_DIR`` environment variable or an explicit path.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from eventstudy.core import atomic
from eventstudy.core.cache_folder import default_cache_dir

LAYOUT = Path("prices") / "v1" / "1d"
COLUMNS = ["open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits"]
_META_KEY = b"eventstudy"
_LOCK_TIMEOUT = 120.0

DateRange = tuple[date, date]


class CacheWarning(UserWarning):
    """Something in the cache was wrong and has been repaired (e.g. a corrupt file)."""


def merge_ranges(ranges: list[DateRange]) -> list[DateRange]:
    """Union of inclusive date ranges, merged where they touch or overlap, sorted."""
    out: list[DateRange] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def missing_ranges(wanted: DateRange, covered: list[DateRange]) -> list[DateRange]:
    """Parts of ``wanted`` (inclusive) not inside any ``covered`` range."""
    gaps: list[DateRange] = []
    cursor = wanted[0]
    for start, end in merge_ranges(covered):
        if end < cursor:
            continue
        if start > wanted[1]:
            break
        if start > cursor:
            gaps.append((cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
    if cursor <= wanted[1]:
        gaps.append((cursor, wanted[1]))
    return gaps


@dataclass(frozen=True)
class CacheEntry:
    """One ticker's cached bars and what is known about them."""

    ticker: str
    bars: pd.DataFrame
    coverage: list[DateRange]
    fetched_at: str | None
    library: str | None

    def summary(self) -> dict[str, object]:
        """Ticker, first/last date, rows, fetched at: what ``eventstudy cache`` lists."""
        return {
            "ticker": self.ticker,
            "first_date": f"{self.bars.index.min():%Y-%m-%d}" if len(self.bars) else None,
            "last_date": f"{self.bars.index.max():%Y-%m-%d}" if len(self.bars) else None,
            "rows": len(self.bars),
            "fetched_at": self.fetched_at,
            "coverage": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for a, b in self.coverage],
        }


def _file_name(ticker: str) -> str:
    """A safe file name for any symbol (``^GSPC`` -> ``%5EGSPC``).

    Every other character becomes the ``%XX`` escapes of its UTF-8 bytes, so distinct
    symbols never share a file (``chr(0x4E2D)`` and ``chr(0x4E2) + "D"`` once did).
    """
    return (
        re.sub(
            r"[^A-Za-z0-9.\-=]",
            lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")),
            ticker,
        )
        + ".parquet"
    )


def _ticker_from(name: str) -> str:
    return unquote(name.removesuffix(".parquet"), errors="surrogatepass")


class PriceCache:
    """Per-ticker Parquet files under ``root`` (see the module docstring).

    ``interval`` names the bars' folder: ``1d`` (daily bars, :data:`LAYOUT`) or an
    intraday interval (``prices/v1/5m/`` ..., indexed by UTC bar starts), so each
    interval has its own cache.
    """

    def __init__(self, root: str | Path | None = None, interval: str = "1d") -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.folder = (
            self.root / LAYOUT if interval == "1d" else self.root / LAYOUT.parent / interval
        )

    def path(self, ticker: str) -> Path:
        """The cache file of ``ticker``."""
        return self.folder / _file_name(ticker)

    def _lock(self, ticker: str):
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path(ticker)) + ".lock", timeout=_LOCK_TIMEOUT)

    def read(self, ticker: str) -> CacheEntry | None:
        """The cached entry of ``ticker``, or None if absent (or corrupt: moved aside)."""
        path = self.path(ticker)
        if not path.is_file():
            return None
        try:
            return _read_entry(path, ticker)
        except Exception as exc:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            try:
                os.replace(path, aside)
            except FileNotFoundError:  # another process moved it first
                return None
            warnings.warn(
                f"price cache file {path} was unreadable ({type(exc).__name__}: {exc}); "
                f"moved it to {aside.name} and will fetch {ticker} again",
                CacheWarning,
                stacklevel=2,
            )
            return None

    def store(
        self,
        ticker: str,
        bars: pd.DataFrame,
        covered: DateRange,
        *,
        library: str | None = None,
        replace: bool = False,
    ) -> CacheEntry:
        """Merge freshly fetched ``bars`` covering ``covered`` into the cache, atomically.

        Rows for dates already cached are replaced by the new ones; coverage becomes
        the union. With ``replace=True`` the old entry is discarded first.
        """
        with self._lock(ticker):
            old = None if replace else self.read(ticker)
            frames = [bars] if old is None else [old.bars[~old.bars.index.isin(bars.index)], bars]
            merged = pd.concat([f for f in frames if len(f)] or [bars]).sort_index()
            coverage = merge_ranges([*(old.coverage if old else []), covered])
            entry = CacheEntry(
                ticker,
                merged[COLUMNS],
                coverage,
                datetime.now(UTC).isoformat(timespec="seconds"),
                library,
            )
            _write_entry(self.path(ticker), entry)
            return entry

    def entries(self) -> Iterator[CacheEntry]:
        """Every readable cached ticker, by ticker name."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.parquet")):
            entry = self.read(_ticker_from(path.name))
            if entry is not None:
                yield entry

    def clear(self, tickers: list[str] | None = None) -> list[str]:
        """Delete the cache files of ``tickers`` (all when None); return those removed."""
        names = (
            tickers if tickers else [_ticker_from(p.name) for p in self.folder.glob("*.parquet")]
        )
        removed = []
        for ticker in names:
            with self._lock(ticker):
                path = self.path(ticker)
                if path.is_file():
                    path.unlink()
                    removed.append(ticker)
            Path(str(self.path(ticker)) + ".lock").unlink(missing_ok=True)
        return sorted(removed)


def _write_entry(path: Path, entry: CacheEntry) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = entry.bars.copy()
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ms")
    frame.index.name = "date"
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = {
        "ticker": entry.ticker,
        "coverage": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for a, b in entry.coverage],
        "fetched_at": entry.fetched_at,
        "library": entry.library,
    }
    schema_meta = dict(table.schema.metadata or {}) | {_META_KEY: json.dumps(meta).encode()}
    table = table.replace_schema_metadata(schema_meta)
    atomic.write_atomic(path, lambda f: pq.write_table(table, f))


def _read_entry(path: Path, ticker: str) -> CacheEntry:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {})[_META_KEY])
    if meta.get("ticker") != ticker:
        raise ValueError(f"file holds {meta.get('ticker')!r}, not {ticker!r}")
    frame = table.to_pandas()
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "date"
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"columns missing: {missing}")
    coverage = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in meta["coverage"]]
    return CacheEntry(ticker, frame[COLUMNS], coverage, meta.get("fetched_at"), meta.get("library"))
