"""The partition plan of a Dask run: which securities, events and pairs each task gets.

The driver keeps the events as columns (:class:`~eventstudy.distributed.events.EventColumns`)
and this plan, nothing per pair: a partition names its events by their rows, and their
``Event`` objects are built only when its task is submitted. Pairs are cut by
security: every (event, security) pair of a security lies in one partition, so a
task sees all the events of its securities (the confounders masking and flagging
them included) and the ``ticker:`` groups of ``tests.csv`` never straddle two
partitions. Securities are packed in order of first appearance until a partition
holds at least ``partition_pairs`` pairs; a security with more pairs than that gets
a partition of its own.

Every pair also gets an order key, ``event position * width + security position``
(positions among the selected events, :meth:`~eventstudy.core.study.StudySpec.select`, and in
the event's securities, :meth:`~eventstudy.core.study.StudySpec.securities_for`), which sorts
the pairs of all partitions back into the local engine's order (events-file order,
then securities).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.distributed.events import EventColumns

PARTITION_PAIRS = 5_000
"""Default pairs per partition (a few thousand: a task's arrays stay near 50 MB)."""

UNSUPPORTED = (
    ("placebo", "a placebo study"),
    ("bhar_windows", "long-horizon windows (bhar_windows / --bhar)"),
    ("regressions", "second-stage regressions (--regress)"),
    ("factors_file", "a factors_file"),
)
"""Settings the partitioned pipeline does not run yet, with their names for the error."""


@dataclass(frozen=True)
class Partition:
    """One task's share of the study.

    Attributes
    ----------
    number
        The part number: the task writes ``<table>/part-<number:05d>.parquet``.
    tickers
        Its securities.
    rows
        The rows (in :class:`~eventstudy.distributed.events.EventColumns`) of every
        event of the study that names one of them (study events and confounders, in
        file order), so masking and confounder flags match a local run.
    run_ids
        The ids of the events to run among ``events`` (the selected study events).
    positions
        Each run event's position among all selected events (for the order key).
    n_pairs
        The (event, security) pairs of ``tickers`` in the run events.
    ticker_offset
        The position of its first ticker among all partitions' tickers (in partition
        order): pair labels carry ``ticker_offset + position in tickers``.
    """

    number: int
    tickers: tuple[str, ...]
    rows: np.ndarray
    run_ids: tuple[str, ...]
    positions: dict[str, int]
    n_pairs: int
    ticker_offset: int = 0


@dataclass(frozen=True)
class Plan:
    """The partitions of a run and the order-key width they share."""

    partitions: list[Partition]
    width: int
    n_pairs: int

    def tickers(self) -> list[str]:
        """Every partition's tickers, in partition order (indexed by the pairs' codes)."""
        return [t for p in self.partitions for t in p.tickers]


def check_supported(study: StudySpec, events: EventColumns) -> None:
    """Raise a one-line error for a setting the partitioned pipeline cannot run."""
    settings = study.study
    for name, what in UNSUPPORTED:
        value = getattr(settings, name)
        if value:
            raise EventStudyError(
                f"engine 'dask' does not run {what} yet: use --engine local for this study",
                field="--engine",
            )
    if [m for m in settings.measures if m != "return"]:
        raise EventStudyError(
            "engine 'dask' measures returns only: drop volume/volatility from measures "
            "or use --engine local",
            field="--engine",
        )
    if "garch" in set(events.model):
        raise EventStudyError(
            "engine 'dask' does not fit the garch model (it runs in a local process "
            "pool): use --engine local",
            field="--engine",
        )


def plan_partitions(
    study: StudySpec,
    events: EventColumns,
    event_ids: list[str] | None,
    partition_pairs: int = PARTITION_PAIRS,
) -> Plan:
    """Cut the selected events' pairs into partitions by security.

    Parameters
    ----------
    study
        The study (for messages: its path).
    events
        Its events, as columns.
    event_ids
        The events to run (default: every study event).
    partition_pairs
        Pairs per partition, at least (a partition closes once it holds this many).
    """
    selected = events.selected(event_ids, study.path)
    position = np.full(len(events), -1, dtype=np.int64)
    position[selected] = np.arange(len(selected))
    width = max((len(events.securities[r]) for r in selected), default=1)
    pairs_of: dict[str, int] = {}
    for tickers in events.securities[selected]:
        for ticker in tickers:
            pairs_of[ticker] = pairs_of.get(ticker, 0) + 1
    groups: list[list[str]] = []
    size = max(1, int(partition_pairs))
    filled = size
    for ticker, count in pairs_of.items():
        if filled >= size:
            groups.append([])
            filled = 0
        groups[-1].append(ticker)
        filled += count
    owner = {t: k for k, group in enumerate(groups) for t in group}
    rows: list[list[int]] = [[] for _ in groups]
    for row, tickers in enumerate(events.securities):  # file order; in each partition named
        for k in dict.fromkeys(owner[t] for t in tickers if t in owner):
            rows[k].append(row)
    partitions = []
    offset = 0
    for k, group in enumerate(groups):
        mine = np.array(rows[k], dtype=np.int64)
        run = mine[position[mine] >= 0]
        partitions.append(
            Partition(
                number=k,
                tickers=tuple(group),
                rows=mine,
                run_ids=tuple(events.ids[run]),
                positions={events.ids[r]: int(position[r]) for r in run},
                n_pairs=sum(pairs_of[t] for t in group),
                ticker_offset=offset,
            )
        )
        offset += len(group)
    return Plan(partitions, int(width), sum(pairs_of.values()))
