"""Price sources: ``demo`` (built in, synthetic), ``csv`` (the user's files), ``yahoo``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from eventstudy.data.base import MissingPrices, PriceSource, PriceTable, TickerProvenance
from eventstudy.errors import EventStudyError

SourceName = Literal["demo", "csv", "yahoo"]
ProgressCallback = Callable[[str, int, int], None]
SOURCE_NAMES: tuple[str, ...] = ("demo", "csv", "yahoo")

__all__ = [
    "SOURCE_NAMES",
    "MissingPrices",
    "PriceSource",
    "PriceTable",
    "TickerProvenance",
    "get_source",
]


def get_source(
    name: str,
    prices: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> PriceSource:
    """Build the price source called ``name``.

    Parameters
    ----------
    name
        ``demo``, ``csv`` or ``yahoo``.
    prices
        For ``csv``: a wide or long CSV file, or a folder of ``TICKER.csv`` files.
    cache_dir, offline, refresh, progress
        For ``yahoo``: the price cache folder (default: ``$EVENTSTUDY_CACHE_DIR`` or the
        user cache folder), never use the network, re-download cached ranges, and a
        ``progress(ticker, i, n)`` callback. See :class:`~eventstudy.data.yahoo.YahooSource`.

    Raises
    ------
    EventStudyError
        For an unknown name, a missing ``prices`` path, or a source not available.
    """
    if name == "demo":
        from eventstudy.data.demo import DemoSource

        return DemoSource()
    if name == "csv":
        if prices is None:
            raise EventStudyError("the csv source needs a prices file or folder", field="--prices")
        from eventstudy.data.csv import CsvSource

        return CsvSource(prices)
    if name == "yahoo":
        from eventstudy.data.cache import PriceCache
        from eventstudy.data.yahoo import YahooSource

        return YahooSource(
            PriceCache(cache_dir), offline=offline, refresh=refresh, progress=progress
        )
    raise EventStudyError(
        f"unknown price source '{name}' (choose from {', '.join(SOURCE_NAMES)})",
        field="--source",
    )
