"""The moment tests' pieces: per partition and group, combined on the driver.

A task computes :func:`partition_pieces` on its partition's panel: for each
``tests.csv`` group its pairs belong to (:func:`group_keys`) and each CAR window, the
:class:`~eventstudy.inference.moments.Moments` of every value each moment test reads
(:data:`eventstudy.inference.combinable.MOMENT_TESTS`), and the counts of positive and
negative CARs (``n_pos``, ``n_neg``). The driver keeps each task's :class:`Pieces`
(a few numbers per group, window and test) and :meth:`PieceSum.combined` merges the
groups that several partitions share (``all``, ``category:``, ``event:`` groups of
securities in different partitions; a ``ticker:`` group lies in one partition) by the
parallel formula. :meth:`Combined.result` then gives the test's result by its own
statistic-from-moments function, the one the local test uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.inference.moments import Moments

if TYPE_CHECKING:
    from eventstudy.config import Study
    from eventstudy.inference import EventPanel, TestResult

Window = tuple[int, int]


@dataclass(frozen=True)
class Pieces:
    """One partition's pieces.

    Attributes
    ----------
    keys
        The G groups of the partition's pairs (``tests.csv`` group names).
    moments
        ``(window, test)`` to the (G,) moments of each value the test reads, by name.
    signs
        ``window`` to the (2, G) counts of positive and negative CARs (``n_pos``, ``n_neg``).
    """

    keys: tuple[str, ...]
    moments: dict[tuple[Window, str], dict[str, Moments]]
    signs: dict[Window, np.ndarray]


def group_keys(
    event_id: np.ndarray, ticker: np.ndarray, study: Study
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The groups of the pairs (``event_id``, ``ticker`` per pair) and who is in which.

    Every pair is in ``all``, ``ticker:<T>``, its event's ``category:<name>`` (if it
    has one) and ``event:<id>`` (if the event names at least two securities: only such
    an event can make a group of two estimated pairs). The driver decides which groups
    ``tests.csv`` has (:func:`eventstudy.group_tests.groups_by`); pieces of groups it
    does not keep are ignored.

    Returns
    -------
    keys, rows, codes
        The group names, and pair ``rows[j]`` belongs to group ``codes[j]``.
    """
    events = {e: study.event(e) for e in dict.fromkeys(event_id)}
    labels = {
        "event": [
            f"event:{e}" if len(study.securities_for(events[e])) >= 2 else None for e in event_id
        ],
        "category": [
            f"category:{events[e].category}" if events[e].category else None for e in event_id
        ],
        "ticker": [f"ticker:{t}" for t in ticker],
    }
    n = len(event_id)
    keys, rows, codes = ["all"], [np.arange(n)], [np.zeros(n, dtype=np.int64)]
    for names in labels.values():
        code, uniques = pd.factorize(pd.Series(names, dtype=object))
        member = np.flatnonzero(code >= 0)
        rows.append(member)
        codes.append(code[member] + len(keys))
        keys += list(uniques)
    return keys, np.concatenate(rows), np.concatenate(codes)


def partition_pieces(
    panel: EventPanel, study: Study, tests: tuple[str, ...], windows: tuple[Window, ...]
) -> Pieces:
    """The pieces of the moment ``tests`` for every group and window of ``panel``'s pairs."""
    from eventstudy.group_tests import window_cars
    from eventstudy.inference.combinable import MOMENT_TESTS

    keys, rows, codes = group_keys(panel.event_id, panel.ticker, study)
    size = len(keys)
    moments: dict[tuple[Window, str], dict[str, Moments]] = {}
    signs = {}
    for window in windows:
        car = window_cars(panel, window)[rows]
        sides = (car > 0, car < 0)
        signs[window] = np.stack([np.bincount(codes[side], minlength=size) for side in sides])
        for test in tests:
            with np.errstate(all="ignore"):
                use, values = MOMENT_TESTS[test].values(panel, window)
            used = use[rows]
            moments[(window, test)] = {
                name: Moments.by_group(value[rows[used]], codes[used], size)
                for name, value in values.items()
            }
    return Pieces(tuple(keys), moments, signs)


@dataclass(frozen=True)
class Combined:
    """Every group's pieces, merged over the partitions."""

    index: dict[str, int]
    moments: dict[tuple[Window, str], dict[str, Moments]]
    signs: dict[Window, np.ndarray]

    def result(self, group: str, window: Window, test: str) -> TestResult:
        """``test``'s result for ``group`` over ``window`` (a group without pieces: empty)."""
        from eventstudy.inference.combinable import MOMENT_TESTS

        g = self.index.get(group)
        values = {
            name: Moments.empty() if g is None else m[g]
            for name, m in self.moments[(window, test)].items()
        }
        with np.errstate(all="ignore"):
            return MOMENT_TESTS[test].statistic(values)

    def counts(self, group: str, window: Window) -> tuple[int, int]:
        """``n_pos`` and ``n_neg`` of ``group`` over ``window``."""
        g = self.index.get(group)
        if g is None or window not in self.signs:
            return 0, 0
        return int(self.signs[window][0, g]), int(self.signs[window][1, g])


class PieceSum:
    """The pieces of the tasks, as they complete; :meth:`combined` merges them once."""

    def __init__(self) -> None:
        self.parts: list[Pieces] = []

    def add(self, pieces: Pieces | None) -> None:
        """Keep one task's pieces (None: the task estimated no pair)."""
        if pieces is not None:
            self.parts.append(pieces)

    def combined(self) -> Combined:
        """Every group's moments and counts over all partitions (the parallel formula)."""
        keys = [k for p in self.parts for k in p.keys]
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        size = len(uniques)
        first = self.parts[0].moments if self.parts else {}
        moments = {
            field: {
                name: Moments.merge([p.moments[field][name] for p in self.parts], codes, size)
                for name in values
            }
            for field, values in first.items()
        }
        signs = {}
        for window in self.parts[0].signs if self.parts else ():
            stacked = np.concatenate([p.signs[window] for p in self.parts], axis=1)
            counts = [np.bincount(codes, weights=row, minlength=size) for row in stacked]
            signs[window] = np.stack(counts).astype(np.int64)
        self.parts = []
        return Combined({k: i for i, k in enumerate(uniques)}, moments, signs)
