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
    import pandas as pd

    from eventstudy.config import Study
    from eventstudy.study import Pair


@dataclass(frozen=True)
class Neighbour:
    """Another event, seen from one pair: its id and day-0 offset in sessions."""

    event_id: str
    offset: int


def neighbours(study: Study, pairs: list[Pair]) -> list[list[Neighbour]]:
    """For each pair, the other events concerning its security, as session offsets."""
    day0s: dict[str, list[tuple[str, pd.Timestamp]]] = {}
    for event in study.events:
        for ticker in study.securities_for(event):
            alignment = align_event(
                event.id, ticker, event.date, event.time, study.timezone_for(event)
            )
            day0s.setdefault(ticker, []).append((event.id, alignment.day0))
    out = []
    for pair in pairs:
        grid = sessions(pair.alignment.exchange)
        here = grid.get_loc(pair.alignment.day0)
        others = [(i, d) for i, d in day0s.get(pair.ticker, []) if i != pair.event_id]
        positions = grid.get_indexer([d for _, d in others])
        out.append(
            [Neighbour(i, int(p - here)) for (i, _), p in zip(others, positions, strict=True)]
        )
    return out


def estimation_mask(
    near: list[list[Neighbour]], estimation_window: tuple[int, int], mask_window: tuple[int, int]
) -> NDArray[np.bool_]:
    """True where an estimation-window day lies within ``mask_window`` of another event.

    Returns an array of shape (pairs, estimation days); column ``j`` is relative day
    ``estimation_window[0] + j``.
    """
    rel = np.arange(estimation_window[0], estimation_window[1] + 1)
    mask = np.zeros((len(near), len(rel)), dtype=bool)
    for row, others in enumerate(near):
        for other in others:
            mask[row] |= (rel >= other.offset + mask_window[0]) & (
                rel <= other.offset + mask_window[1]
            )
    return mask


def in_window(near: list[list[Neighbour]], window: tuple[int, int]) -> list[str]:
    """Per pair, the ids of other events whose day 0 lies in ``window``, ';'-joined."""
    return [
        ";".join(o.event_id for o in others if window[0] <= o.offset <= window[1])
        for others in near
    ]
