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
import pandas as pd
from numpy.typing import NDArray

from eventstudy.sessions.calendar import sessions
from eventstudy.sessions.pairs import Pair, audience

if TYPE_CHECKING:
    from eventstudy.core.settings import StudySettings
    from eventstudy.core.study import StudySpec


@dataclass(frozen=True)
class Neighbours:
    """Other events near each pair's day 0, as session offsets (a sparse table).

    Only other events that concern the pair's security and whose day 0 lies within
    ``reach`` sessions of the pair's are kept: row ``i``'s entries are
    ``event[start[i]:start[i + 1]]`` (indexes into ``event_ids``, ascending) with
    ``offset`` ``day0(other) - day0(pair)`` in sessions of the pair's exchange.

    Attributes
    ----------
    event_ids
        (E,) the study's event ids, in file order.
    start
        (P + 1,) where each pair's entries begin.
    event, offset
        (M,) the entries.
    reach
        The offsets kept (inclusive).
    """

    event_ids: list[str]
    start: NDArray[np.intp]
    event: NDArray[np.intp]
    offset: NDArray[np.int64]
    reach: tuple[int, int]

    @property
    def rows(self) -> NDArray[np.intp]:
        """(M,) the pair of each entry."""
        return np.repeat(np.arange(len(self.start) - 1), np.diff(self.start))

    def take(self, rows: NDArray[np.intp]) -> Neighbours:
        """The given pairs only."""
        counts = np.diff(self.start)[rows]
        entries = _ranges(self.start[rows], counts)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
        return Neighbours(
            self.event_ids, start, self.event[entries], self.offset[entries], self.reach
        )

    def near(self, row: int, window: tuple[int, int]) -> list[tuple[str, int]]:
        """Other events of pair ``row`` with day 0 in ``window`` (within ``reach``), by offset."""
        span = slice(self.start[row], self.start[row + 1])
        pairs = zip(self.event[span], self.offset[span], strict=True)
        hits = [(self.event_ids[j], int(o)) for j, o in pairs if window[0] <= o <= window[1]]
        return sorted(hits, key=lambda x: x[1])


def _ranges(starts: NDArray[np.intp], counts: NDArray[np.intp]) -> NDArray[np.intp]:
    """``concatenate([arange(a, a + n) for a, n in zip(starts, counts)])`` without a loop."""
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return (np.repeat(starts, counts) + offsets).astype(np.intp)


def reach_of(settings: StudySettings) -> tuple[int, int]:
    """Offsets that can matter: masking the estimation window, flagging the event window."""
    (est0, est1), (evt0, evt1) = settings.estimation_window, settings.event_window
    low, high = settings.mask_window
    return min(est0 - high, evt0), max(est1 - low, evt1)


def neighbours(
    study: StudySpec, pairs: list[Pair], reach: tuple[int, int] | None = None
) -> Neighbours:
    """Other events of ``study`` near the day 0 of each pair (default reach: :func:`reach_of`).

    Every (event, security) of the study (confounders included) is placed on its
    exchange's sessions once; per security and exchange the pairs then find their
    neighbours by a sorted search, so the cost grows with pairs and neighbours found,
    never with pairs x events.
    """
    lo, hi = reach if reach is not None else reach_of(study.study)
    everyone = audience(study, study.events)
    ids = [e.id for e in study.events]
    p_event = pd.Index(ids).get_indexer([p.event_id for p in pairs])
    p_ticker = np.array([p.ticker for p in pairs], dtype=object)
    p_day0 = np.array([p.alignment.day0.to_datetime64() for p in pairs], dtype="M8[ns]")
    p_mic = np.array([p.alignment.exchange for p in pairs], dtype=object)
    a_pos = np.zeros(len(everyone.event), dtype=np.int64)
    p_pos = np.zeros(len(pairs), dtype=np.int64)
    for mic in set(everyone.exchange) | set(p_mic):
        grid = sessions(mic).to_numpy(dtype="M8[ns]")
        at = everyone.exchange == mic
        a_pos[at] = grid.searchsorted(everyone.day0[at])
        at = p_mic == mic
        p_pos[at] = grid.searchsorted(p_day0[at])
    # one sorted key per (security, exchange, session): a security's neighbours are
    # the audience entries of the same security within [pos + lo, pos + hi]
    codes = pd.factorize(
        pd.Index(np.concatenate([everyone.ticker, p_ticker]).astype(str) + "|"
                 + np.concatenate([everyone.exchange, p_mic]).astype(str))
    )[0]  # fmt: skip
    scale = np.int64(1 << 32)
    a_key = codes[: len(a_pos)].astype(np.int64) * scale + a_pos
    p_key = codes[len(a_pos) :].astype(np.int64) * scale + p_pos
    order = np.argsort(a_key, kind="stable")
    sorted_key = a_key[order]
    first = np.searchsorted(sorted_key, p_key + lo, side="left")
    last = np.searchsorted(sorted_key, p_key + hi, side="right")
    counts = (last - first).astype(np.intp)
    entries = order[_ranges(first.astype(np.intp), counts)]
    rows = np.repeat(np.arange(len(pairs)), counts)
    event = everyone.event[entries].astype(np.intp)
    offset = a_pos[entries] - p_pos[rows]
    keep = event != p_event[rows]
    if study.isolated_events:  # placebo dates: only confounders mask and flag them
        keep &= np.array([e.role != "study" for e in study.events], dtype=bool)[event]
    rows, event, offset = rows[keep], event[keep], offset[keep]
    by_row = np.lexsort((event, rows))  # per pair, in file order of the events
    rows, event, offset = rows[by_row], event[by_row], offset[by_row]
    start = np.searchsorted(rows, np.arange(len(pairs) + 1)).astype(np.intp)
    return Neighbours(ids, start, event, offset, (lo, hi))


def estimation_mask(
    near: Neighbours, estimation_window: tuple[int, int], mask_window: tuple[int, int]
) -> NDArray[np.bool_]:
    """True where an estimation-window day lies within ``mask_window`` of another event.

    Returns an array of shape (pairs, estimation days); column ``j`` is relative day
    ``estimation_window[0] + j``.
    """
    first, last = estimation_window
    days = last - first + 1
    offsets, rows = near.offset, near.rows
    reach = (offsets + mask_window[1] >= first) & (offsets + mask_window[0] <= last)
    rows, offsets = rows[reach], offsets[reach]
    # each (pair, other event) masks one run of columns: +1 where it starts, -1 after it
    start = np.clip(offsets + mask_window[0] - first, 0, days)
    stop = np.clip(offsets + mask_window[1] - first + 1, 0, days)
    runs = np.zeros((len(near.start) - 1, days + 1), dtype=np.int32)
    np.add.at(runs, (rows, start), 1)
    np.add.at(runs, (rows, stop), -1)
    return np.cumsum(runs[:, :days], axis=1) > 0


def in_window(near: Neighbours, window: tuple[int, int]) -> list[str]:
    """Per pair, the ids of other events whose day 0 lies in ``window``, ';'-joined."""
    hit = (near.offset >= window[0]) & (near.offset <= window[1])
    out = [""] * (len(near.start) - 1)
    if not hit.any():
        return out
    ids = np.array(near.event_ids, dtype=object)[near.event[hit]].tolist()
    rows = near.rows[hit]  # sorted: each pair's entries are one run, in file order
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    for row, a, b in zip(rows[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[row] = ";".join(ids[a:b])
    return out
