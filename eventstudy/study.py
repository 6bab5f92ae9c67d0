"""Run a study: align events, load prices, fit models, compute ARs and CARs.

:func:`run_study` is the one pipeline behind both ``eventstudy run`` and
``Study.run()``. All (event, security) pairs are stacked into arrays and estimated
at once; pairs that cannot be estimated are recorded with a reason, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.calendar import exchange_for
from eventstudy.config import factor_names
from eventstudy.confounders import neighbours
from eventstudy.data import PriceSource, PriceTable, ProgressCallback, get_source
from eventstudy.data.factors import load_factor_returns
from eventstudy.errors import ArgumentError
from eventstudy.estimation import Estimates, estimate, stack_pairs
from eventstudy.pair_tables import ordered_tables
from eventstudy.pairs import LAG_PAD, Pair, PricePlan, align_study, plan_prices
from eventstudy.price_checks import flag_off_session
from eventstudy.returns import returns_and_stale
from eventstudy.study_tests import check_test_names

if TYPE_CHECKING:
    from distributed import Client

    from eventstudy.config import Study
    from eventstudy.distributed import DaskStudyResult
    from eventstudy.results import StudyResult

__all__ = ["SKIPPED_COLUMNS", "Pair", "PricePlan", "align_study", "plan_prices", "run_study"]
SKIPPED_COLUMNS = ["event_id", "ticker", "reason"]


def run_study(
    study: Study,
    *,
    source: str | PriceSource | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    event_ids: list[str] | None = None,
    tests: str | Sequence[str] | None = None,
    engine: str = "local",
    client: Client | None = None,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
    out: str | Path = "outputs",
    partition_pairs: int | None = None,
) -> StudyResult | DaskStudyResult:
    """Run the event study and return its results.

    Parameters
    ----------
    study
        The validated study (:func:`eventstudy.load_study`).
    source
        ``"yahoo"``, ``"csv"``, ``"parquet"``, ``"frame"`` or ``"demo"``, or any
        :class:`~eventstudy.data.PriceSource`. Default: the source of ``prices`` (a
        DataFrame: ``frame``; a path ending in ``.parquet``: ``parquet``; another path:
        ``csv``), else ``yahoo``.
    prices
        A prices file or folder (csv source), a long Parquet file, folder or URL
        (parquet source, :mod:`eventstudy.data.parquet`) or a pandas DataFrame (wide
        or long, see :mod:`eventstudy.data.frame`). Giving it with ``source="yahoo"`` or ``"demo"``
        is an error.
    event_ids
        Run only these events (default: all study events).
    tests
        Test names for ``tests.csv`` (:data:`eventstudy.inference.TESTS`, ``"all"`` or
        ``"none"``); default the standard set. Tests run when first asked for
        (``result.tests()`` or ``save``).
    engine
        ``"local"`` (default) runs the study in this process; ``"dask"`` runs it on a
        ``dask.distributed`` cluster, partitioned by security, from a Parquet price
        dataset (:mod:`eventstudy.distributed`); the results are identical.
    client
        For ``engine="dask"``: the ``dask.distributed.Client`` to use.
    scheduler
        For ``engine="dask"`` without ``client``: the scheduler address
        (``tcp://host:8786``); default a local in-process cluster.
    cache_dir, offline, refresh, progress
        For the yahoo source: the price cache folder (default ``$EVENTSTUDY_CACHE_DIR``
        or the user cache folder), never use the network, download cached ranges
        again, and a ``progress(ticker, i, n)`` callback (see
        :class:`~eventstudy.data.yahoo.YahooSource`). With another source they have no
        effect, and a warning says so.
    out, partition_pairs
        For ``engine="dask"``: the output folder the tasks write the partitioned tables
        into (``OUT/<study-name>/<table>/part-NNNNN.parquet``) and the pairs per
        partition (:mod:`eventstudy.distributed`).

    Returns
    -------
    StudyResult, IntradayResult or DaskStudyResult
        ARs, CARs with MacKinlay standard errors, model estimates and skipped pairs; for
        an intraday study (``interval`` other than ``1d``) an
        :class:`~eventstudy.intraday.result.IntradayResult`; with ``engine="dask"`` a
        :class:`~eventstudy.distributed.DaskStudyResult`, whose tables are read lazily
        from the partitioned datasets.
    """
    from eventstudy.engine import ENGINES
    from eventstudy.results import StudyResult

    if study.study.interval != "1d":  # intraday bars (eventstudy.intraday): own pipeline
        from eventstudy.intraday.run import run_intraday

        return run_intraday(  # type: ignore[return-value]
            study, source=source, prices=prices, event_ids=event_ids, tests=tests,
            engine=engine, cache_dir=cache_dir, offline=offline, refresh=refresh,
            progress=progress,
        )  # fmt: skip
    if engine not in ENGINES:
        raise ArgumentError(
            f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})", argument="engine"
        )
    started = datetime.now(UTC)
    settings = study.study
    test_names = check_test_names(tests)
    if engine == "dask":  # the whole pipeline on the cluster, partitioned by security
        from eventstudy.distributed import run_distributed

        return run_distributed(
            study, source=source, prices=prices, event_ids=event_ids, tests=test_names,
            client=client, scheduler=scheduler, out=out, partition_pairs=partition_pairs,
        )  # fmt: skip
    price_source = get_source(
        source, prices, cache_dir=cache_dir, offline=offline, refresh=refresh, progress=progress
    )
    pairs = align_study(study, event_ids)
    plan = plan_prices(study, pairs)
    skipped = list(plan.skipped)
    in_calendar = plan.spans
    if plan.tickers:
        table = flag_off_session(price_source.load(plan.tickers, plan.start, plan.end))
    else:
        table = PriceTable(adj_close=pd.DataFrame(), source=price_source.name)

    returns, stale = price_returns(study, table)
    runnable = runnable_pairs(study, in_calendar, table, skipped)

    own_client = None
    if engine == "dask" and client is None:
        from eventstudy.engine import connect

        client = own_client = connect(scheduler)
    try:
        groups = estimate_groups(
            study, runnable, returns, stale, skipped, engine=engine, client=client
        )
        volume_measure = None
        if "volume" in settings.measures:
            from eventstudy.volume import measure_volume

            volume_measure = measure_volume(
                study, runnable, table, skipped, engine=engine, client=client
            )
    finally:
        if own_client is not None:
            cluster = own_client.cluster
            own_client.close()
            if cluster is not None:
                cluster.close()
    ar, car, models = ordered_tables(groups, runnable, settings)
    skipped_frame = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    result = StudyResult(
        study=study,
        event_ids=[e.id for e in study.select(event_ids)],
        alignments=[p.alignment for p in pairs],
        abnormal_returns=ar,
        car=car,
        models=models,
        skipped=skipped_frame,
        prices=table,
        estimates=groups,
        test_names=test_names,
        volume=volume_measure,
        started=started,
        finished=datetime.now(UTC),
    )
    # The placebo study (car.csv's car_p_placebo) runs this pipeline again, on more
    # history, in a thread beside the long horizons (skipped.csv's rows, long_horizon):
    # neither reads what the other adds.
    with ThreadPoolExecutor(max_workers=1) as background:
        placebo = None
        if settings.placebo:
            from eventstudy.placebo import with_placebo

            placebo = background.submit(with_placebo, result, price_source)
        if settings.bhar_windows:  # long horizons: BHARs and calendar-time portfolios
            from eventstudy.long_horizon import with_long_horizon

            result = with_long_horizon(result, runnable, returns)
        if placebo is not None:
            placed = placebo.result()
            result = replace(result, car=placed.car, placebo=placed.placebo)
    return result


def price_returns(
    study: Study, table: PriceTable
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Returns and stale-session flags of every ticker of ``table``, by exchange.

    Factor returns of ``study.factors_file`` are added to the returns. Shared by
    :func:`run_study` and the Dask partition tasks (:mod:`eventstudy.distributed`).
    """
    settings = study.study
    volume = table.volume if table.volume is not None else pd.DataFrame()
    returns, stale = {}, {}
    by_exchange: dict[str, list[str]] = {}
    for t in table.tickers:
        by_exchange.setdefault(exchange_for(t), []).append(t)
    for mic, tickers in by_exchange.items():
        with_volume = [t for t in tickers if t in volume.columns]
        placed = returns_and_stale(
            table.adj_close[tickers], volume[with_volume] if with_volume else None, mic
        )
        returns |= placed[0]
        stale |= placed[1]
    if settings.factors_file is not None:  # factor returns by date, named by their column
        base = study.path.parent if study.path else None
        returns |= load_factor_returns(settings.factors_file, base)
    return returns, stale


def runnable_pairs(
    study: Study,
    spans: list[tuple[Pair, date, date]],
    table: PriceTable,
    skipped: list[tuple[str, str, str]],
) -> list[Pair]:
    """The pairs whose security, benchmark (and factors) have prices over their span.

    The others go to ``skipped`` with the reason. Only pairs that name a ticker the
    source missed (wholly or in part) are looked at one by one.
    """
    settings = study.study
    available = set(table.tickers)
    factor_events = {e.id for e in study.events if study.model_for(e) == "factor"}
    doubtful = set(table.missing) | {
        t for t in {p.ticker for p, _, _ in spans} | {p.benchmark for p, _, _ in spans}
        if t not in available
    }  # fmt: skip
    if factor_events and any(f in table.missing or f not in available for f in settings.factors):
        doubtful |= {p.ticker for p, _, _ in spans if p.event_id in factor_events}
    if not doubtful:
        return [p for p, _, _ in spans]
    runnable = []
    for pair, span_start, span_end in spans:
        if pair.ticker not in doubtful and pair.benchmark not in doubtful:
            runnable.append(pair)
            continue
        needs = [pair.ticker, pair.benchmark]
        if pair.event_id in factor_events:
            needs += settings.factors
        gaps = [
            table.missing[t]
            for t in needs
            if t in table.missing and table.missing[t].affects(span_start, span_end)
        ]
        missing = [t for t in needs if t not in available]
        if gaps:
            skipped.append((pair.event_id, pair.ticker, "; ".join(g.reason for g in gaps)))
        elif missing:
            role = {pair.benchmark: "benchmark "} | {f: "factor " for f in settings.factors}
            what = " and ".join(
                f"{role.get(t, '') if t != pair.ticker else ''}{t}" for t in missing
            )
            cased = [t.upper() for t in missing if t != t.upper()]  # symbols are upper case
            hint = f": tickers match exactly, did you mean {' and '.join(map(repr, cased))}?"
            hint = hint if cased else ""
            reason = f"no prices for {what} in the {table.source} source{hint}"
            skipped.append((pair.event_id, pair.ticker, reason))
        else:
            runnable.append(pair)
    return runnable


def estimate_groups(
    study: Study,
    pairs: list[Pair],
    returns: dict[str, pd.Series],
    stale: dict[str, pd.Series],
    skipped: list[tuple[str, str, str]],
    *,
    engine: str = "local",
    client: Client | None = None,
) -> list[Estimates]:
    """Stack all pairs once, then fit each model on the pairs that use it."""
    settings = study.study
    if not pairs:
        return []
    names = [f for f in factor_names(settings) if f in returns]
    risk_free = settings.factors_file.risk_free if settings.factors_file else None
    data = stack_pairs(
        pairs,
        returns,
        stale,
        names + ([risk_free] if risk_free else []),
        settings.estimation_window[0] - LAG_PAD,
        settings.event_window[1],
        trade_to_trade_returns=settings.returns == "trade-to-trade",
    )
    rf = None
    if risk_free:  # the last stacked column; factor models then use excess returns
        rf = data.factors[..., -1]
        data = replace(data, factors=data.factors[..., :-1])
    near = neighbours(study, pairs)
    model_of = {e.id: study.model_for(e) for e in study.events}
    by_model: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        by_model.setdefault(model_of[pair.event_id], []).append(row)
    groups = []
    for model, rows in by_model.items():
        idx = np.asarray(rows)
        part = data.take(idx)
        if model == "factor" and rf is not None:
            part = replace(part, returns=part.returns - rf[idx], market=part.market - rf[idx])
        group = estimate(
            [pairs[i] for i in idx], part, settings, model, near.take(idx),
            skipped, engine=engine, client=client,
        )  # fmt: skip
        if group is not None:
            groups.append(group)
    return groups
