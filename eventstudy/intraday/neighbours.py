"""Other events near a pair's bar 0, in bars: masked out of its fit, flagged in its CARs.

The daily :class:`~eventstudy.sessions.confounders.Neighbours` table holds, for each pair, the
other events of the same security with their offset from the pair's day 0; the daily
engine masks ``mask_window`` around each of them in the estimation window
(``mask_other_events``) and lists those inside a CAR window in ``car.csv``'s
``confounders``. Nothing there depends on the offsets being sessions, so here they are
bars: every event of the study (confounders included) that lies on the security's bar
grid gets its bar 0 there, and the offsets are bar-position differences. An intraday
study's default ``mask_window`` is its interval's event window
(:data:`~eventstudy.core.intraday_windows.INTRADAY_DEFAULTS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.intraday.bar0 import locate_bar0, news_timestamp
from eventstudy.intraday.stacking import bar0_position
from eventstudy.sessions.calendar import exchange_for
from eventstudy.sessions.confounders import Neighbours, reach_of

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.intraday.bars import BarGrid
    from eventstudy.sessions.pairs import Pair


def bar_neighbours(study: StudySpec, pairs: list[Pair], grids: dict[str, BarGrid]) -> Neighbours:
    """Other events of ``study`` within reach of each pair's bar 0, offsets in bars."""
    lo, hi = reach_of(study.study)
    ids = [e.id for e in study.events]
    placed: dict[str, list[tuple[int, int]]] = {}  # ticker -> (event index, bar position)
    for k, event in enumerate(study.events):
        stamp = news_timestamp(event.date, event.time, study.timezone_for(event))
        for ticker in study.securities_for(event):
            grid = grids.get(exchange_for(ticker))
            if grid is None or not len(grid.starts):
                continue
            first = pd.Timestamp(grid.starts[0]).tz_localize("UTC")
            last = pd.Timestamp(grid.ends[-1]).tz_localize("UTC")
            if first <= stamp < last:  # off the grid: beyond any pair's reach
                placed.setdefault(ticker, []).append((k, locate_bar0(grid, stamp)[0]))
    index = {e: k for k, e in enumerate(ids)}
    event, offset, counts = [], [], []
    for pair in pairs:
        own = index[pair.event_id]
        pos = bar0_position(pair, grids[pair.alignment.exchange])
        near = sorted(
            (k, p - pos) for k, p in placed.get(pair.ticker, []) if k != own and lo <= p - pos <= hi
        )
        event += [k for k, _ in near]
        offset += [o for _, o in near]
        counts.append(len(near))
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
    return Neighbours(
        ids, start, np.asarray(event, dtype=np.intp), np.asarray(offset, dtype=np.int64), (lo, hi)
    )
