"""Checks of loaded prices against the exchange calendars, before returns are taken.

Returns are measured from session to session of each security's exchange, so a price
row on a date that is not a session (a holiday in a ``bdate_range``, a weekend row of
an export) cannot be used. :func:`flag_off_session` finds those rows, names them in a
warning (ticker, how many rows, the first dates) and records them in the price table
for ``manifest.json``; nothing is dropped silently.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from eventstudy.core.prices import OffSessionRows, PriceTable
from eventstudy.sessions.calendar import exchange_for, sessions

SHOWN_DATES = 3
"""How many of a ticker's off-session dates a warning names."""
SHOWN_TICKERS = 5
"""How many tickers one warning names (the manifest lists all)."""


def off_session_rows(table: PriceTable) -> dict[str, OffSessionRows]:
    """Per ticker, its price rows on dates that are not sessions of its exchange."""
    prices = table.adj_close
    if prices.empty:
        return {}
    by_exchange: dict[str, list[str]] = {}
    for ticker in prices.columns:
        by_exchange.setdefault(exchange_for(ticker), []).append(ticker)
    found: dict[str, OffSessionRows] = {}
    for mic, tickers in by_exchange.items():
        off = ~prices.index.isin(sessions(mic))
        if not off.any():
            continue
        present = prices[tickers].notna().to_numpy()[off]
        dates = prices.index[off].strftime("%Y-%m-%d")
        counts = present.sum(axis=0)
        for k in np.flatnonzero(counts):
            rows = np.flatnonzero(present[:, k])
            found[tickers[k]] = OffSessionRows(
                exchange=mic, rows=int(counts[k]), dates=tuple(dates[rows])
            )
    return found


def flag_off_session(table: PriceTable) -> PriceTable:
    """The table with its off-session rows recorded (``off_session``) and warned about.

    The rows themselves are left in the frame: returns are placed on each exchange's
    sessions, which leaves them out. One warning per exchange names the tickers (at
    most :data:`SHOWN_TICKERS`), how many rows each, and their first dates.
    """
    found = off_session_rows(table)
    if not found:
        return table
    by_exchange: dict[str, list[str]] = {}
    for ticker, rows in found.items():
        by_exchange.setdefault(rows.exchange, []).append(ticker)
    for mic, tickers in by_exchange.items():
        shown = [
            f"{t} {found[t].rows} row{'s' if found[t].rows > 1 else ''} "
            f"({', '.join(found[t].dates[:SHOWN_DATES])}"
            f"{', ...' if found[t].rows > SHOWN_DATES else ''})"
            for t in tickers[:SHOWN_TICKERS]
        ]
        more = len(tickers) - SHOWN_TICKERS
        warnings.warn(
            f"price rows on dates that are not {mic} sessions are left out: "
            + "; ".join(shown)
            + (f"; and {more} more tickers" if more > 0 else "")
            + " (listed in manifest.json under data.off_session)",
            UserWarning,
            stacklevel=4,  # the caller of StudySpec.run
        )
    return replace(table, off_session=found)
