"""Why a pair whose dates lie outside its prices is skipped, in the user's terms.

A pair whose day 0 is before its security's (or benchmark's) first price, or after
its last, is skipped as "day 0 2019-06-03 is before AAA's first price (2023-01-03)"
rather than as missing prices or too few estimation returns; a pair whose estimation
window starts before the first price gets that said after its count of estimation
returns. The extents are those the source knows (:attr:`PriceTable.extents
<eventstudy.data.PriceTable>`: the csv and frame sources); with other sources (a
Yahoo cache holds only what was fetched) the reasons stay as found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from eventstudy.sessions.calendar import sessions

if TYPE_CHECKING:
    from eventstudy.core.prices import PriceTable
    from eventstudy.sessions.pairs import Pair

Skip = tuple[str, str, str]
"""``(event_id, ticker, reason)``, a row of ``skipped.csv``."""


def _estimation_start(pair: Pair, first: int) -> date | None:
    """The session at relative day ``first`` of ``pair`` (None off the calendar)."""
    grid = sessions(pair.alignment.exchange)
    pos = grid.searchsorted(pair.alignment.day0) + first
    return grid[pos].date() if pos >= 0 else None


def range_reason(
    pair: Pair, reason: str, extent: Callable[[str], tuple[date, date] | None], first: int
) -> str:
    """``reason`` for skipping ``pair``, told by its prices' extents where they explain it.

    Parameters
    ----------
    pair
        The skipped pair.
    reason
        Why it was skipped, as found (missing prices, too few estimation returns ...).
    extent
        A ticker's first and last priced date, or None.
    first
        The estimation window's first relative day.
    """
    day0 = pair.alignment.day0.date()
    names = [(pair.ticker, pair.ticker), (pair.benchmark, f"benchmark {pair.benchmark}")]
    extents = [(name, extent(t)) for t, name in names]
    for name, span in extents:
        if span is not None and day0 < span[0]:
            return f"day 0 {day0} is before {name}'s first price ({span[0]})"
        if span is not None and day0 > span[1]:
            return f"day 0 {day0} is after {name}'s last price ({span[1]})"
    if not reason.startswith("only "):  # too few estimation returns
        return reason
    start = _estimation_start(pair, first)
    for name, span in extents:
        if span is not None and start is not None and start < span[0]:
            return (
                f"{reason}: the estimation window starts {start}, before {name}'s first "
                f"price ({span[0]})"
            )
    return reason


def explain_ranges(
    skipped: list[Skip], pairs: list[Pair], table: PriceTable, first: int
) -> list[Skip]:
    """``skipped`` with each pair's reason told by :func:`range_reason` (same order)."""
    if not skipped:
        return skipped
    by_key = {(p.event_id, p.ticker): p for p in pairs}
    extent = table.extents.get
    out = []
    for event_id, ticker, reason in skipped:
        pair = by_key.get((event_id, ticker))
        if pair is not None:
            reason = range_reason(pair, reason, extent, first)
        out.append((event_id, ticker, reason))
    return out
