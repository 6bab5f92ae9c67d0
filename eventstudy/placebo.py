"""Placebo studies: how often each per-pair test flags a random day on the user's data.

For every design of the study (a security with its benchmark and model), ``N`` placebo
day 0s are drawn without replacement (seeded: ``study.placebo_seed``) from the
security's sessions where

* the full estimation and event windows lie inside the priced range of the security
  and its benchmark (and factors, for the factor model), with a day-0 price of each,
  and
* the placebo's event window does not overlap the event window of any study event or
  confounder of that security.

The prices are those the run loaded, extended back in time from the same source by
enough sessions for ``N`` placebo dates before the first event (:func:`history`; a
source with less history gives fewer dates, and a note says so). The placebo pairs
then run through the same pipeline as the study (:func:`eventstudy.study.run_study`,
on those prices, loaded once): the study's events
all become confounders, so each placebo pair is masked and estimated exactly as a
real pair with an event on that date would be; the placebo dates do not mask one
another (:attr:`eventstudy.study_model.Study.isolated_events`). A placebo CAR therefore
equals what ``eventstudy run`` gives for an event on that date.

Outputs: ``placebo.csv`` (one row per placebo pair and CAR window),
``placebo_size.csv`` (rejection rates of ``car_t`` and ``sq`` at 1/5/10%: the size of
each test on the user's own securities and design) and car.csv's ``car_p_placebo``
``= (1 + #{placebo |CAR| >= |CAR|}) / (1 + N)`` over the placebo pairs of the same
security, benchmark, model and window: the random-date design of Brown & Warner (1980,
"Measuring security price performance", *JFE* 8(3); 1985, *JFE* 14(1)) applied to the
user's own securities, with the Monte Carlo p-value of Phipson & Smyth (2010,
"Permutation p-values should never be zero", *SAGMB* 9(1)): the "+1" counts the event
itself, so it is never 0.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.calendar import exchange_for, sessions
from eventstudy.data.base import PriceTable
from eventstudy.pairs import LAG_PAD, audience
from eventstudy.price_checks import flag_off_session
from eventstudy.settings import Event

if TYPE_CHECKING:
    from eventstudy.config import Study
    from eventstudy.data.base import PriceSource
    from eventstudy.results import StudyResult

DEFAULT_PLACEBOS = 500
LEVELS = (0.01, 0.05, 0.10)
PLACEBO_COLUMNS = [
    "ticker", "day0", "window_start", "window_end", "car", "car_se", "car_t", "car_p",
    "car_p_sq", "benchmark", "model",
]  # fmt: skip
SIZE_COLUMNS = [
    "ticker", "window_start", "window_end", "test", "level", "rejection_rate", "n",
    "benchmark", "model",
]  # fmt: skip
DESIGN = ["ticker", "benchmark", "model"]


class TableSource:
    """A price source serving a :class:`PriceTable` already loaded (no new reads)."""

    def __init__(self, table: PriceTable) -> None:
        self.table = table
        self.name = table.source

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """The loaded prices of ``tickers`` between ``start`` and ``end``."""
        frame = self.table.adj_close
        rows = (frame.index >= pd.Timestamp(start)) & (frame.index <= pd.Timestamp(end))
        known = [t for t in tickers if t in frame.columns]
        volume = self.table.volume
        if volume is not None:
            volume = volume.loc[rows, [t for t in known if t in volume.columns]]
        return replace(self.table, adj_close=frame.loc[rows, known], volume=volume)


@dataclass(frozen=True)
class Placebo:
    """A placebo study's results.

    Attributes
    ----------
    car
        ``placebo.csv``: one row per placebo pair and CAR window.
    drawn
        Per design (ticker, benchmark, model): ``eligible`` sessions and ``drawn`` dates.
    notes
        What was capped or skipped, in words.
    prices
        The prices the placebo dates were drawn from and run on.
    """

    car: pd.DataFrame
    drawn: pd.DataFrame
    notes: list[str]
    prices: PriceTable

    def size(self) -> pd.DataFrame:
        """``placebo_size.csv``: per design and window, how often each test rejects."""
        rows = []
        keys = [*DESIGN, "window_start", "window_end"]
        for key, part in self.car.groupby(keys, sort=False):
            ticker, benchmark, model, w_start, w_end = key
            for test, column in (("car_t", "car_p"), ("sq", "car_p_sq")):
                p = part[column].to_numpy(dtype=np.float64)
                p = p[np.isfinite(p)]
                for level in LEVELS:
                    rate = float((p < level).mean()) if len(p) else float("nan")
                    rows.append(
                        (ticker, w_start, w_end, test, level, rate, len(p), benchmark, model)
                    )
        return pd.DataFrame(rows, columns=SIZE_COLUMNS)

    def p_values(self, car: pd.DataFrame) -> np.ndarray:
        """``car_p_placebo`` of each row of the study's ``car`` table.

        ``(1 + #{placebo pairs of the same design and window with |CAR| >= |car|}) /
        (1 + N)``, N the placebo pairs with a CAR; NaN without placebo pairs.
        """
        keys = [*DESIGN, "window_start", "window_end"]
        out = np.full(len(car), np.nan)
        placebo = {k: g["car"].dropna().abs().sort_values().to_numpy() for k, g in
                   self.car.groupby(keys, sort=False)}  # fmt: skip
        for key, idx in car.groupby(keys, sort=False).indices.items():
            null = placebo.get(key)
            if null is None or not len(null):
                continue
            size = np.abs(car["car"].to_numpy(dtype=np.float64)[idx])
            beyond = len(null) - np.searchsorted(null, size, side="left")
            p = (1.0 + beyond) / (1.0 + len(null))
            out[idx] = np.where(np.isfinite(size), p, np.nan)
        return out


def _priced(table: PriceTable, ticker: str, grid: pd.DatetimeIndex) -> np.ndarray:
    """Whether ``ticker`` has a price on each session of ``grid``."""
    if ticker not in table.adj_close.columns:
        return np.zeros(len(grid), dtype=bool)
    return table.adj_close[ticker].reindex(grid).notna().to_numpy()


def event_day0s(study: Study) -> dict[str, pd.DatetimeIndex]:
    """Day 0 of every event of ``study`` (confounders included) per security it concerns."""
    everyone = audience(study, study.events)
    return {
        str(t): pd.DatetimeIndex(everyone.day0[rows])
        for t, rows in pd.Series(everyone.ticker).groupby(everyone.ticker).indices.items()
    }


def eligible_day0s(
    study: Study,
    table: PriceTable,
    design: tuple[str, str, str],
    taken: pd.DatetimeIndex | None = None,
) -> np.ndarray:
    """Session positions (on the security's exchange grid) a placebo day 0 may take.

    See the module text for the two conditions. ``taken``: the day 0s of the
    security's events (default: from :func:`event_day0s`; pass them when asking for
    many designs, so the events are aligned once).
    """
    ticker, benchmark, model = design
    settings = study.study
    grid = sessions(exchange_for(ticker))
    needs = [ticker, benchmark, *(settings.factors if model == "factor" else [])]
    first_off = settings.estimation_window[0] - 1 - LAG_PAD
    last_off = settings.event_window[1]
    ok = np.ones(len(grid), dtype=bool)
    for name in needs:
        priced = _priced(table, name, grid)
        if not priced.any():
            return np.zeros(0, dtype=np.int64)
        lo, hi = np.flatnonzero(priced)[[0, -1]]
        pos = np.arange(len(grid))
        ok &= (pos + first_off >= lo) & (pos + last_off <= hi) & priced
    width = settings.event_window[1] - settings.event_window[0]
    if taken is None:
        taken = event_day0s(study).get(ticker, pd.DatetimeIndex([]))
    for q in grid.get_indexer(taken):
        ok[max(0, q - width) : q + width + 1] = False
    return np.flatnonzero(ok)


def _rng(seed: int, design: tuple[str, str, str]) -> np.random.Generator:
    """One generator per design, so adding a security does not move the others' draws."""
    return np.random.default_rng([seed, zlib.crc32("|".join(design).encode())])


def placebo_study(
    result: StudyResult, n: int, seed: int, prices: PriceTable
) -> tuple[Study, pd.DataFrame]:
    """The placebo study of ``result`` and, per design, the sessions eligible and drawn."""
    study = result.study
    designs = list(result.car[DESIGN].drop_duplicates().itertuples(index=False, name=None))
    events, drawn = [], []
    day0s = event_day0s(study)
    for design in designs:
        ticker, benchmark, model = design
        cand = eligible_day0s(study, prices, design, day0s.get(ticker, pd.DatetimeIndex([])))
        take = min(n, len(cand))
        chosen = np.sort(_rng(seed, design).choice(cand, size=take, replace=False))
        days = sessions(exchange_for(ticker))[chosen].date
        events += [
            Event(
                id=f"placebo-{len(events) + k + 1}", date=day, title="placebo",
                securities=[ticker], benchmark=benchmark, model=model,  # type: ignore[arg-type]
            )
            for k, day in enumerate(days)
        ]  # fmt: skip
        drawn.append((*design, len(cand), take))
    return with_placebo_events(study, events), pd.DataFrame(
        drawn, columns=[*DESIGN, "eligible", "drawn"]
    )


def with_placebo_events(study: Study, events: list[Event]) -> Study:
    """``study`` with ``events`` (placebo dates) as its study events, for one more run.

    The study's own events all become confounders, so each placebo pair is masked and
    flagged as a real pair on that date would be; the placebo dates do not mask one
    another (``isolated_events``). The copy measures abnormal returns only: no placebo
    study of its own, no volume or volatility measure, no long horizons or second-stage
    regressions (the placebo p-values are of returns; the rest would be computed and
    thrown away).
    """
    others = [e.model_copy(update={"role": "confounder"}) for e in study.events]
    settings = study.study.model_copy(
        update={"placebo": None, "measures": ["return"], "bhar_windows": [], "regressions": []}
    )
    return study.model_copy(
        update={"study": settings, "events": others + events, "isolated_events": True}
    )


def run_placebo(
    result: StudyResult, n: int = DEFAULT_PLACEBOS, seed: int = 0, prices: PriceTable | None = None
) -> Placebo:
    """Draw and run the placebo study of ``result`` on ``prices`` (default: the run's)."""
    from eventstudy.study import run_study

    prices = prices if prices is not None else result.prices
    study, drawn = placebo_study(result, n, seed, prices)
    ids = [e.id for e in study.events if e.role == "study"]
    notes = [
        f"placebo {r.ticker} ({r.model} vs {r.benchmark}): only {r.eligible} eligible "
        f"sessions in the loaded prices, {r.drawn} placebo dates drawn (not {n})"
        for r in drawn.itertuples()
        if r.drawn < n
    ]
    if not ids:
        return Placebo(pd.DataFrame(columns=PLACEBO_COLUMNS), drawn, notes, prices)
    run = run_study(study, source=TableSource(prices), event_ids=ids, tests="none", strict=False)
    if len(run.skipped):
        notes.append(
            f"placebo: {len(run.skipped)} placebo pairs could not be estimated (e.g. "
            f"{run.skipped['reason'].iloc[0]}); they are left out of placebo.csv"
        )
    return Placebo(run.car[PLACEBO_COLUMNS].reset_index(drop=True), drawn, notes, prices)


def history(result: StudyResult, source: PriceSource, n: int) -> PriceTable:
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


def with_placebo(result: StudyResult, source: PriceSource | None = None) -> StudyResult:
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
