"""Price sources: ``demo`` (built in, synthetic), ``csv`` and ``parquet`` (the user's files),
``frame`` (a DataFrame), ``yahoo``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from eventstudy.core.errors import ArgumentError, EventStudyError
from eventstudy.core.prices import MissingPrices, PriceSource, PriceTable, TickerProvenance

ProgressCallback = Callable[[str, int, int], None]
SOURCE_NAMES: tuple[str, ...] = ("demo", "csv", "yahoo", "frame", "parquet")

__all__ = [
    "SOURCE_NAMES",
    "MissingPrices",
    "PriceSource",
    "PriceTable",
    "TickerProvenance",
    "get_source",
]


def get_source(
    source: str | PriceSource | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    *,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> PriceSource:
    """The price source a run asks for, with ``source`` and ``prices`` reconciled.

    Parameters
    ----------
    source
        ``demo``, ``csv``, ``yahoo``, ``frame`` or ``parquet``, or a :class:`PriceSource`
        (returned as it is). Default: the source of ``prices`` (a DataFrame: ``frame``; a
        path ending in ``.parquet``: ``parquet``; another path: ``csv``), else ``yahoo``.
    prices
        For ``csv``: a wide or long CSV file, or a folder of ``TICKER.csv`` files; for
        ``frame``: a pandas DataFrame (:mod:`eventstudy.data.frame`); for ``parquet``: a
        Parquet file, a folder (partitioned by ticker or not) or a URL
        (:mod:`eventstudy.data.parquet`). With ``yahoo`` or
        ``demo``, which would ignore it, it is an error.
    cache_dir, offline, refresh, progress
        For ``yahoo``: the price cache folder (default: ``$EVENTSTUDY_CACHE_DIR`` or the
        user cache folder), never use the network, re-download cached ranges, and a
        ``progress(ticker, i, n)`` callback. See :class:`~eventstudy.data.yahoo.YahooSource`.
        With another source they have no effect, and a warning says so.

    Raises
    ------
    EventStudyError
        For an unknown source, a source without the ``prices`` it needs, or ``prices``
        given to a source that does not read them.
    """
    if source is not None and not isinstance(source, str):
        if prices is not None:
            raise ArgumentError(
                f"prices are given but the source is a {type(source).__name__} object, "
                "which does not read them",
                argument="prices",
            )
        return source
    if source is None:
        source = "csv" if prices is not None else "yahoo"
        if isinstance(prices, str | Path) and str(prices).lower().endswith(".parquet"):
            source = "parquet"
    if source == "csv" and isinstance(prices, pd.DataFrame):
        source = "frame"
    if source in ("yahoo", "demo") and prices is not None:
        raise ArgumentError(
            f"prices have no effect with the {source} source: drop them, or use the "
            "csv or parquet source (a file or folder) to run on those prices",
            argument="prices",
        )
    unused = [
        name
        for name, value in (("cache_dir", cache_dir), ("offline", offline), ("refresh", refresh))
        if value
    ]
    if source != "yahoo" and unused:
        warnings.warn(
            f"{', '.join(unused)} only apply to the yahoo source; ignored with the {source} source",
            UserWarning,
            stacklevel=3,
        )
    if source == "demo":
        from eventstudy.data.demo import DemoSource

        return DemoSource()
    if source == "frame":
        from eventstudy.data.frame import FrameSource

        if prices is None:
            raise EventStudyError("the frame source needs a prices DataFrame", field="prices")
        return FrameSource(prices)
    if source == "csv":
        if prices is None:
            raise ArgumentError("the csv source needs a prices file or folder", argument="prices")
        from eventstudy.data.csv import CsvSource

        return CsvSource(prices)
    if source == "parquet":
        if prices is None:
            raise ArgumentError(
                "the parquet source needs a prices file, folder or URL", argument="prices"
            )
        from eventstudy.data.parquet import ParquetSource

        return ParquetSource(prices)
    if source == "yahoo":
        from eventstudy.data.cache import PriceCache
        from eventstudy.data.yahoo import YahooSource

        return YahooSource(
            PriceCache(cache_dir), offline=offline, refresh=refresh, progress=progress
        )
    raise ArgumentError(
        f"unknown price source '{source}' (choose from {', '.join(SOURCE_NAMES)})",
        argument="source",
    )
