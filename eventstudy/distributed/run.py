"""The driver of a Dask run: plan, submit one task per partition, gather small results.

:func:`run_distributed` is what ``run_study(engine="dask")`` (``--engine dask``) calls.
The driver reads the events and plans the partitions
(:mod:`~eventstudy.distributed.plan`); the cluster's workers read the prices from the
Parquet dataset, fit, compute ARs, CARs and per-pair statistics, and write the
partitioned tables (:mod:`~eventstudy.distributed.tasks`); the driver gathers the
skipped pairs, counts, provenance, the combinable tests' pieces
(:mod:`~eventstudy.distributed.pieces`) and the per-pair columns the other tests need
(:mod:`~eventstudy.distributed.combine`). A task on a worker that is lost is run
again by Dask on another worker (``distributed.scheduler.allowed-failures``, default
3 retries); parts are written atomically, so a retried task replaces its part whole.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Client, Future, as_completed

    from eventstudy.core.study import StudySpec
    from eventstudy.data import PriceSource
    from eventstudy.distributed.combine import ColumnStack, Needs
    from eventstudy.distributed.events import EventColumns
    from eventstudy.distributed.pieces import PieceSum
    from eventstudy.distributed.plan import Partition, Plan
    from eventstudy.distributed.result import DaskStudyResult
    from eventstudy.distributed.tasks import PartitionOutcome
    from eventstudy.distributed.tests_table import TestInputs
    from eventstudy.inference import TestResult

NEEDS_PARQUET = (
    "engine 'dask' reads the prices in its tasks from a Parquet dataset: give "
    "--source parquet --prices PATH|URL (a path or URL every worker can read)"
)


def parquet_location(source: str | PriceSource | None, prices: Any) -> str:
    """The Parquet dataset of the run (an absolute path or a URL), or a one-line error
    (a local dataset is opened here, before any cluster starts, to check it is one)."""
    from eventstudy.data.parquet import ParquetSource

    if isinstance(source, ParquetSource):
        prices, source = source.location, "parquet"
    named = source is None and isinstance(prices, str | Path) and str(prices).endswith(".parquet")
    if not (source == "parquet" or named) or not isinstance(prices, str | Path):
        raise EventStudyError(NEEDS_PARQUET, field="--source")
    location = str(prices)
    if "://" in location:
        return location
    path = Path(location).resolve()
    if not path.exists():
        raise EventStudyError("no such file or folder", file=location, field="--prices")
    ParquetSource(path).load([], date(2000, 1, 3), date(2000, 1, 3))  # a Parquet dataset?
    return str(path)


def _merge(records: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """One provenance record per ticker: the widest read, and how many partitions read it."""
    out = {}
    for ticker, items in sorted(records.items()):
        best = dict(max(items, key=lambda r: int(r.get("rows") or 0)))
        if len(items) > 1:
            best["partitions"] = len(items)
        out[ticker] = best
    return out


def _clear(folder: Path) -> None:
    """Remove the parts (and stray temp files) of an earlier run from ``folder``."""
    from eventstudy.distributed.tasks import PART_TABLES

    (folder / "manifest.json").unlink(missing_ok=True)
    for table in PART_TABLES:
        for path in (folder / table).glob("*part-*.parquet*"):
            path.unlink(missing_ok=True)


def _clear_temp(folder: Path) -> None:
    """Remove the temp files (``.part-*.tmp``) that tasks killed mid-write left behind."""
    from eventstudy.distributed.tasks import PART_TABLES

    for table in PART_TABLES:
        for path in (folder / table).glob(".part-*.tmp"):
            path.unlink(missing_ok=True)


def run_distributed(
    study: StudySpec,
    *,
    source: str | PriceSource | None,
    prices: Any,
    event_ids: list[str] | None,
    tests: tuple[str, ...],
    client: Client | None = None,
    scheduler: str | None = None,
    out: str | Path = "outputs",
    partition_pairs: int | None = None,
    events: EventColumns | None = None,
) -> DaskStudyResult:
    """Run ``study`` on a Dask cluster, partitioned by security (see the module docstring).

    Parameters
    ----------
    study, event_ids, tests
        As for :func:`eventstudy.pipeline.run.run_study` (``tests`` already checked).
    source, prices
        Must name a Parquet dataset (``source="parquet"``) every worker can read.
    client, scheduler
        The ``distributed.Client`` to use, else one connected to ``scheduler``
        (else a local cluster).
    out
        ``OUT``: the tasks write ``OUT/<study-name>/<table>/part-NNNNN.parquet``.
    partition_pairs
        Pairs per partition (default :data:`~eventstudy.distributed.plan.PARTITION_PAIRS`).
    events
        The study's events as columns (:func:`eventstudy.distributed.events.load_events`:
        ``study`` then holds no events); default: ``study.events``' columns.

    Raises
    ------
    NoPairsError
        When no pair could be estimated (the first reasons named); some pairs skipped
        warn (:func:`eventstudy.core.skips.check_estimated`).
    EventStudyError
        Without a Parquet source, for a setting the pipeline does not run
        (:func:`~eventstudy.distributed.plan.check_supported`), or when the chosen tests
        would gather too much (:func:`~eventstudy.distributed.combine.check_gather`).
    """
    from eventstudy.core.skips import check_estimated
    from eventstudy.distributed.combine import ColumnStack, check_gather, without_heavy_defaults
    from eventstudy.distributed.events import EventColumns
    from eventstudy.distributed.pieces import PieceSum
    from eventstudy.distributed.plan import PARTITION_PAIRS, check_supported, plan_partitions
    from eventstudy.distributed.tasks import run_partition, without_kept
    from eventstudy.distributed.tests_table import TestInputs

    location = parquet_location(source, prices)
    if events is None:
        events = EventColumns.of_events(study, study.events)
    check_supported(study, events)
    started = datetime.now(UTC)
    settings = study.study
    plan = plan_partitions(study, events, event_ids, partition_pairs or PARTITION_PAIRS)
    l1 = settings.estimation_window[1] - settings.estimation_window[0] + 1
    selected = events.selected(event_ids, study.path)
    tests, left_out = without_heavy_defaults(tests, plan.n_pairs, l1)
    for test, reason in left_out.items():
        warnings.warn(f"{test} {reason}", UserWarning, stacklevel=2)
    needs = _needs(tests, settings.car_windows, plan, events, selected, l1)
    check_gather(needs.gathered, plan.n_pairs, l1)
    folder = Path(out) / settings.name
    _clear(folder)
    own = None
    if client is None:
        from eventstudy.models.engine import connect

        client = own = connect(scheduler)
    kept: list[Future] = []  # the tasks' full outcomes, held for the second round
    try:
        remote_study = (
            client.scatter(study.model_copy(update={"events": []}), broadcast=True)
            if plan.partitions
            else None
        )

        def submit(p: Partition) -> Future:  # the partition's Event objects, for its task
            key = f"eventstudy-partition-{p.number:05d}-{started.timestamp():.0f}"
            full = client.submit(
                run_partition, remote_study, p, events.events(p.rows), location,
                str(folder.resolve()), plan.width, needs, pure=False, key=key,
            )  # fmt: skip
            if not needs.rounds:
                return full
            kept.append(full)
            return client.submit(without_kept, full, pure=False, key=f"{key}-outcome")

        stack, pieces = ColumnStack(plan.n_pairs), PieceSum()
        outcomes = _gather(client, submit, plan.partitions, stack, pieces)
        _clear_temp(folder)  # temp files of tasks whose worker was lost mid-write
        outcomes.sort(key=lambda o: o.number)
        inputs = TestInputs(
            columns=stack.take(),
            combined=pieces.combined() if pieces.parts else None,
            tickers=plan.tickers(),
            width=plan.width,
            rel_days=np.arange(settings.event_window[0], settings.event_window[1] + 1),
            l1=l1,
            categories=events.categories(selected),
            rounds=needs.rounds,
        )
        result = _result(
            study, events, selected, folder, outcomes, location, tests, inputs, plan, started,
            needs.sources(tests) | left_out,
        )  # fmt: skip
        if needs.rounds and inputs.combined is not None:
            inputs.second = second_round(client, kept, result, inputs, needs)
    finally:
        kept.clear()
        if own is not None:
            from eventstudy.models.engine import disconnect

            disconnect(own)
    check_estimated(
        result.n_pairs, result.n_estimated, result.skipped["reason"].tolist(), file=study.path
    )
    return replace(result, finished=datetime.now(UTC))


def _needs(
    tests: tuple[str, ...],
    windows: list[tuple[int, int]],
    plan: Plan,
    events: EventColumns,
    selected: np.ndarray,
    l1: int,
) -> Needs:
    """What the tasks send: ``grank_t`` and ``bootstrap`` in two rounds of pieces
    (:mod:`~eventstudy.distributed.rounds`) unless the numbers the tasks would send
    exceed :data:`eventstudy.distributed.rbar.ROUND_CELLS` (many small groups spread over many
    partitions: then
    the residuals are gathered)."""
    from eventstudy.distributed import rbar
    from eventstudy.distributed.combine import needs_of
    from eventstudy.distributed.rounds import round_cells
    from eventstudy.measures.group_tests import MAX_TICKER_GROUPS

    needs = needs_of(tests, windows, rounds=True)
    if not needs.rounds:
        return needs
    parts = len(plan.partitions)
    sizes = np.fromiter((len(s) for s in events.securities[selected]), np.int64, len(selected))
    categories = len({c for c in events.category[selected] if c})
    tickers = len(plan.tickers())
    spans = parts * (1 + categories) + int(np.minimum(sizes[sizes >= 2], parts).sum())
    spans += tickers if tickers <= MAX_TICKER_GROUPS else 0
    if round_cells(spans, len(windows), l1, needs.rounds) > rbar.ROUND_CELLS:
        return needs_of(tests, windows)
    return needs


def _result(
    study: StudySpec,
    events: EventColumns,
    selected: np.ndarray,
    folder: Path,
    outcomes: list[PartitionOutcome],
    location: str,
    tests: tuple[str, ...],
    inputs: TestInputs,
    plan: Plan,
    started: datetime,
    test_sources: dict[str, str],
) -> DaskStudyResult:
    """The run's result from the tasks' outcomes (sorted by partition); ``finished`` is
    set when the second round (if any) is done."""
    from eventstudy.distributed.result import DaskStudyResult
    from eventstudy.pipeline.estimate import SKIPPED_COLUMNS

    skipped = pd.DataFrame([row for o in outcomes for row in o.skipped], columns=SKIPPED_COLUMNS)
    order = np.concatenate([o.skipped_order for o in outcomes] or [np.zeros(0, np.int64)])
    skipped = skipped.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    rows: dict[str, int] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    off: dict[str, list[dict[str, Any]]] = {}
    for o in outcomes:
        for table, count in o.rows.items():
            rows[table] = rows.get(table, 0) + count
        for ticker, record in o.provenance.items():
            records.setdefault(ticker, []).append(record)
        for ticker, record in o.off_session.items():
            off.setdefault(ticker, []).append(record)
    return DaskStudyResult(
        study=study,
        events=events,
        event_ids=list(events.ids[selected]),
        folder=folder,
        skipped=skipped,
        n_pairs=sum(o.n_pairs for o in outcomes),
        rows=rows,
        partitions=len(plan.partitions),
        started=started,
        finished=started,
        prices=location,
        test_names=tests,
        provenance=_merge(records),
        off_session={t: items[0] for t, items in off.items()},
        inputs=inputs,
        width=plan.width,
        test_sources=test_sources,
    )


def second_round(
    client: Client,
    kept: list[Future],
    result: DaskStudyResult,
    inputs: TestInputs,
    needs: Needs,
) -> dict[tuple[str, tuple[int, int], str], TestResult]:
    """The two-round tests' results: plan the second round from the first round's merged
    pieces, run it on the kept outcomes (one task each, where they are) and finish."""
    from eventstudy.distributed.rounds import SecondSum, plan_second_round
    from eventstudy.distributed.tasks import second_round as task
    from eventstudy.distributed.tests_table import test_groups

    combined = inputs.combined
    assert combined is not None
    names = [name for name, _ in test_groups(result, inputs)]
    plan, known, observed = plan_second_round(
        combined.moments, combined.present, combined.index, names, list(needs.windows),
        needs.rounds, combined.rbar,
    )  # fmt: skip
    from distributed import as_completed

    remote = client.scatter(plan, broadcast=True)
    total = SecondSum()
    running = as_completed([client.submit(task, full, remote, pure=False) for full in kept])
    for future in _completed(running):
        total.add(future.result(), plan)
        future.release()
    return total.results(plan, known, observed)


def _gather(
    client: Client,
    submit: Callable[[Partition], Future],
    partitions: list[Partition],
    stack: ColumnStack,
    pieces: PieceSum,
) -> list[PartitionOutcome]:
    """Submit the partitions' tasks, a few per worker thread ahead of the results, and
    collect their outcomes as they complete: their columns go into ``stack``, their
    pieces into ``pieces``.

    A task is submitted (and its partition's ``Event`` objects built) only when one
    completes, so the driver never holds every event as an object; each future is
    released once gathered, and each outcome keeps no test inputs, so the driver holds
    every gathered column once (in ``stack``).
    """
    from distributed import as_completed

    ahead = max(4, 2 * sum(client.nthreads().values()))
    waiting = iter(partitions)
    running = as_completed([submit(p) for p in islice(waiting, ahead)])
    outcomes = []
    for future in _completed(running):
        outcome = future.result()
        future.release()
        following = next(waiting, None)
        if following is not None:
            running.add(submit(following))
        stack.add(outcome.panel)
        pieces.add(outcome.pieces)
        outcomes.append(replace(outcome, panel=None, pieces=None))
    return outcomes


def _completed(running: as_completed) -> Iterator[Future]:
    """The futures of ``running`` as they complete, each finished (its ``result()``
    ready); a task the cluster lost for good (a worker killed too often) is a one-line
    error."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    for future in running:
        try:
            future.result()
        except (KilledWorker, CancelledError) as exc:  # the cluster, not the data
            raise EventStudyError(
                f"the Dask cluster lost task {future.key} ({type(exc).__name__}: {exc}); "
                "check the workers (memory, lifetime) and run again",
                field="--scheduler",
            ) from None
        yield future
