"""Same-date placebo studies: the cross-sectional tests of events that share a day 0.

When an event concerns several securities on one day 0 (BABA, MPNGY and NVDA on
election day), its cross-sectional tests (``cs_t``, ``bmp_t`` ...) rest on pairs whose
abnormal returns are correlated, and have no reliable null distribution. A same-date
placebo study gives them one. There is one per distinct *security set* among the run's
events of two or more securities (sector A's eight firms on one day, sector B's five
on another: two sets, two placebo studies). For a set, placebo dates are drawn (seeded,
without replacement) from the sessions eligible for *every* security of the set at once
(:func:`eventstudy.measures.placebo.eligible_day0s` of each: so they avoid the event windows of
the set's study events, and of every other event of its securities); each placebo date
becomes one event of all the set's securities (as in the real study), and the placebo
study runs through the same pipeline and the same tests. A set's draws depend on the
seed, the set's size and its eligible sessions only, so they are those of a study of
that set's events alone on the same prices.

``placebo_tests.csv`` gives each set's rejection rate of each test at 1/5/10% over its
placebo dates (its size on these securities and this design; the ``securities`` column
names the set, ``;``-joined), and tests.csv's ``p_placebo`` for an ``event:`` group is,
over the placebo dates of the group's security set,
``(1 + #{placebo dates with p <= p}) / (1 + n_dates)``: the share of placebo dates
whose statistic is at least as extreme (a smaller p-value of the same test, window
and number of securities is a more extreme statistic), counting the event itself so
that it is never 0 (Phipson & Smyth 2010, "Permutation p-values should never be zero",
*SAGMB* 9(1)) — the random-date design of Brown & Warner (1985, *JFE* 14(1)) on the
study's own securities and shared dates.

The placebo run measures abnormal returns only
(:func:`eventstudy.measures.placebo.with_placebo_events`),
so ``p_placebo`` is given for the ``measure = return`` rows.

Cost: every set's placebo dates run in one placebo run, and their ``event:`` groups
(all of a set's dates have the same securities) are tested together
(:func:`eventstudy.inference.run_tests_grouped`): 500 dates x 3 securities x 5 windows x
the 15 default tests take about 2 s with the placebo run (9.5 s one group at a time;
32 s when the placebo run also measured volume).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
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
    from eventstudy.core.prices import PriceTable
    from eventstudy.core.study import StudySpec
    from eventstudy.measures.record import StudyRecord


PLACEBO_TESTS_COLUMNS = [
    "test", "window_start", "window_end", "level", "rejection_rate", "n_dates", "n_securities",
    "securities",
]  # fmt: skip
_KEYS = ["test", "window_start", "window_end"]


@dataclass(frozen=True)
class SameDatePlacebo:
    """The tests of the same-date placebo study of one security set.

    Attributes
    ----------
    securities
        The securities every placebo date concerns (sorted).
    tests
        The placebo run's ``event:`` rows of tests.csv for this set's dates (one per
        placebo date, window and test).
    dates
        The placebo dates drawn (sorted).
    """

    securities: tuple[str, ...]
    tests: pd.DataFrame
    dates: pd.DatetimeIndex

    def table(self) -> pd.DataFrame:
        """This set's rows of ``placebo_tests.csv``: rejection rates of every test and window."""
        rows = []
        label = ";".join(self.securities)
        for (test, w_start, w_end), part in self.tests.groupby(_KEYS, sort=False):
            p = part["p_value"].to_numpy(dtype=np.float64)
            p = p[np.isfinite(p)]
            for level in LEVELS:
                rate = float((p < level).mean()) if len(p) else float("nan")
                rows.append(
                    (test, w_start, w_end, level, rate, len(p), len(self.securities), label)
                )
        return pd.DataFrame(rows, columns=PLACEBO_TESTS_COLUMNS)

    def fill_p_values(self, tests: pd.DataFrame, rows: np.ndarray, out: np.ndarray) -> None:
        """Set ``out[rows]`` to the ``p_placebo`` of those rows of ``tests`` (this set's).

        ``rows``: positions of ``tests`` rows of ``event:`` groups of this set's securities
        (``measure = return``); a row whose test and window have no placebo p-values, or
        whose p-value is NaN, is left as it is.
        """
        null = {
            k: np.sort(g["p_value"].dropna().to_numpy(dtype=np.float64))
            for k, g in self.tests.groupby(_KEYS, sort=False)
        }
        part = tests.iloc[rows]
        columns = (part[c].to_numpy() for c in [*_KEYS, "p_value"])
        for i, test, w_start, w_end, p in zip(rows, *columns, strict=True):
            draws = null.get((test, w_start, w_end))
            if draws is not None and len(draws) and p == p:  # p not NaN
                at_least = np.searchsorted(draws, p, side="right")
                out[i] = (1.0 + at_least) / (1.0 + len(draws))


@dataclass(frozen=True)
class SameDatePlacebos:
    """The same-date placebo studies of a run: one per security set (:func:`run_same_date`).

    Attributes
    ----------
    sets
        One :class:`SameDatePlacebo` per distinct security set of the run's events of two
        or more securities, in the order of their first event.
    """

    sets: tuple[SameDatePlacebo, ...]

    def table(self) -> pd.DataFrame:
        """``placebo_tests.csv``: every set's rejection rates, set after set."""
        return pd.concat([s.table() for s in self.sets], ignore_index=True)

    def p_values(self, tests: pd.DataFrame, study: StudySpec) -> np.ndarray:
        """``p_placebo`` of each row of the study's tests.csv (NaN outside every set's design).

        An ``event:`` row (of ``measure = return``: the placebo run measures returns
        only) is compared with the placebo dates of exactly its event's securities.
        """
        out = np.full(len(tests), np.nan)
        events = tests["group"].str.startswith("event:") & (tests["measure"] == "return")
        rows = np.flatnonzero(events.to_numpy())
        groups = tests["group"].to_numpy()[rows]
        of_group = {
            group: security_set(study, group.removeprefix("event:")) for group in set(groups)
        }
        by_set: dict[tuple[str, ...], list[int]] = {}
        for row, group in zip(rows, groups, strict=True):
            by_set.setdefault(of_group[group], []).append(row)
        for same in self.sets:
            mine = np.array(by_set.get(same.securities, []), dtype=np.intp)
            same.fill_p_values(tests, mine, out)
        return out


def security_set(study: StudySpec, event_id: str) -> tuple[str, ...]:
    """The securities of event ``event_id`` (sorted, each once)."""
    return tuple(sorted(set(study.securities_for(study.event(event_id)))))


def same_date_sets(result: StudyRecord) -> list[tuple[str, ...]]:
    """The distinct security sets of the run's events of two or more securities.

    Each set sorted; the sets in the order of their first event.
    """
    sets = (security_set(result.study, event_id) for event_id in result.event_ids)
    return list(dict.fromkeys(s for s in sets if len(s) > 1))


def _placebo_days(
    study: StudySpec,
    prices: PriceTable,
    securities: tuple[str, ...],
    eligible: dict[str, np.ndarray],
) -> np.ndarray:
    """Sessions eligible as a placebo day 0 for every one of ``securities`` (sorted).

    ``eligible`` caches each security's eligible sessions (securities shared by sets).
    """
    day0s: dict[str, pd.DatetimeIndex] | None = None
    for ticker in securities:
        if ticker not in eligible:
            day0s = day0s if day0s is not None else event_day0s(study)
            design = (ticker, study.study.benchmarks.get(ticker, study.study.benchmark),
                      study.study.model)  # fmt: skip
            taken = day0s.get(ticker, pd.DatetimeIndex([]))
            positions = eligible_day0s(study, prices, design, taken)
            days = sessions(exchange_for(ticker))[positions]
            eligible[ticker] = days.to_numpy(dtype="M8[ns]")
    return reduce(np.intersect1d, (eligible[t] for t in securities))


def run_same_date(result: StudyRecord, n: int, seed: int) -> SameDatePlacebos | None:
    """Draw ``n`` placebo dates for every set of :func:`same_date_sets` and test them.

    All sets' placebo dates run in one placebo run, tested once: placebo dates do not
    mask one another (:func:`~eventstudy.measures.placebo.with_placebo_events`), so each set's
    pairs are estimated and tested as in a placebo run of that set alone. None when no
    event concerns several securities, or the run computes no tests.
    """
    from eventstudy.pipeline.estimate import estimate_study
    from eventstudy.pipeline.study_tests import TEST_COLUMNS, study_tests

    sets = same_date_sets(result)
    if not sets or not result.test_names:
        return None
    study = result.study
    prices = result.placebo.prices if result.placebo is not None else result.prices
    eligible: dict[str, np.ndarray] = {}
    events: list[Event] = []
    ids: list[list[str]] = []
    drawn: list[pd.DatetimeIndex] = []
    for securities in sets:
        dates = _placebo_days(study, prices, securities, eligible)
        rng = np.random.default_rng([seed, len(securities)])
        chosen = pd.DatetimeIndex(
            np.sort(rng.choice(dates, size=min(n, len(dates)), replace=False))
        )
        first = len(events)
        events += [
            Event(
                id=f"placebo-date-{first + k + 1}", date=day, title="placebo date",
                securities=list(securities),
            )
            for k, day in enumerate(chosen.date)
        ]  # fmt: skip
        drawn.append(chosen)
        ids.append([f"event:{e.id}" for e in events[first:]])
    tests = pd.DataFrame(columns=TEST_COLUMNS)
    if events:
        run, _, _ = estimate_study(
            with_placebo_events(study, events), TableSource(prices),
            [e.id for e in events], result.test_names, strict=False,
        )  # fmt: skip
        # its event: groups only (the all and ticker: groups are not needed)
        tests = study_tests(run, run.test_names, kind="event")
    return SameDatePlacebos(
        tuple(
            SameDatePlacebo(
                securities, tests[tests["group"].isin(mine)].reset_index(drop=True), days
            )
            for securities, mine, days in zip(sets, ids, drawn, strict=True)
        )
    )
