"""Running a study's placebo study: random day 0s through the same pipeline.

:func:`with_placebo` draws the placebo dates (:mod:`eventstudy.measures.placebo`), on
the run's prices extended back in time (:func:`history`), runs them through
:func:`eventstudy.pipeline.run.run_study` and adds car.csv's ``car_p_placebo``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

from eventstudy.core.prices import PriceTable
from eventstudy.measures.placebo import (
    DEFAULT_PLACEBOS,
    PLACEBO_COLUMNS,
    Placebo,
    TableSource,
    placebo_study,
)
from eventstudy.measures.record import StudyRecord
from eventstudy.pipeline.estimate import estimate_study
from eventstudy.sessions.calendar import exchange_for, sessions
from eventstudy.sessions.pairs import LAG_PAD
from eventstudy.sessions.price_checks import flag_off_session

if TYPE_CHECKING:
    from eventstudy.core.prices import PriceSource

R = TypeVar("R", bound=StudyRecord)


def run_placebo(
    result: R, n: int = DEFAULT_PLACEBOS, seed: int = 0, prices: PriceTable | None = None
) -> Placebo:
    """Draw and run the placebo study of ``result`` on ``prices`` (default: the run's)."""
    prices = prices if prices is not None else result.prices
    study, drawn = placebo_study(result.study, result.car, n, seed, prices)
    ids = [e.id for e in study.events if e.role == "study"]
    notes = [
        f"placebo {r.ticker} ({r.model} vs {r.benchmark}): only {r.eligible} eligible "
        f"sessions in the loaded prices, {r.drawn} placebo dates drawn (not {n})"
        for r in drawn.itertuples()
        if r.drawn < n
    ]
    if not ids:
        return Placebo(pd.DataFrame(columns=PLACEBO_COLUMNS), drawn, notes, prices)
    run, _, _ = estimate_study(study, TableSource(prices), ids, (), strict=False)
    if len(run.skipped):
        notes.append(
            f"placebo: {len(run.skipped)} placebo pairs could not be estimated (e.g. "
            f"{run.skipped['reason'].iloc[0]}); they are left out of placebo.csv"
        )
    return Placebo(run.car[PLACEBO_COLUMNS].reset_index(drop=True), drawn, notes, prices)


def history(result: R, source: PriceSource, n: int) -> PriceTable:
    """The run's prices extended back from ``source`` by room for ``n`` placebo dates.

    The extension covers ``n`` sessions, the estimation and event windows and the
    sessions excluded around every event (at most back to the exchange calendar's
    start); the run's own prices are kept where the source gives nothing more.
    """
    settings = result.study.study
    loaded = result.prices.adj_close
    if loaded.empty:
        return result.prices
    est, evt = settings.estimation_window, settings.event_window
    excluded = (2 * (evt[1] - evt[0]) + 1) * len(result.study.events)
    sessions_back = n + excluded + (evt[1] - est[0]) + LAG_PAD + 1
    start = min(  # that many sessions before the first price, on each ticker's exchange
        grid[max(0, grid.searchsorted(loaded.index[0]) - sessions_back)]
        for grid in (sessions(mic) for mic in {exchange_for(t) for t in loaded.columns})
    ).date()
    wider = flag_off_session(source.load(list(loaded.columns), start, loaded.index[-1].date()))
    if wider.adj_close.empty:
        return result.prices
    return replace(wider, adj_close=wider.adj_close.combine_first(loaded))


def with_placebo(result: R, source: PriceSource | None = None) -> R:
    """``result`` with its placebo study and car.csv's ``car_p_placebo`` (if asked for).

    With ``source`` (the run's price source) the placebo dates may come from earlier
    history (:func:`history`); without it, from the prices the run loaded.
    """
    settings = result.study.study
    if not settings.placebo or result.car.empty:
        return result
    prices = history(result, source, settings.placebo) if source is not None else None
    placebo = run_placebo(result, settings.placebo, settings.placebo_seed, prices)
    car = result.car.assign(car_p_placebo=placebo.p_values(result.car))
    return replace(result, car=car, placebo=placebo)
