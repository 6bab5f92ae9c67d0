"""Run an intraday study: bar 0, bar returns, the daily engine's fit, CARs and ``car_p_tod``.

:func:`run_intraday` is what :func:`eventstudy.pipeline.run.run_study` calls for a study whose
``interval`` is not ``1d``. The steps mirror the daily pipeline, on bars:

1. a bar grid per exchange (:func:`~eventstudy.intraday.stacking.build_grids`) and bar 0
   of every (event, security) pair on it;
2. the bars every pair needs, from the csv, demo or yahoo bar source (a Yahoo pair
   older than Yahoo's intraday limit is skipped with the reason);
3. bar returns stacked in bar time, overnight bars left out of the estimation window
   (``estimation_skip_overnight``);
4. the normal-return model fitted for all pairs at once by the daily engine
   (:func:`eventstudy.models.estimation.estimate`): the same batched OLS and MacKinlay (1997)
   CAR standard errors;
5. the tables (:func:`eventstudy.pipeline.pair_tables.ordered_tables`) in bar terms, and the
   time-of-day placebo p (:mod:`eventstudy.intraday.tod`); ``tests.csv`` comes from the
   daily :func:`eventstudy.pipeline.study_tests.study_tests` on the same fitted groups.

Other events of the same security are masked out of the estimation window and listed
in ``car.csv``'s ``confounders`` as for days, with offsets in bars
(:mod:`eventstudy.intraday.neighbours`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.core.intraday_windows import INTRADAY_MODELS
from eventstudy.intraday.neighbours import bar_neighbours
from eventstudy.intraday.sources import BarSource, BarTable
from eventstudy.intraday.stacking import (
    BarReturns,
    bar0_position,
    build_grids,
    fits_grid,
    grid_reach,
    stack_bars,
    without_overnight,
)
from eventstudy.intraday.tod import BarClock
from eventstudy.models.estimation import Estimates, estimate

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.data import ProgressCallback
    from eventstudy.intraday.result import IntradayResult
    from eventstudy.sessions.pairs import Pair


def get_bar_source(
    study: StudySpec,
    source: str | BarSource | None,
    prices: str | Path | pd.DataFrame | None,
    *,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> BarSource:
    """The intraday bar source a run asks for (``demo``, ``csv``, ``frame`` — a long
    DataFrame — or ``yahoo``, or an object with ``load_bars``)."""
    if source is not None and not isinstance(source, str):
        return source
    name = source or ("csv" if prices is not None else "yahoo")
    if isinstance(prices, pd.DataFrame) and name in ("csv", "frame"):
        from eventstudy.intraday.sources import FrameBarSource

        return FrameBarSource(prices, study.study.timezone)
    if name in ("demo", "yahoo") and prices is not None:
        raise EventStudyError(
            f"--prices has no effect with --source {name}: drop --prices, or use --source csv",
            field="--prices",
        )
    settings = study.study
    if name == "demo":
        from eventstudy.intraday.demo import DemoBarSource

        return DemoBarSource(settings.interval)
    if name == "csv":
        if prices is None:
            raise EventStudyError(
                "the csv source needs a prices file or folder of intraday bars", field="--prices"
            )
        from eventstudy.intraday.sources import CsvBarSource

        return CsvBarSource(prices, settings.timezone)
    if name == "yahoo":
        from eventstudy.intraday.yahoo import YahooBarSource

        return YahooBarSource(
            settings.interval,
            None if cache_dir is None else str(cache_dir),
            offline=offline,
            refresh=refresh,
            progress=progress,
        )
    raise EventStudyError(
        f"source '{name}' has no intraday bars (choose from demo, csv, frame, yahoo)",
        field="--source",
    )


def _check_models(study: StudySpec, event_ids: list[str]) -> None:
    for event in study.events:
        if event.id in event_ids and study.model_for(event) not in INTRADAY_MODELS:
            raise EventStudyError(
                f"model '{study.model_for(event)}' is not available for intraday bars; "
                f"choose {', '.join(INTRADAY_MODELS)}",
                file=study.path,
                event_id=event.id,
                field="model",
            )


def _yahoo_limits(
    study: StudySpec, pairs: list[Pair], grids: dict, today: date | None
) -> dict[tuple[str, str], str]:
    """Pairs whose bars start before Yahoo's intraday limit, with the reason."""
    from eventstudy.intraday.yahoo import lookback_problem, today_utc

    today = today or today_utc()
    first, _ = grid_reach(study)
    out = {}
    events = {e.id: e for e in study.events}
    for pair in pairs:
        grid = grids[pair.alignment.exchange]
        start = pd.Timestamp(grid.starts[bar0_position(pair, grid) + first]).date()
        why = lookback_problem(study.study.interval, start, events[pair.event_id].date, today)
        if why:
            out[(pair.event_id, pair.ticker)] = why
    return out


def _span(pairs: list[Pair], grids: dict, reach: tuple[int, int]) -> tuple[date, date]:
    """Calendar dates (UTC) from the first to the last bar the pairs need."""
    lo, hi = [], []
    for pair in pairs:
        grid = grids[pair.alignment.exchange]
        pos = bar0_position(pair, grid)
        lo.append(grid.starts[pos + reach[0]])
        hi.append(grid.starts[pos + reach[1]])
    return pd.Timestamp(min(lo)).date(), pd.Timestamp(max(hi)).date()


def _unpriced(table: BarTable, pair: Pair) -> str | None:
    """Why a pair has no bars (its security or benchmark missing), else None."""
    gaps = []
    for ticker, role in ((pair.ticker, ""), (pair.benchmark, "benchmark ")):
        if ticker not in table.closes.columns or table.closes[ticker].isna().all():
            why = table.missing.get(ticker)
            gaps.append(why.reason if why else f"no {table.source} bars for {role}{ticker}")
    return "; ".join(gaps) or None


def run_intraday(
    study: StudySpec,
    *,
    source: str | BarSource | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    event_ids: list[str] | None = None,
    tests: str | Sequence[str] | None = None,
    engine: str = "local",
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
    today: date | None = None,
) -> IntradayResult:
    """Run the intraday study and return its results (see the module docstring).

    Parameters are those of :func:`eventstudy.pipeline.run.run_study` (an ``engine`` other than
    ``local`` only raises a warning: intraday runs fit locally); ``today`` (default: the
    UTC date) is the reference of Yahoo's intraday limits, injected by tests.
    """
    from eventstudy.core.skips import check_estimated
    from eventstudy.intraday.result import IntradayResult
    from eventstudy.intraday.tables import intraday_tables

    started = datetime.now(UTC)
    from eventstudy.pipeline.study_tests import check_test_names

    test_names = check_test_names(tests)
    if engine != "local":
        import warnings

        warnings.warn(
            f"engine {engine!r} has no effect on an intraday run: it fits locally",
            UserWarning,
            stacklevel=3,
        )
    events = study.select(event_ids)
    _check_models(study, [e.id for e in events])
    bar_source = get_bar_source(
        study, source, prices, cache_dir=cache_dir, offline=offline, refresh=refresh,
        progress=progress,
    )  # fmt: skip
    grids = build_grids(study, events)
    from eventstudy.intraday.stacking import align_bars

    pairs = align_bars(study, events, grids)
    reach = grid_reach(study)
    fits = fits_grid(pairs, grids, reach)
    skipped = [
        (p.event_id, p.ticker, "estimation or event window runs past the exchange calendar")
        for p, ok in zip(pairs, fits, strict=True)
        if not ok
    ]
    candidates = [p for p, ok in zip(pairs, fits, strict=True) if ok]
    if getattr(bar_source, "name", "") == "yahoo" and candidates:
        too_old = _yahoo_limits(study, candidates, grids, today)
        skipped += [(e, t, why) for (e, t), why in too_old.items()]
        candidates = [p for p in candidates if (p.event_id, p.ticker) not in too_old]
    if candidates:
        start, end = _span(candidates, grids, reach)
        tickers = list(
            dict.fromkeys([p.ticker for p in candidates] + [p.benchmark for p in candidates])
        )
        table = bar_source.load_bars(tickers, start, end)
    else:
        table = BarTable(pd.DataFrame(index=pd.DatetimeIndex([])), getattr(bar_source, "name", "?"))
    runnable = []
    for pair in candidates:
        why = _unpriced(table, pair)
        if why:
            skipped.append((pair.event_id, pair.ticker, why))
        else:
            runnable.append(pair)
    bars = BarReturns({t: table.series(t) for t in table.tickers}, grids, table.split_bars)
    groups, clocks, full = _estimate(study, runnable, bars, skipped)
    check_estimated(
        len(pairs), sum(len(g.pairs) for g in groups), [r for _, _, r in skipped],
        file=study.path,
    )  # fmt: skip
    ar, car, models = intraday_tables(groups, runnable, study, clocks, full)
    order = {(p.event_id, p.ticker): i for i, p in enumerate(pairs)}
    skipped.sort(key=lambda s: order.get((s[0], s[1]), len(order)))
    return IntradayResult(
        study=study,
        event_ids=[e.id for e in events],
        alignments=[p.alignment for p in pairs],
        abnormal_returns=ar,
        car=car,
        models=models,
        skipped=pd.DataFrame(skipped, columns=["event_id", "ticker", "reason"]),
        prices=table,
        off_grid=bars.off_grid(),
        estimates=groups,
        test_names=test_names,
        started=started,
        finished=datetime.now(UTC),
    )


def _estimate(
    study: StudySpec, pairs: list[Pair], bars: BarReturns, skipped: list[tuple[str, str, str]]
) -> tuple[list[Estimates], list[BarClock], list]:
    """Fit each model on its pairs; per group also the bar clock and unmasked returns."""
    settings = study.study
    if not pairs:
        return [], [], []
    first, last = grid_reach(study)
    data, clock = stack_bars(pairs, bars, first, last)
    fitted = (
        without_overnight(data, clock.overnight, settings.estimation_window)
        if settings.estimation_skip_overnight
        else data
    )
    near = bar_neighbours(study, pairs, bars.grids)
    model_of = {e.id: study.model_for(e) for e in study.events}
    by_model: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        by_model.setdefault(model_of[pair.event_id], []).append(row)
    groups, clocks, full = [], [], []
    row_of = {(p.event_id, p.ticker): i for i, p in enumerate(pairs)}
    for model, rows in by_model.items():
        idx = np.asarray(rows)
        found: list[tuple[str, str, str]] = []
        group = estimate(
            [pairs[i] for i in idx], fitted.take(idx), settings, model, near.take(idx), found
        )
        skipped += [(e, t, why.replace("on day 0 (", "on bar 0 (session ")) for e, t, why in found]
        if group is None:
            continue
        kept = np.array([row_of[(p.event_id, p.ticker)] for p in group.pairs], dtype=np.intp)
        groups.append(group)
        clocks.append(clock.take(kept))
        full.append(data.take(kept))
    return groups, clocks, full
