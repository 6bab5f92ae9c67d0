"""The combinable tests' pieces: per partition and group, combined on the driver.

A task computes :func:`partition_pieces` on its partition's panel: for each
``tests.csv`` group its pairs belong to (:func:`group_keys`) and each CAR window, the
:class:`~eventstudy.inference.moments.Moments` of every value each moment test reads
(:data:`eventstudy.inference.combinable.MOMENT_TESTS`), the column sums of the
per-pair rows each daily-sum test reads (:data:`~eventstudy.inference.combinable.DAILY_TESTS`:
a few vectors over the estimation + event days), and the counts of positive and
negative CARs (``n_pos``, ``n_neg``). A ``ticker:`` group lies in one partition (all of
a security's pairs are in one), so its daily-sum tests are finished in the task and
only their results travel: a study of thousands of securities sends no vectors per
security. The driver keeps each task's :class:`Pieces` and :meth:`PieceSum.combined`
merges the groups that several partitions share (``all``, ``category:``, ``event:``
groups of securities in different partitions): moments by the parallel formula, sums
by adding them. :meth:`Combined.result` then gives the test's result by its own
statistic function, the one the local test uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from eventstudy.inference.moments import Moments

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.distributed.rbar import GroupPatterns, PatternTable
    from eventstudy.inference import EventPanel, TestResult

Window = tuple[int, int]


Sums = dict[tuple[Window, str], dict[str, np.ndarray]]
"""``(window, test)`` to the (G, k) sums of each row a daily-sum test reads, by name."""


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
    sum_keys
        The groups of :attr:`sums` (:attr:`keys` but the ``ticker:`` groups).
    sums
        The daily-sum tests' sums for the groups of :attr:`sum_keys`.
    columns
        ``window`` to its columns of the estimation + event days
        (:func:`~eventstudy.inference.ranks.window_columns`; the study's, in every task).
    finished
        ``(group, window, test)`` to the daily-sum tests' results of the ``ticker:`` groups.
    present
        ``window`` to the (G, L1) booleans: some used pair has a residual on the
        estimation day (the bootstrap's first round, :mod:`eventstudy.distributed.rounds`).
    patterns
        ``(window, KP test)`` to the used pairs' missing-day patterns (the KP tests'
        first round, :mod:`eventstudy.distributed.rbar`).
    """

    keys: tuple[str, ...]
    moments: dict[tuple[Window, str], dict[str, Moments]]
    signs: dict[Window, np.ndarray]
    sum_keys: tuple[str, ...] = ()
    sums: Sums = field(default_factory=dict)
    columns: dict[Window, np.ndarray] = field(default_factory=dict)
    finished: dict[tuple[str, Window, str], TestResult] = field(default_factory=dict)
    present: dict[Window, np.ndarray] = field(default_factory=dict)
    patterns: dict[tuple[Window, str], PatternTable] = field(default_factory=dict)


def group_keys(
    event_id: np.ndarray, ticker: np.ndarray, study: StudySpec
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The groups of the pairs (``event_id``, ``ticker`` per pair) and who is in which.

    Every pair is in ``all``, ``ticker:<T>``, its event's ``category:<name>`` (if it
    has one) and ``event:<id>`` (if the event names at least two securities: only such
    an event can make a group of two estimated pairs). The driver decides which groups
    ``tests.csv`` has (:func:`eventstudy.measures.group_tests.groups_by`); pieces of groups it
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
    panel: EventPanel,
    study: StudySpec,
    tests: tuple[str, ...],
    windows: tuple[Window, ...],
    rounds: tuple[str, ...] = (),
) -> Pieces:
    """The pieces of the combinable ``tests`` for every group and window of ``panel``'s
    pairs, and the first round of the two-round tests ``rounds``
    (:func:`eventstudy.distributed.rounds.first_pieces`)."""
    from eventstudy.distributed import rbar
    from eventstudy.distributed.rounds import first_pieces
    from eventstudy.inference.combinable import DAILY_TESTS, MOMENT_TESTS
    from eventstudy.inference.ranks import window_columns
    from eventstudy.inference.views import window_view
    from eventstudy.measures.group_tests import window_cars

    keys, rows, codes = group_keys(panel.event_id, panel.ticker, study)
    size = len(keys)
    moments: dict[tuple[Window, str], dict[str, Moments]] = {}
    signs = {}
    for window in windows:
        car = window_cars(panel, window)[rows]
        sides = (car > 0, car < 0)
        signs[window] = np.stack([np.bincount(codes[side], minlength=size) for side in sides])
        for test in (t for t in tests if t in MOMENT_TESTS):
            with np.errstate(all="ignore"):
                use, values = MOMENT_TESTS[test].values(panel, window)
            used = use[rows]
            moments[(window, test)] = {
                name: Moments.by_group(value[rows[used]], codes[used], size)
                for name, value in values.items()
            }
    first, present = first_pieces(panel, rows, codes, size, windows, rounds)
    kp, patterns = rbar.first_pieces(panel, rows, codes, size, windows, rounds)
    moments |= first | kp
    daily = tuple(t for t in tests if t in DAILY_TESTS)
    if not daily:
        return Pieces(tuple(keys), moments, signs, present=present, patterns=patterns)
    columns = {w: window_columns(panel, window_view(panel, w)) for w in windows}
    sums = _daily_sums(panel, daily, windows, rows, codes, size)
    ticker = np.array([k.startswith("ticker:") for k in keys])
    finished = {
        (keys[g], window, test): DAILY_TESTS[test].statistic(
            {name: value[g] for name, value in sums[(window, test)].items()}, columns[window]
        )
        for window, test in sums
        for g in np.flatnonzero(ticker)
    }
    shared = {
        cell: {name: value[~ticker] for name, value in named.items()}
        for cell, named in sums.items()
    }
    sum_keys = tuple(k for k, t in zip(keys, ticker, strict=True) if not t)
    return Pieces(
        tuple(keys), moments, signs, sum_keys, shared, columns, finished, present, patterns
    )


def _daily_sums(
    panel: EventPanel,
    tests: tuple[str, ...],
    windows: tuple[Window, ...],
    rows: np.ndarray,
    codes: np.ndarray,
    size: int,
) -> Sums:
    """The (size, k) sums of each daily-sum test's rows over each group's used pairs
    (pair ``rows[j]`` in group ``codes[j]``): one sparse product per row."""
    from eventstudy.inference.combinable import DAILY_TESTS

    sums: Sums = {}
    for window in windows:
        for test in tests:
            with np.errstate(all="ignore"):
                use, named = DAILY_TESTS[test].rows(panel, window)
            used = use[rows]
            member = sparse.csr_matrix(
                (np.ones(int(used.sum())), (codes[used], rows[used])),
                shape=(size, panel.n_pairs),
            )
            sums[(window, test)] = {
                name: np.asarray(member @ np.asarray(value, np.float64))
                for name, value in named.items()
            }
    return sums


@dataclass(frozen=True)
class Combined:
    """Every group's pieces, merged over the partitions (:class:`Pieces`' fields)."""

    index: dict[str, int]
    moments: dict[tuple[Window, str], dict[str, Moments]]
    signs: dict[Window, np.ndarray]
    sum_index: dict[str, int] = field(default_factory=dict)
    sums: Sums = field(default_factory=dict)
    columns: dict[Window, np.ndarray] = field(default_factory=dict)
    finished: dict[tuple[str, Window, str], TestResult] = field(default_factory=dict)
    present: dict[Window, np.ndarray] = field(default_factory=dict)
    rbar: dict[tuple[Window, str], list[GroupPatterns]] = field(default_factory=dict)

    def result(self, group: str, window: Window, test: str) -> TestResult:
        """``test``'s result for ``group`` over ``window`` (a group without pieces: empty)."""
        from eventstudy.inference.combinable import DAILY_TESTS, MOMENT_TESTS

        if test in DAILY_TESTS:
            done = self.finished.get((group, window, test))
            if done is not None:
                return done
            k = self.sum_index.get(group)
            sums = {
                name: np.zeros(value.shape[1:]) if k is None else value[k]
                for name, value in self.sums[(window, test)].items()
            }
            with np.errstate(all="ignore"):
                return DAILY_TESTS[test].statistic(sums, self.columns[window])
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
        """Every group's moments, sums and counts over all partitions (the parallel
        formula for the moments; the sums and counts added)."""
        keys = [k for p in self.parts for k in p.keys]
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        size = len(uniques)
        first = self.parts[0] if self.parts else Pieces((), {}, {})
        moments = {
            cell: {
                name: Moments.merge([p.moments[cell][name] for p in self.parts], codes, size)
                for name in values
            }
            for cell, values in first.moments.items()
        }
        signs = {}
        for window in first.signs:
            stacked = np.concatenate([p.signs[window] for p in self.parts], axis=1)
            counts = [np.bincount(codes, weights=row, minlength=size) for row in stacked]
            signs[window] = np.stack(counts).astype(np.int64)
        sum_codes, sum_keys = pd.factorize(
            pd.Series([k for p in self.parts for k in p.sum_keys], dtype=object)
        )
        sums: Sums = {}
        for cell, values in first.sums.items():
            sums[cell] = {}
            for name, value in values.items():
                stacked = np.concatenate([p.sums[cell][name] for p in self.parts])
                sums[cell][name] = np.zeros((len(sum_keys), *value.shape[1:]))
                np.add.at(sums[cell][name], sum_codes, stacked)
        present = {}
        for window, days in first.present.items():
            present[window] = np.zeros((size, days.shape[1]), dtype=bool)
            np.logical_or.at(
                present[window], codes, np.concatenate([p.present[window] for p in self.parts])
            )
        finished = {key: r for p in self.parts for key, r in p.finished.items()}
        if len(finished) < sum(len(p.finished) for p in self.parts):
            raise ValueError("a ticker: group's pairs are in several partitions")
        rbar = self._patterns(codes, size)
        self.parts = []
        return Combined(
            {k: i for i, k in enumerate(uniques)}, moments, signs,
            {k: i for i, k in enumerate(sum_keys)}, sums, first.columns, finished, present,
            rbar,
        )  # fmt: skip

    def _patterns(
        self, codes: np.ndarray, size: int
    ) -> dict[tuple[Window, str], list[GroupPatterns]]:
        """The KP tests' merged pattern tables (cells of equal tables merged once)."""
        from eventstudy.distributed.rbar import merge_tables

        merged: dict[tuple[int, ...], list[GroupPatterns]] = {}
        out = {}
        for cell in self.parts[0].patterns if self.parts else {}:
            tables = [p.patterns[cell] for p in self.parts]
            key = tuple(id(t) for t in tables)  # the tables are alive: ids are unique
            if key not in merged:
                merged[key] = merge_tables(tables, codes, size)
            out[cell] = merged[key]
        return out
