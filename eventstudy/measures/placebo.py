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
then run through the same pipeline as the study (:func:`eventstudy.pipeline.run.run_study`,
on those prices, loaded once): the study's events
all become confounders, so each placebo pair is masked and estimated exactly as a
real pair with an event on that date would be; the placebo dates do not mask one
another (:attr:`eventstudy.core.study.StudySpec.isolated_events`). A placebo CAR therefore
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

from eventstudy.core.prices import PriceTable
from eventstudy.core.settings import Event
from eventstudy.sessions.calendar import exchange_for, sessions
from eventstudy.sessions.pairs import LAG_PAD, audience

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec

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


def event_day0s(study: StudySpec) -> dict[str, pd.DatetimeIndex]:
    """Day 0 of every event of ``study`` (confounders included) per security it concerns."""
    everyone = audience(study, study.events)
    return {
        str(t): pd.DatetimeIndex(everyone.day0[rows])
        for t, rows in pd.Series(everyone.ticker).groupby(everyone.ticker).indices.items()
    }


def eligible_day0s(
    study: StudySpec,
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
    study: StudySpec, car: pd.DataFrame, n: int, seed: int, prices: PriceTable
) -> tuple[StudySpec, pd.DataFrame]:
    """The placebo study of a run (its ``car`` table) and, per design, the sessions drawn."""
    designs = list(car[DESIGN].drop_duplicates().itertuples(index=False, name=None))
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


def with_placebo_events(study: StudySpec, events: list[Event]) -> StudySpec:
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
