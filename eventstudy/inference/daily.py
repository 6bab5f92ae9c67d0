"""Sums over pairs of per-pair rows (daily sums): the inputs of the time-series tests.

A *daily-sum test* reads, for each pair it uses, a few rows of numbers over the days
of its combined estimation + event series (:data:`PairRows`: its rank scores, which
days have a return, its estimation residuals ...), and its statistic depends on the
used pairs only through the column sums of those rows (:func:`sums_of`) and the
window's columns of the series. Sums of disjoint sets of pairs add exactly (to
rounding), so the sums of a group spread over the partitions of a Dask run are the
group's own (:mod:`eventstudy.inference.combinable`, :mod:`eventstudy.distributed.pieces`).
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.panel import BoolArray, EventPanel, FloatArray, rows_of

PairRows = tuple[BoolArray, dict[str, np.ndarray]]
"""What a daily-sum test reads of each pair: (N,) which pairs it uses, and (N, k) rows
of per-pair numbers by name (a row depends on its pair alone)."""


def sums_of(rows: PairRows) -> dict[str, np.ndarray]:
    """The (k,) column sums of each named row over the used pairs (one group)."""
    use, named = rows
    return {name: rows_of(value, use).sum(axis=0) for name, value in named.items()}


def ones(panel: EventPanel) -> FloatArray:
    """(N, 1) ones: summed over the used pairs, their count ``n``."""
    return np.ones((panel.n_pairs, 1))
