"""One Dask task: a partition's securities from prices to per-pair tables and test inputs.

:func:`run_partition` is the local pipeline of :func:`eventstudy.pipeline.run.run_study` on a
sub-study (the partition's events and securities): the same
:func:`~eventstudy.sessions.pairs.align_study`, :func:`~eventstudy.sessions.pairs.plan_prices`,
:func:`~eventstudy.pipeline.run.price_returns`, :func:`~eventstudy.models.estimation.estimate` and
:func:`~eventstudy.models.tables.tables` calls, so every per-pair number equals the local
engine's. It reads only its tickers' and benchmarks' rows from the Parquet dataset
(:class:`~eventstudy.data.parquet.ParquetSource` pushes the ticker and date filters
down), writes its rows of each table as ``<folder>/<table>/part-<NNNNN>.parquet``
(temp file, then rename) and returns the small things the driver keeps: skipped pairs,
row counts, provenance, the pieces of the combinable tests
(:mod:`eventstudy.distributed.pieces`) and the per-pair columns the other tests need
(:mod:`eventstudy.distributed.combine`).

A partition whose prices cannot be read (a bad Parquet row, an unreadable file) does
not end the run: its pairs go to ``skipped.csv`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.core import atomic
from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.core.study import StudySpec
    from eventstudy.distributed.combine import Needs
    from eventstudy.distributed.pieces import Pieces
    from eventstudy.distributed.plan import Partition
    from eventstudy.distributed.rounds import Kept, SecondPieces, SecondPlan

PART_TABLES = ("abnormal_returns", "car", "models", "alignment")
"""The partitioned datasets each task writes (``skipped`` goes to the driver)."""


@dataclass(frozen=True)
class PartitionOutcome:
    """What a task sends back to the driver (no per-day table rows).

    Attributes
    ----------
    number
        The partition's number.
    n_pairs
        Its (event, security) pairs.
    skipped
        ``(event_id, ticker, reason)`` of its pairs that were not estimated.
    skipped_order
        The sort key of each skipped row (stage, then pair order: the local order).
    rows
        Rows written per table.
    panel
        The per-pair columns for the tests (:func:`eventstudy.distributed.combine.panel_part`),
        with ``order`` (the pairs' order keys); None when no pair was estimated.
    pieces
        The combinable tests' pieces (:func:`eventstudy.distributed.pieces.partition_pieces`);
        None when no pair was estimated or no such test was chosen.
    provenance, off_session
        The prices' records for ``manifest.json`` (JSON-ready dicts by ticker).
    kept
        What the second round of the two-round tests reads
        (:class:`~eventstudy.distributed.rounds.Kept`); it stays on the worker
        (:func:`without_kept` is what the driver gathers).
    """

    number: int
    n_pairs: int
    skipped: list[tuple[str, str, str]]
    rows: dict[str, int]
    panel: dict[str, np.ndarray] | None
    skipped_order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    provenance: dict[str, dict[str, object]] = field(default_factory=dict)
    off_session: dict[str, dict[str, object]] = field(default_factory=dict)
    pieces: Pieces | None = None
    kept: Kept | None = None


def without_kept(outcome: PartitionOutcome) -> PartitionOutcome:
    """``outcome`` without what it keeps for the second round (what the driver gathers)."""
    from dataclasses import replace

    return replace(outcome, kept=None)


def second_round(outcome: PartitionOutcome, plan: SecondPlan) -> SecondPieces:
    """The partition's second-round pieces (:func:`eventstudy.distributed.rounds.second_pieces`)."""
    from eventstudy.distributed.rounds import second_pieces

    return second_pieces(outcome.kept, plan)


def part_path(folder: str | Path, table: str, number: int) -> Path:
    """``<folder>/<table>/part-<number:05d>.parquet``."""
    return Path(folder) / table / f"part-{number:05d}.parquet"


def write_part(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as one Parquet file, atomically (temp file, then rename)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return atomic.write_atomic(path, lambda handle: pq.write_table(table, handle))


def order_keys(
    pairs: list[tuple[str, str]], sub: StudySpec, partition: Partition, width: int
) -> np.ndarray:
    """The order key of each ``(event_id, ticker)``: event position * ``width`` + security's."""
    keys = np.empty(len(pairs), dtype=np.int64)
    for i, (event_id, ticker) in enumerate(pairs):
        tickers = sub.securities_for(sub.event(event_id))
        keys[i] = partition.positions[event_id] * width + tickers.index(ticker)
    return keys


def _skipped_order(
    skipped: list[tuple[str, str, str]],
    stages: list[int],
    sub: StudySpec,
    partition: Partition,
    width: int,
) -> np.ndarray:
    """``stage * 2**48 + order key`` of each skipped row: the local engine's order.

    A local run lists the pairs off the calendar first (stage 0), then those without
    prices (1), then those the fit screened out (2), each in pair order.
    """
    stage = np.repeat(np.arange(len(stages)), np.diff([0, *stages]))
    keys = order_keys([(e, t) for e, t, _ in skipped], sub, partition, width)
    return stage.astype(np.int64) * (1 << 48) + keys


def run_partition(
    study: StudySpec,
    partition: Partition,
    events: list[Event],
    prices: str,
    folder: str,
    width: int,
    needs: Needs,
) -> PartitionOutcome:
    """Run one partition of the study and write its parts.

    Parameters
    ----------
    study
        The study (its settings are used; its events are replaced by the partition's).
    partition
        Which securities and events (:func:`eventstudy.distributed.plan.plan_partitions`).
    events
        The partition's events (its ``rows``), built by the driver as it submits the task.
    prices
        The Parquet dataset (an absolute path or a URL every worker can read).
    folder
        ``OUT/<study-name>``, where the parts go (shared storage on a real cluster).
    width
        The order-key width of the plan.
    needs
        What to return for the tests (:func:`eventstudy.distributed.combine.needs_of`).
    """
    from eventstudy.data.parquet import ParquetSource
    from eventstudy.distributed.combine import panel_part
    from eventstudy.distributed.pieces import group_keys, partition_pieces
    from eventstudy.distributed.rounds import keep
    from eventstudy.pipeline.estimate import estimate_groups, price_returns, runnable_pairs
    from eventstudy.pipeline.pair_tables import ordered_tables
    from eventstudy.pipeline.study_tests import study_panel
    from eventstudy.sessions.pairs import align_study, plan_prices
    from eventstudy.sessions.price_checks import flag_off_session

    sub = study.model_copy(update={"events": list(events)})
    mine = set(partition.tickers)
    pairs = [p for p in align_study(sub, list(partition.run_ids)) if p.ticker in mine]
    plan = plan_prices(sub, pairs)
    skipped = list(plan.skipped)
    stages = [len(skipped)]  # where each stage's skipped rows end
    try:
        source = ParquetSource(prices)
        table = flag_off_session(source.load(plan.tickers, plan.start, plan.end))
        returns, stale = price_returns(sub, table)
        runnable = runnable_pairs(sub, plan.spans, table, skipped)
        stages.append(len(skipped))
        groups = estimate_groups(sub, runnable, returns, stale, skipped)
        stages.append(len(skipped))
        ar, car, models = ordered_tables(groups, runnable, sub.study)
    except EventStudyError as exc:
        reason = f"partition {partition.number:05d} failed: {exc}"
        done = {(e, t) for e, t, _ in skipped}
        skipped += [
            (p.event_id, p.ticker, reason) for p in pairs if (p.event_id, p.ticker) not in done
        ]
        stages = [stages[0], len(skipped)]
        order = _skipped_order(skipped, stages, sub, partition, width)
        return PartitionOutcome(partition.number, len(pairs), skipped, {}, None, order)
    frames = {
        "abnormal_returns": ar,
        "car": car,
        "models": models,
        "alignment": pd.DataFrame([p.alignment.to_dict() for p in pairs]),
    }
    rows = {}
    for name, frame in frames.items():
        rows[name] = len(frame)
        if len(frame):  # a partition without rows writes no part
            write_part(part_path(folder, name, partition.number), frame)
    part, pieces, kept = None, None, None
    panel = study_panel(groups)
    if panel is not None:
        code = {t: partition.ticker_offset + i for i, t in enumerate(partition.tickers)}
        part = panel_part(panel, needs, np.array([code[t] for t in panel.ticker], np.int64))
        pairs_done = zip(panel.event_id, panel.ticker, strict=True)
        part["order"] = order_keys(list(pairs_done), sub, partition, width)
        if needs.pieces or needs.cars or needs.rounds:
            pieces = partition_pieces(panel, sub, needs.pieces, needs.windows, needs.rounds)
        if needs.rounds:
            keys = group_keys(panel.event_id, panel.ticker, sub)
            kept = keep(panel, *keys, needs.windows, needs.rounds)
    return PartitionOutcome(
        partition.number,
        len(pairs),
        skipped,
        rows,
        part,
        _skipped_order(skipped, stages, sub, partition, width),
        {t: p.to_dict() for t, p in table.provenance.items()},
        {t: r.to_dict() for t, r in table.off_session.items()},
        pieces,
        kept,
    )
