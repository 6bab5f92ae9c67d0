"""Run a study: align events, load prices, fit models, compute ARs and CARs.

:func:`run_study` is the one pipeline behind both ``eventstudy run`` and
``Study.run()``. All (event, security) pairs are stacked into arrays and estimated
at once; pairs that cannot be estimated are recorded with a reason, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.calendar import Alignment, align_event, exchange_for, sessions
from eventstudy.config import factor_names
from eventstudy.confounders import neighbours
from eventstudy.data import PriceSource, PriceTable, ProgressCallback, resolve_source
from eventstudy.data.factors import load_factor_returns
from eventstudy.errors import EventStudyError
from eventstudy.estimation import LAG_PAD, Estimates, estimate, stack_pairs, tables
from eventstudy.price_checks import drop_off_session
from eventstudy.returns import returns_and_stale
from eventstudy.study_tests import check_test_names

if TYPE_CHECKING:
    from distributed import Client

    from eventstudy.config import Study, StudySettings
    from eventstudy.results import StudyResult

SKIPPED_COLUMNS = ["event_id", "ticker", "reason"]
_PAD = timedelta(days=10)


@dataclass(frozen=True)
class Pair:
    """One (event, security) pair with its benchmark and alignment."""

    event_id: str
    ticker: str
    benchmark: str
    alignment: Alignment


def align_study(study: Study, event_ids: list[str] | None = None) -> list[Pair]:
    """Day 0 of every (event, security) pair of the selected events.

    Raises
    ------
    EventStudyError
        If an event id is unknown or a date lies outside the exchange calendars.
    """
    pairs = []
    for event in study.select(event_ids):
        by_exchange: dict[str, Alignment] = {}  # day 0 depends on the exchange only
        for ticker in study.securities_for(event):
            mic = exchange_for(ticker)
            if mic not in by_exchange:
                try:
                    by_exchange[mic] = align_event(
                        event.id, ticker, event.date, event.time, study.timezone_for(event)
                    )
                except EventStudyError as exc:
                    exc.file = exc.file or (str(study.path) if study.path else None)
                    raise
            alignment = replace(by_exchange[mic], ticker=ticker)
            pairs.append(Pair(event.id, ticker, study.benchmark_for(event, ticker), alignment))
    return pairs


@dataclass(frozen=True)
class PricePlan:
    """Which prices a set of pairs needs.

    Attributes
    ----------
    spans
        Each pair whose windows fit the exchange calendar, with the first and last
        session it needs (padding for lead/lag betas included).
    skipped
        Pairs whose windows run off the calendar, with the reason.
    tickers, start, end
        Securities and benchmarks to load, over which calendar dates (padded).
    """

    spans: list[tuple[Pair, date, date]]
    skipped: list[tuple[str, str, str]]
    tickers: list[str]
    start: date
    end: date


def plan_prices(study: Study, pairs: list[Pair]) -> PricePlan:
    """The tickers and date range the pairs' windows need (used by ``run`` and ``fetch``)."""
    settings = study.study
    # one more session for the first return, and padding for lead/lag betas
    first = settings.estimation_window[0] - 1 - LAG_PAD
    last = settings.event_window[1]
    spans, skipped = [], []
    by_exchange: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        by_exchange.setdefault(pair.alignment.exchange, []).append(row)
    fits: dict[int, tuple[date, date] | None] = {}
    for mic, rows in by_exchange.items():
        grid = sessions(mic)
        pos = grid.get_indexer([pairs[r].alignment.day0 for r in rows])
        inside = (pos + first >= 0) & (pos + last < len(grid))
        for r, p, ok in zip(rows, pos, inside, strict=True):
            fits[r] = (grid[p + first].date(), grid[p + last].date()) if ok else None
    for row, pair in enumerate(pairs):
        span = fits[row]
        if span is None:
            reason = "estimation or event window runs past the exchange calendar"
            skipped.append((pair.event_id, pair.ticker, reason))
        else:
            spans.append((pair, *span))
    tickers = sorted(
        {s[0].ticker for s in spans} | {s[0].benchmark for s in spans} | set(settings.factors)
    )
    if not spans:
        return PricePlan(spans, skipped, [], date.min, date.min)
    start = min(s[1] for s in spans) - _PAD
    end = max(s[2] for s in spans) + _PAD
    return PricePlan(spans, skipped, tickers, start, end)


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
) -> StudyResult:
    """Run the event study and return its results.

    Parameters
    ----------
    study
        The validated study (:func:`eventstudy.load_study`).
    source
        ``"yahoo"``, ``"csv"``, ``"frame"`` or ``"demo"``, or any
        :class:`~eventstudy.data.PriceSource`. Default: the source of ``prices`` (a
        DataFrame: ``frame``; a path: ``csv``), else ``yahoo``.
    prices
        A prices file or folder (csv source) or a pandas DataFrame (wide or long, see
        :mod:`eventstudy.data.frame`). Giving it with ``source="yahoo"`` or ``"demo"``
        is an error.
    event_ids
        Run only these events (default: all study events).
    tests
        Test names for ``tests.csv`` (:data:`eventstudy.inference.TESTS`, ``"all"`` or
        ``"none"``); default the standard set. Tests run when first asked for
        (``result.tests()`` or ``save``).
    engine
        ``"local"`` (default) fits all pairs in this process; ``"dask"`` cuts the pairs
        into partitions and fits each on a ``dask.distributed`` cluster with the same
        kernel (:mod:`eventstudy.engine`); the results are identical.
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

    Returns
    -------
    StudyResult
        ARs, CARs with MacKinlay standard errors, model estimates and skipped pairs.
    """
    from eventstudy.engine import ENGINES
    from eventstudy.results import StudyResult

    if engine not in ENGINES:
        raise EventStudyError(
            f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})", field="--engine"
        )
    started = datetime.now(UTC)
    settings = study.study
    test_names = check_test_names(tests)
    price_source = resolve_source(
        source, prices, cache_dir=cache_dir, offline=offline, refresh=refresh, progress=progress
    )
    pairs = align_study(study, event_ids)
    plan = plan_prices(study, pairs)
    skipped = list(plan.skipped)
    in_calendar = plan.spans
    if plan.tickers:
        table = drop_off_session(price_source.load(plan.tickers, plan.start, plan.end))
    else:
        table = PriceTable(adj_close=pd.DataFrame(), source=price_source.name)

    available = set(table.tickers)
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
    model_of = {e.id: study.model_for(e) for e in study.events}
    runnable = []
    for pair, span_start, span_end in in_calendar:
        needs = [pair.ticker, pair.benchmark]
        if model_of[pair.event_id] == "factor":
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
            skipped.append(
                (pair.event_id, pair.ticker, f"no prices for {what} in the {table.source} source")
            )
        else:
            runnable.append(pair)

    own_client = None
    if engine == "dask" and client is None:
        from eventstudy.engine import connect

        client = own_client = connect(scheduler)
    try:
        groups = _estimate_groups(
            study, runnable, returns, stale, skipped, engine=engine, client=client
        )
    finally:
        if own_client is not None:
            cluster = own_client.cluster
            own_client.close()
            if cluster is not None:
                cluster.close()
    ar, car, models = _result_tables(groups, runnable, settings)
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
        started=started,
        finished=datetime.now(UTC),
    )
    if settings.placebo:  # the placebo study runs this pipeline again, on more history
        from eventstudy.placebo import with_placebo

        result = with_placebo(result, price_source)
    return result


def _estimate_groups(
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


def _result_tables(
    groups: list[Estimates], pairs: list[Pair], settings: StudySettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Concatenate the groups' tables in the order of ``pairs`` (events-file order)."""
    from eventstudy.results import AR_COLUMNS, CAR_COLUMNS, MODEL_COLUMNS

    parts = [tables(g, settings.car_windows, factor_names(settings)) for g in groups]
    if not parts:
        return (
            pd.DataFrame(columns=AR_COLUMNS),
            pd.DataFrame(columns=CAR_COLUMNS),
            pd.DataFrame(columns=MODEL_COLUMNS),
        )
    order = {(p.event_id, p.ticker): i for i, p in enumerate(pairs)}
    ranks: list[list[np.ndarray]] = [[], [], []]
    for g in groups:  # the rows of tables(g): pair-major ARs, window-major CARs, models
        pos = np.array([order[(p.event_id, p.ticker)] for p in g.pairs], dtype=np.int64)
        width = g.event_window[1] - g.event_window[0] + 1
        ranks[0].append(np.repeat(pos, width))
        ranks[1].append(np.tile(pos, len(settings.car_windows)))
        ranks[2].append(pos)
    out = []
    for k in range(3):
        frame = pd.concat([part[k] for part in parts], ignore_index=True)
        rank = np.concatenate(ranks[k])
        if len(parts) > 1 or (np.diff(rank) < 0).any():
            frame = frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
        out.append(frame)
    return out[0], out[1], out[2]
