"""Estimate a study: align events, load prices, fit models, compute ARs and CARs.

:func:`estimate_study` is the core every daily run shares (the study's own, its
placebo studies and the Dask partition tasks use its parts): all (event, security)
pairs are stacked into arrays and estimated at once; pairs that cannot be estimated are
recorded with a reason, not raised.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.factors import load_factor_returns
from eventstudy.core.prices import PriceSource, PriceTable
from eventstudy.core.settings import factor_names
from eventstudy.core.skips import check_estimated
from eventstudy.measures.record import StudyRecord
from eventstudy.models.estimation import Estimates, estimate, stack_pairs
from eventstudy.pipeline.pair_tables import ordered_tables
from eventstudy.sessions.calendar import exchange_for
from eventstudy.sessions.confounders import neighbours
from eventstudy.sessions.pairs import LAG_PAD, Pair, align_study, plan_prices
from eventstudy.sessions.price_checks import flag_off_session
from eventstudy.sessions.price_range import explain_ranges
from eventstudy.sessions.returns import returns_and_stale

if TYPE_CHECKING:
    from distributed import Client

    from eventstudy.core.study import StudySpec

__all__ = [
    "SKIPPED_COLUMNS",
    "estimate_groups",
    "estimate_study",
    "price_returns",
    "runnable_pairs",
]
SKIPPED_COLUMNS = ["event_id", "ticker", "reason"]


def estimate_study(
    study: StudySpec,
    price_source: PriceSource,
    event_ids: list[str] | None = None,
    test_names: tuple[str, ...] | None = None,
    *,
    strict: bool = True,
) -> tuple[StudyRecord, list[Pair], dict[str, pd.Series]]:
    """ARs, CARs and models of every pair of ``study`` on prices from ``price_source``.

    Parameters
    ----------
    study
        The validated study (a daily one).
    price_source
        Where the prices come from.
    event_ids
        Run only these events (default: all study events).
    test_names
        The tests the record's ``tests()`` will run (checked names; None: the default).
    strict
        Raise when no pair can be estimated (a placebo study's runs pass False).

    Raises
    ------
    NoPairsError
        When no (event, security) pair can be estimated, naming the first reasons
        (a :class:`~eventstudy.data.yahoo.FetchError` when Yahoo could not be reached).

    Returns
    -------
    record, runnable, returns
        The run's tables (no long horizons, no placebo), the pairs that had prices,
        and the simple returns by ticker (for the long horizons).
    """
    started = datetime.now(UTC)
    settings = study.study
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

    groups = estimate_groups(study, runnable, returns, stale, skipped)
    skipped = explain_ranges(
        skipped, [p for p, _, _ in in_calendar], table, settings.estimation_window[0]
    )
    if strict:
        check_estimated(
            len(pairs), sum(len(g.pairs) for g in groups), [r for _, _, r in skipped],
            source_failed=any(m.source_failed for m in table.missing.values()),
            file=study.path,
        )  # fmt: skip
    volume_measure = None
    if "volume" in settings.measures:
        from eventstudy.measures.volume import measure_volume

        volume_measure = measure_volume(study, runnable, table, skipped)
    ar, car, models = ordered_tables(groups, runnable, settings)
    skipped_frame = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    record = StudyRecord(
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
    return record, runnable, returns


def price_returns(
    study: StudySpec, table: PriceTable
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
    study: StudySpec,
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
    study: StudySpec,
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
