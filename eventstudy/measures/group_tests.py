"""The groups of pairs of ``tests.csv`` and the rows of their tests.

:func:`groups_by` makes the groups (``all``, ``event:``, ``category:`` and ``ticker:``)
from each pair's event id and ticker (one row per pair, in the study's pair order), for
the local engine's panel and for the labels a Dask run gathers from its partitions
alike, so both runs have the same groups in the same order. :func:`run_groups` runs the
chosen tests for every group and CAR window: groups of a common small size together
(:func:`~eventstudy.inference.run_tests_grouped`), the others one by one in threads;
and says of each group what tests.csv says beside its tests (whether its pairs share a
day 0, how many CARs are positive and negative). :mod:`eventstudy.pipeline.study_tests`
assembles the table.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel, TestResult
    from eventstudy.measures.record import StudyRecord

MAX_TICKER_GROUPS = 100
"""Above this many securities ``tests.csv`` has no ``ticker:`` groups (large studies)."""


_NONE = np.array([], dtype=np.intp)


def _members(labels: np.ndarray) -> dict[object, np.ndarray]:
    """Rows of each distinct label, in order of first appearance (one sort, no scans)."""
    codes, uniques = pd.factorize(labels)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {u: order[bounds[k] : bounds[k + 1]] for k, u in enumerate(uniques)}


def groups_of(result: StudyRecord, panel: EventPanel) -> list[tuple[str, np.ndarray]]:
    """``(group name, pair mask or rows)`` for all, each event, each category and each ticker.

    ``event:`` groups are made for events with at least two estimated pairs and
    ``ticker:`` groups for tickers with at least two: a group of one pair would repeat
    its ``car.csv`` row. A study of more than :data:`MAX_TICKER_GROUPS` securities gets
    no per-ticker groups: with hundreds of securities they would dominate the run time
    and the table.
    """
    return groups_by(result, panel.event_id, panel.ticker)


def groups_by(
    result: StudyRecord,
    event_id: np.ndarray,
    ticker: np.ndarray,
    categories: Mapping[str, str] | None = None,
) -> list[tuple[str, np.ndarray]]:
    """:func:`groups_of` for pairs given by their event ids and tickers (one per row).

    ``categories`` maps the ids of the run's events that have a category to it
    (default: from ``result.study``'s events).
    """
    out = [("all", np.ones(len(event_id), dtype=bool))]
    by_event = _members(event_id)
    for event_id in result.event_ids:
        rows = by_event.get(event_id)
        if rows is not None and len(rows) >= 2:
            out.append((f"event:{event_id}", rows))
    members: dict[str, list[np.ndarray]] = {}
    for event_id in result.event_ids:
        category = (
            result.study.event(event_id).category
            if categories is None
            else categories.get(event_id)
        )
        if category:
            members.setdefault(category, []).append(by_event.get(event_id, _NONE))
    for category, parts in members.items():
        out.append((f"category:{category}", np.sort(np.concatenate(parts))))
    by_ticker = _members(ticker)
    if len(by_ticker) > MAX_TICKER_GROUPS:
        return out
    for ticker, rows in by_ticker.items():
        if len(rows) >= 2:
            out.append((f"ticker:{ticker}", rows))
    return out


NOT_FOR_GARCH = frozenset({"binder_f", "binder_caar_t"})
"""Tests that refit the market model by OLS with homoskedastic errors (Binder 1985): they
do not test the GARCH model's abnormal returns."""

MAX_THREADS = 8
"""Groups of pairs tested at once (one thread each, at most one per CPU)."""

GROUPED_MAX_PAIRS = 50
"""Groups of up to this many pairs are tested together with the other groups of their
size (:func:`~eventstudy.inference.run_tests_grouped`); larger groups one by one."""


def signs(values: np.ndarray) -> tuple[int, int]:
    """How many of ``values`` (one per pair: CARs, CAVs, BHARs ...) are > 0 and < 0.

    Missing values count as neither; a value of exactly 0 neither.
    """
    return int(np.sum(values > 0)), int(np.sum(values < 0))


def window_cars(panel: EventPanel, window: tuple[int, int]) -> np.ndarray:
    """Each pair's CAR over ``window`` as in ``car.csv`` (NaN: no AR in the window)."""
    cols = (panel.rel_days >= window[0]) & (panel.rel_days <= window[1])
    ar = panel.ar[:, cols]
    present = ~np.isnan(ar)
    car = np.where(present, ar, 0.0).sum(axis=1)
    car[~present.any(axis=1)] = np.nan
    return car


def run_groups(
    panel: EventPanel,
    groups: list[tuple[str, np.ndarray]],
    windows: list[tuple[int, int]],
    names: tuple[str, ...],
    *,
    garch: np.ndarray,
    n_boot: int,
    seed: int,
) -> pd.DataFrame:
    """One row per group, CAR window and test (without the adjusted p-values).

    ``groups`` are ``(name, pair rows or mask)`` of ``panel``
    (:func:`groups_of`); ``garch`` flags the pairs of the garch model
    (:data:`NOT_FOR_GARCH` tests are not defined for their groups).

    Groups of at most :data:`GROUPED_MAX_PAIRS` pairs that share their size with
    another group are tested together (:func:`~eventstudy.inference.run_tests_grouped`:
    the same results, without a pass of every test per group); the others one by one,
    in threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    from eventstudy.inference import run_tests, run_tests_grouped
    from eventstudy.inference.result import unavailable

    groups = [
        (name, np.flatnonzero(members) if members.dtype == np.bool_ else members)
        for name, members in groups
    ]
    sizes = Counter(len(rows) for _, rows in groups)
    together = [sizes[len(rows)] >= 2 and len(rows) <= GROUPED_MAX_PAIRS for _, rows in groups]
    tested: dict[int, dict[tuple[int, int], list[TestResult]]] = {}
    for size in {len(rows) for (_, rows), t in zip(groups, together, strict=True) if t}:
        batch = [k for k, (_, rows) in enumerate(groups) if together[k] and len(rows) == size]
        matrix = np.stack([groups[k][1] for k in batch])
        for window in windows:
            found = run_tests_grouped(panel, matrix, window, names, n_boot=n_boot, seed=seed)
            for k, results in zip(batch, found, strict=True):
                tested.setdefault(k, {})[window] = results

    # The other groups' (group, window) tests run in threads (numpy releases the GIL in
    # array work, and the windows of one group share its window-free values, computed
    # once, EventPanel.cached): 2 cores, 20,000 firm-specific pairs in one group:
    # 6.0 s -> 4.0 s. A group's panel is cut when its first window starts and dropped
    # after its last.
    alone = [k for k in range(len(groups)) if not together[k]]
    tasks = [(k, w) for k in alone for w in windows]
    subsets: dict[int, tuple[EventPanel, list[int]]] = {}
    lock = threading.Lock()

    def run(task: tuple[int, tuple[int, int]]) -> list[TestResult]:
        k, window = task
        with lock:
            if k not in subsets:
                subsets[k] = (panel.subset(groups[k][1]), [len(windows)])
            sub, left = subsets[k]
        found = run_tests(sub, window, names, n_boot=n_boot, seed=seed)
        with lock:
            left[0] -= 1
            if not left[0]:
                del subsets[k]
        return found

    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, os.cpu_count() or 1)) as pool:
        for (k, window), found in zip(tasks, pool.map(run, tasks), strict=True):
            tested.setdefault(k, {})[window] = found
    described = _describe(panel, garch, [members for _, members in groups], windows)
    found: list[TestResult] = []  # every result, group by group and window by window
    counts = []
    for k in range(len(groups)):
        for window in windows:
            results = tested[k][window]
            if described.garch[k]:
                results = [
                    unavailable(r.test, "not defined for model garch: refits an OLS market "
                                "model", r.n) if r.test in NOT_FOR_GARCH else r
                    for r in results
                ]  # fmt: skip
            found += results
            counts.append(len(results))
    cell = np.repeat(np.arange(len(groups) * len(windows)), counts)
    k_of, w_of = np.divmod(cell, len(windows))
    starts, ends = np.array(windows, dtype=np.int64).reshape(-1, 2).T
    columns = {
        "group": np.array([name for name, _ in groups], dtype=object)[k_of],
        "window_start": starts[w_of], "window_end": ends[w_of],
        "test": [r.test for r in found],
        "statistic": np.array([r.statistic for r in found], dtype=np.float64),
        "p_value": np.array([r.p_value for r in found], dtype=np.float64),
        "n": np.array([r.n for r in found], dtype=np.int64),
        "df": ["/".join(map(str, r.df)) if isinstance(r.df, tuple) else r.df for r in found],
        "distribution": [r.distribution for r in found],
        "clustered": described.clustered[k_of],
        "valid_under_clustering": np.array([r.valid_under_clustering for r in found], dtype=bool),
        "note": [r.note for r in found],
        "n_pos": described.n_pos[w_of, k_of], "n_neg": described.n_neg[w_of, k_of],
    }  # fmt: skip
    return pd.DataFrame(columns, columns=GROUP_ROW)


@dataclass(frozen=True)
class _GroupFacts:
    """What tests.csv says of each group beside its tests (arrays over the groups)."""

    clustered: np.ndarray
    """Whether two of the group's pairs share a day 0."""
    garch: np.ndarray
    """Whether a pair of the group has the garch model."""
    n_pos: np.ndarray
    """(windows, groups): pairs with a CAR > 0 (:func:`signs`)."""
    n_neg: np.ndarray
    """(windows, groups): pairs with a CAR < 0."""


def _describe(
    panel: EventPanel,
    garch: np.ndarray,
    members: list[np.ndarray],
    windows: list[tuple[int, int]],
) -> _GroupFacts:
    """:class:`_GroupFacts` of the groups ``members`` (pair indices), for all at once."""
    size = np.array([len(m) for m in members], dtype=np.int64)
    label = np.repeat(np.arange(len(members)), size)
    flat = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    count = len(members)
    day0 = panel.day0[flat]
    order = np.lexsort((day0, label))
    same = (label[order][1:] == label[order][:-1]) & (day0[order][1:] == day0[order][:-1])
    repeated = np.bincount(label[order][1:][same], minlength=count)
    cars = np.array([window_cars(panel, w)[flat] for w in windows]).reshape(len(windows), -1)
    return _GroupFacts(
        clustered=(size >= 2) & (repeated > 0),
        garch=np.bincount(label, weights=garch[flat], minlength=count) > 0,
        n_pos=np.array([np.bincount(label[c > 0], minlength=count) for c in cars], np.int64),
        n_neg=np.array([np.bincount(label[c < 0], minlength=count) for c in cars], np.int64),
    )


GROUP_ROW = [
    "group", "window_start", "window_end", "test", "statistic", "p_value", "n", "df",
    "distribution", "clustered", "valid_under_clustering", "note", "n_pos", "n_neg",
]  # fmt: skip


def is_clustered(day0: np.ndarray) -> bool:
    """Whether some pairs of a group (their calendar days 0) share a day 0."""
    return bool(len(day0) >= 2 and len(np.unique(day0)) < len(day0))


def test_row(
    group: str,
    window: tuple[int, int],
    r: TestResult,
    clustered: bool,
    n_pos: int,
    n_neg: int,
) -> tuple[object, ...]:
    """One row of :data:`GROUP_ROW`: a test's result for a group and window (as the
    columns :func:`run_groups` makes hold it)."""
    df = "/".join(map(str, r.df)) if isinstance(r.df, tuple) else r.df
    return (
        group, window[0], window[1], r.test, r.statistic, r.p_value, r.n, df,
        r.distribution, clustered, r.valid_under_clustering, r.note, n_pos, n_neg,
    )  # fmt: skip
