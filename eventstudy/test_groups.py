"""The groups of pairs of ``tests.csv``: ``all``, ``event:``, ``category:`` and ``ticker:``.

:func:`groups_by` makes them from each pair's event id and ticker (one row per pair,
in the study's pair order), for the local engine's panel and for the labels a Dask run
gathers from its partitions alike, so both runs have the same groups in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel
    from eventstudy.results import StudyResult

MAX_TICKER_GROUPS = 100
"""Above this many securities ``tests.csv`` has no ``ticker:`` groups (large studies)."""


_NONE = np.array([], dtype=np.intp)


def _members(labels: np.ndarray) -> dict[object, np.ndarray]:
    """Rows of each distinct label, in order of first appearance (one sort, no scans)."""
    codes, uniques = pd.factorize(labels)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {u: order[bounds[k] : bounds[k + 1]] for k, u in enumerate(uniques)}


def groups_of(result: StudyResult, panel: EventPanel) -> list[tuple[str, np.ndarray]]:
    """``(group name, pair mask or rows)`` for all, each event, each category and each ticker.

    ``event:`` groups are made for events with at least two estimated pairs and
    ``ticker:`` groups for tickers with at least two: a group of one pair would repeat
    its ``car.csv`` row. A study of more than :data:`MAX_TICKER_GROUPS` securities gets
    no per-ticker groups: with hundreds of securities they would dominate the run time
    and the table.
    """
    return groups_by(result, panel.event_id, panel.ticker)


def groups_by(
    result: StudyResult,
    event_id: np.ndarray,
    ticker: np.ndarray,
    categories: Mapping[str, str] | None = None,
) -> list[tuple[str, np.ndarray]]:
    """:func:`groups_of` for pairs given by their event ids and tickers (one per row).

    ``categories`` maps the ids of the run's events that have a category to it
    (default: from ``result.study``'s events).
    """
    out = [("all", np.ones(len(event_id), dtype=bool))]
    by_event = _members(event_id)
    for event_id in result.event_ids:
        rows = by_event.get(event_id)
        if rows is not None and len(rows) >= 2:
            out.append((f"event:{event_id}", rows))
    members: dict[str, list[np.ndarray]] = {}
    for event_id in result.event_ids:
        category = (
            result.study.event(event_id).category
            if categories is None
            else categories.get(event_id)
        )
        if category:
            members.setdefault(category, []).append(by_event.get(event_id, _NONE))
    for category, parts in members.items():
        out.append((f"category:{category}", np.sort(np.concatenate(parts))))
    by_ticker = _members(ticker)
    if len(by_ticker) > MAX_TICKER_GROUPS:
        return out
    for ticker, rows in by_ticker.items():
        if len(rows) >= 2:
            out.append((f"ticker:{ticker}", rows))
    return out
