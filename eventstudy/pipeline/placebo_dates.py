"""Same-date placebo studies: the cross-sectional tests of events that share a day 0.

When an event concerns several securities on one day 0 (BABA, MPNGY and NVDA on
election day), its cross-sectional tests (``cs_t``, ``bmp_t`` ...) rest on three
pairs whose abnormal returns are correlated, and have no reliable null distribution.
A same-date placebo study gives them one: placebo dates are drawn (seeded, without
replacement) from the sessions eligible for *every* such security at once
(:func:`eventstudy.measures.placebo.eligible_day0s` of each), each placebo date becomes one
event of all those securities (as in the real study), and the placebo study runs
through the same pipeline and the same tests.

``placebo_tests.csv`` gives each test's rejection rate at 1/5/10% over the placebo
dates (its size on these securities and this design), and tests.csv's ``p_placebo``
for an ``event:`` group of the same securities is
``(1 + #{placebo dates with p <= p}) / (1 + n_dates)``: the share of placebo dates
whose statistic is at least as extreme (a smaller p-value of the same test, window
and number of securities is a more extreme statistic), counting the event itself so
that it is never 0 (Phipson & Smyth 2010, "Permutation p-values should never be zero",
*SAGMB* 9(1)) — the random-date design of Brown & Warner (1985, *JFE* 14(1)) on the
study's own securities and shared dates.

The placebo run measures abnormal returns only
(:func:`eventstudy.measures.placebo.with_placebo_events`),
so ``p_placebo`` is given for the ``measure = return`` rows.

Cost: the placebo dates' ``event:`` groups all have the same securities, so they are
tested together (:func:`eventstudy.inference.run_tests_grouped`): 500 dates x 3
securities x 5 windows x the 15 default tests take about 2 s with the placebo run (9.5
s one group at a time; 32 s when the placebo run also measured volume).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.settings import Event
from eventstudy.measures.placebo import (
    LEVELS,
    TableSource,
    eligible_day0s,
    event_day0s,
    with_placebo_events,
)
from eventstudy.sessions.calendar import exchange_for, sessions

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.measures.record import StudyRecord

PLACEBO_TESTS_COLUMNS = [
    "test", "window_start", "window_end", "level", "rejection_rate", "n_dates", "n_securities",
]  # fmt: skip


@dataclass(frozen=True)
class SameDatePlacebo:
    """The tests of a same-date placebo study.

    Attributes
    ----------
    securities
        The securities every placebo date concerns.
    tests
        The placebo run's ``event:`` rows of tests.csv (one per placebo date, window
        and test).
    """

    securities: tuple[str, ...]
    tests: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """``placebo_tests.csv``: rejection rates of every test and window."""
        rows = []
        keys = ["test", "window_start", "window_end"]
        for (test, w_start, w_end), part in self.tests.groupby(keys, sort=False):
            p = part["p_value"].to_numpy(dtype=np.float64)
            p = p[np.isfinite(p)]
            for level in LEVELS:
                rate = float((p < level).mean()) if len(p) else float("nan")
                rows.append((test, w_start, w_end, level, rate, len(p), len(self.securities)))
        return pd.DataFrame(rows, columns=PLACEBO_TESTS_COLUMNS)

    def p_values(self, tests: pd.DataFrame, study: StudySpec) -> np.ndarray:
        """``p_placebo`` of each row of the study's tests.csv (NaN outside its design)."""
        out = np.full(len(tests), np.nan)
        mine = set(self.securities)
        # the placebo run measures returns only (no volume, volatility or bhar rows)
        events = tests["group"].str.startswith("event:") & (tests["measure"] == "return")
        keys = ["test", "window_start", "window_end"]
        null = {
            k: np.sort(g["p_value"].dropna().to_numpy(dtype=np.float64))
            for k, g in self.tests.groupby(keys, sort=False)
        }
        rows = np.flatnonzero(events.to_numpy())
        part = tests.iloc[rows]
        in_design = {  # does the event concern exactly the placebo dates' securities?
            group: set(study.securities_for(study.event(group.removeprefix("event:")))) == mine
            for group in part["group"].unique()
        }
        columns = (part[c].to_numpy() for c in ["group", *keys, "p_value"])
        for i, group, test, w_start, w_end, p in zip(rows, *columns, strict=True):
            draws = null.get((test, w_start, w_end))
            if in_design[group] and draws is not None and len(draws) and p == p:  # p not NaN
                at_least = np.searchsorted(draws, p, side="right")
                out[i] = (1.0 + at_least) / (1.0 + len(draws))
        return out


def shared_securities(result: StudyRecord) -> tuple[str, ...]:
    """Securities of the run's events that concern two or more of them (sorted)."""
    study = result.study
    shared = {
        t
        for event_id in result.event_ids
        for t in study.securities_for(study.event(event_id))
        if len(study.securities_for(study.event(event_id))) > 1
    }
    return tuple(sorted(shared))


def run_same_date(result: StudyRecord, n: int, seed: int) -> SameDatePlacebo | None:
    """Draw ``n`` placebo dates shared by all :func:`shared_securities` and test them.

    None when no event concerns several securities, or the run computes no tests.
    """
    from eventstudy.pipeline.estimate import estimate_study

    securities = shared_securities(result)
    if not securities or not result.test_names:
        return None
    study = result.study
    prices = result.placebo.prices if result.placebo is not None else result.prices
    common: set[pd.Timestamp] | None = None
    day0s = event_day0s(study)
    for ticker in securities:
        design = (ticker, study.study.benchmarks.get(ticker, study.study.benchmark),
                  study.study.model)  # fmt: skip
        eligible = eligible_day0s(study, prices, design, day0s.get(ticker, pd.DatetimeIndex([])))
        days = set(sessions(exchange_for(ticker))[eligible])
        common = days if common is None else common & days
    dates = np.array(sorted(common or set()), dtype="M8[ns]")
    rng = np.random.default_rng([seed, len(securities)])
    chosen = np.sort(rng.choice(dates, size=min(n, len(dates)), replace=False))
    events = [
        Event(
            id=f"placebo-date-{k + 1}", date=day, title="placebo date",
            securities=list(securities),
        )
        for k, day in enumerate(pd.DatetimeIndex(chosen).date)
    ]  # fmt: skip
    if not events:
        return SameDatePlacebo(securities, pd.DataFrame(columns=["test", "p_value"]))
    run, _, _ = estimate_study(
        with_placebo_events(study, events), TableSource(prices),
        [e.id for e in events], result.test_names, strict=False,
    )  # fmt: skip
    from eventstudy.pipeline.study_tests import study_tests

    # its event: groups only (the all and ticker: groups are not needed)
    return SameDatePlacebo(securities, study_tests(run, run.test_names, kind="event"))
