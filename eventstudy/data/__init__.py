"""Price sources: ``demo`` (built in, synthetic), ``csv`` (the user's files), ``yahoo``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from eventstudy.data.base import PriceSource, PriceTable, TickerProvenance
from eventstudy.errors import EventStudyError

SourceName = Literal["demo", "csv", "yahoo"]
SOURCE_NAMES: tuple[str, ...] = ("demo", "csv", "yahoo")

__all__ = ["SOURCE_NAMES", "PriceSource", "PriceTable", "TickerProvenance", "get_source"]


def get_source(name: str, prices: str | Path | None = None) -> PriceSource:
    """Build the price source called ``name``.

    Parameters
    ----------
    name
        ``demo``, ``csv`` or ``yahoo``.
    prices
        For ``csv``: a wide or long CSV file, or a folder of ``TICKER.csv`` files.

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
        raise EventStudyError(
            "the yahoo source is not available in this version; use --source demo, "
            "or --source csv --prices FILE with prices exported from Yahoo",
            field="--source",
        )
    raise EventStudyError(
        f"unknown price source '{name}' (choose from {', '.join(SOURCE_NAMES)})",
        field="--source",
    )
