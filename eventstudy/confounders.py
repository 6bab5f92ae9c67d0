"""Other events near a pair: masked out of its estimation window, flagged in its CARs.

For an (event, security) pair, every *other* event of the study that concerns the
same security (its ``securities``, else the study's) is located on the security's
exchange calendar, as a session offset from the pair's day 0. Two uses follow:

* masking — estimation-window sessions within ``mask_window`` (default [-1, +1]) of
  another event's day 0 are dropped from the normal-return fit, so earnings days or
  other news do not inflate the residual variance or bias the betas
  (``study.mask_other_events``, on by default);
* flagging — another event whose day 0 falls inside a CAR window is listed in that
  row's ``confounders`` column of ``car.csv``, since the CAR then measures both.

Events with ``role: confounder`` (earnings dates, macro news) take part in both but are
never run as events themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from eventstudy.calendar import align_event, sessions

if TYPE_CHECKING:
    from eventstudy.config import Study
    from eventstudy.study import Pair

FAR = np.iinfo(np.int64).max // 4  # offset of an event that does not concern the pair


@dataclass(frozen=True)
class Neighbours:
    """Session offsets of every study event from each pair's day 0.

    Attributes
    ----------
    event_ids
        (E,) the study's event ids, in file order.
    offsets
        (P, E) ``day0(other) - day0(pair)`` in sessions of the pair's exchange;
        :data:`FAR` where the event does not concern the pair's security, or is the
        pair's own event.
    """

    event_ids: list[str]
    offsets: NDArray[np.int64]

    def take(self, rows: NDArray[np.intp]) -> Neighbours:
        """The given pairs only."""
        return Neighbours(self.event_ids, self.offsets[rows])

    def near(self, row: int, window: tuple[int, int]) -> list[tuple[str, int]]:
        """Other events of pair ``row`` with day 0 in ``window``, by offset."""
        off = self.offsets[row]
        hits = np.flatnonzero((off >= window[0]) & (off <= window[1]))
        return sorted(((self.event_ids[j], int(off[j])) for j in hits), key=lambda x: x[1])


def neighbours(study: Study, pairs: list[Pair]) -> Neighbours:
    """Offsets of every event of ``study`` from the day 0 of each pair."""
    events = study.events
    ids = [e.id for e in events]
    audiences = [
        set() if study.isolated_events and e.role == "study" else set(study.securities_for(e))
        for e in events
    ]
    concerned = {t: np.array([t in a for a in audiences]) for t in {p.ticker for p in pairs}}
    offsets = np.full((len(pairs), len(events)), FAR, dtype=np.int64)
    by_exchange: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        by_exchange.setdefault(pair.alignment.exchange, []).append(row)
    for mic, rows in by_exchange.items():
        grid = sessions(mic)
        ticker = next(pairs[r].ticker for r in rows)  # any ticker of this exchange
        event_pos = np.array([
            grid.get_loc(align_event(e.id, ticker, e.date, e.time, study.timezone_for(e)).day0)
            for e in events
        ])  # fmt: skip
        rows_arr = np.asarray(rows)
        here = grid.get_indexer([pairs[r].alignment.day0 for r in rows])
        block = event_pos[None, :] - here[:, None]
        concerns = np.array([concerned[pairs[r].ticker] for r in rows])
        own = np.array([pairs[r].event_id for r in rows])[:, None] == np.array(ids)[None, :]
        offsets[rows_arr] = np.where(concerns & ~own, block, FAR)
    return Neighbours(ids, offsets)


def estimation_mask(
    near: Neighbours, estimation_window: tuple[int, int], mask_window: tuple[int, int]
) -> NDArray[np.bool_]:
    """True where an estimation-window day lies within ``mask_window`` of another event.

    Returns an array of shape (pairs, estimation days); column ``j`` is relative day
    ``estimation_window[0] + j``.
    """
    first, last = estimation_window
    days = last - first + 1
    offsets = near.offsets
    reach = (offsets + mask_window[1] >= first) & (offsets + mask_window[0] <= last)
    rows, cols = np.nonzero(reach)
    # each (pair, other event) masks one run of columns: +1 where it starts, -1 after it
    start = np.clip(offsets[rows, cols] + mask_window[0] - first, 0, days)
    stop = np.clip(offsets[rows, cols] + mask_window[1] - first + 1, 0, days)
    runs = np.zeros((offsets.shape[0], days + 1), dtype=np.int32)
    np.add.at(runs, (rows, start), 1)
    np.add.at(runs, (rows, stop), -1)
    return np.cumsum(runs[:, :days], axis=1) > 0


def in_window(near: Neighbours, window: tuple[int, int]) -> list[str]:
    """Per pair, the ids of other events whose day 0 lies in ``window``, ';'-joined."""
    hits = (near.offsets >= window[0]) & (near.offsets <= window[1])
    out = [""] * hits.shape[0]
    for row in np.flatnonzero(hits.any(axis=1)):
        out[row] = ";".join(near.event_ids[j] for j in np.flatnonzero(hits[row]))
    return out
