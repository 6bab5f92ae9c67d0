"""The study's ``tests.csv``: every test for every group of pairs and CAR window.

Groups (the ``group`` column): ``all`` pairs, each ``event:<id>`` of at least two
estimated pairs, each ``category:<name>`` and each ``ticker:<T>`` of at least two
estimated pairs (a one-pair group would repeat ``car.csv``). For each group and CAR
window the tests of :mod:`eventstudy.inference` run on the pairs' abnormal returns,
estimation residuals and model designs (:class:`~eventstudy.inference.EventPanel`).
Beyond the contract
columns ``group, window_start, window_end, test, statistic, p_value, n`` the table has
``df``, ``distribution``, ``clustered`` (pairs in the group share a calendar day 0),
``valid_under_clustering`` (the test stays valid when they do), ``p_holm`` and
``p_bh`` (Holm and Benjamini-Hochberg adjusted p-values; the family is every row of
the same measure, test and group kind — e.g. all ``event:`` rows of ``cs_t`` over all
windows), ``note``, ``measure`` and ``n_pos`` / ``n_neg`` (pairs with a positive /
negative CAR). With ``measures: [..., volatility]`` the volatility rows of
:func:`eventstudy.volatility.volatility_tests` are added, with ``bhar_windows`` the
rows of :func:`bhar_tests`. Tests that re-estimate an OLS market model
(:data:`NOT_FOR_GARCH`) are reported as not defined (NaN, with a note) for groups with
``model: garch`` pairs.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.errors import EventStudyError
from eventstudy.test_groups import groups_by, groups_of

if TYPE_CHECKING:
    from eventstudy.estimation import Estimates
    from eventstudy.inference import EventPanel, TestResult
    from eventstudy.results import StudyResult

TEST_COLUMNS = ["group", "window_start", "window_end", "test", "statistic", "p_value", "n"]
EXTRA_COLUMNS = [
    "df",
    "distribution",
    "clustered",
    "valid_under_clustering",
    "p_holm",
    "p_bh",
    "note",
    "measure",
    "n_pos",
    "n_neg",
]
"""Columns after the contract's; ``measure`` names what was tested (``return``; the
volume, volatility and long-horizon measures add their own rows); ``n_pos`` and
``n_neg`` count the group's pairs with a positive and a negative CAR over the window
(:func:`signs`)."""


def check_test_names(names: str | Sequence[str] | None) -> tuple[str, ...]:
    """Validate ``--tests`` names; None means the default set, ``"none"`` no tests.

    ``names`` is a list of names (each may hold several, comma-separated) or one
    string such as ``"cs_t,kp_bmp_t"``, ``"all"`` or ``"none"``.
    """
    from eventstudy.inference import DEFAULT_TESTS, TESTS

    if names is None:
        return DEFAULT_TESTS
    if isinstance(names, str):
        names = [names]
    flat = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if flat == ["none"]:
        return ()
    if "all" in flat:
        return tuple(TESTS)
    unknown = [n for n in flat if n not in TESTS]
    if unknown:
        raise EventStudyError(
            f"unknown test {', '.join(map(repr, unknown))} (choose from {', '.join(TESTS)}, "
            "'all' or 'none')",
            field="--tests",
        )
    return tuple(dict.fromkeys(flat))


def _panel(group: Estimates) -> EventPanel:
    from eventstudy.inference import EventPanel

    fit, data = group.fit, group.data
    xtx_inv = fit.xtx_inv if fit.xtx_inv is not None else np.zeros((len(fit.sigma), 1, 1))
    n = len(group.pairs)
    return EventPanel(
        ar=group.ar,
        residuals=group.residuals,
        market_evt=data.market[:, group.evt],
        market_est=data.market[:, group.est],
        returns_evt=data.returns[:, group.evt],
        returns_est=np.where(group.masked, np.nan, data.returns[:, group.est]),
        sigma=fit.sigma,
        n_est=fit.n_est,
        market_mean=np.full(n, np.nan),
        market_sxx=np.full(n, np.nan),
        rel_days=np.arange(group.event_window[0], group.event_window[1] + 1),
        day0=np.array([p.alignment.day0.to_datetime64() for p in group.pairs]),
        est_dates=data.dates[:, group.est],
        event_id=np.array([p.event_id for p in group.pairs], dtype=object),
        ticker=np.array([p.ticker for p in group.pairs], dtype=object),
        df=fit.df,
        xtx_inv=xtx_inv,
        design_evt=group.design_evt,
        ar_var=group.ar_var,
        resid_var=group.resid_var,
    )


def _pad(panel: EventPanel, k: int) -> EventPanel:
    """The same panel with designs padded by zero columns to ``k`` regressors."""
    from dataclasses import replace

    extra = k - panel.xtx_inv.shape[-1]  # type: ignore[union-attr]
    if extra == 0:
        return panel
    xtx = np.pad(panel.xtx_inv, ((0, 0), (0, extra), (0, extra)))  # type: ignore[arg-type]
    design = np.pad(panel.design_evt, ((0, 0), (0, 0), (0, extra)))  # type: ignore[arg-type]
    return replace(panel, xtx_inv=xtx, design_evt=design)


def study_panel(estimates: list[Estimates]) -> EventPanel | None:
    """All estimated pairs of a study in one panel (model designs padded to one width)."""
    from eventstudy.inference import EventPanel

    panels = [_panel(g) for g in estimates]
    if not panels:
        return None
    k = max(p.xtx_inv.shape[-1] for p in panels)  # type: ignore[union-attr]
    return EventPanel.concat([_pad(p, k) for p in panels])


NOT_FOR_GARCH = frozenset({"binder_f", "binder_caar_t"})
"""Tests that refit the market model by OLS with homoskedastic errors (Binder 1985): they
do not test the GARCH model's abnormal returns."""

MAX_THREADS = 8
"""Groups of pairs tested at once (one thread each, at most one per CPU)."""

GROUPED_MAX_PAIRS = 50
"""Groups of up to this many pairs are tested together with the other groups of their
size (:func:`~eventstudy.inference.run_tests_grouped`); larger groups one by one."""


def study_tests(
    result: StudyResult,
    tests: Sequence[str] | None = None,
    *,
    n_boot: int = 999,
    seed: int = 0,
    kind: str | None = None,
) -> pd.DataFrame:
    """Run ``tests`` for every group and CAR window of ``result``; the ``tests.csv`` table.

    ``kind`` (``"event"``, ``"ticker"`` ...) keeps only the groups of that kind (the
    same-date placebo study needs its ``event:`` groups alone).

    With long horizons (``study.bhar_windows``) the :func:`bhar_tests` rows follow.
    (A Dask run makes its table from the partitions' pieces and columns,
    :mod:`eventstudy.distributed.tests_table`.)
    """
    names = check_test_names(tests)
    measured = [("return", result.estimates)]
    if result.volume is not None:  # the volume measure's log-volume fit, same tests
        measured.append(("volume", result.volume.estimates))
    from threadpoolctl import threadpool_limits

    parts = []
    for measure, estimates in measured:
        panel = study_panel(estimates)
        if panel is None or not names:
            continue
        # Many small matrix products: a multi-threaded BLAS spends more time synchronising
        # than computing (20,000 pairs on 2 busy cores: 3.6 s with one BLAS thread, 6-14 s
        # with two).
        with threadpool_limits(limits=1, user_api="blas"):
            part = run_groups(result, estimates, panel, names, n_boot=n_boot, seed=seed, kind=kind)
        part["measure"] = measure
        parts.append(part)
        if measure == "return" and "volatility" in result.study.study.measures:
            from eventstudy.volatility import volatility_tests

            parts.append(volatility_tests(result, panel))
    table = finish(parts)
    if result.long_horizon is not None:
        table = pd.concat([table, bhar_tests(result)], ignore_index=True)
    if kind is not None:  # the volatility and bhar rows too (families are per kind)
        table = table[table["group"].str.startswith(f"{kind}:")].reset_index(drop=True)
    return table


def finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``tests.csv`` table of the groups' rows (with ``measure``): adjusted p-values,
    the columns in order (an empty table with them when there are no rows)."""
    if not parts:
        return pd.DataFrame(columns=TEST_COLUMNS + EXTRA_COLUMNS)
    return _adjusted(pd.concat(parts, ignore_index=True))[TEST_COLUMNS + EXTRA_COLUMNS]


def bhar_tests(result: StudyResult) -> pd.DataFrame:
    """``tests.csv`` rows with ``measure = bhar``: the tests of the mean BHAR per group.

    For every group of :func:`groups_of` (over the pairs with a BHAR) and BHAR window:
    ``bhar_t``, ``bhar_t_sa`` and ``bhar_t_sa_boot`` of
    :mod:`eventstudy.inference.skewness` (``study.bhar_bootstrap`` resamples, seed
    ``study.bhar_seed``). Holm/BH families: measure, group kind and test.
    """
    from eventstudy.inference.skewness import bhar_t, bhar_t_sa, bhar_t_sa_boot

    assert result.long_horizon is not None
    settings = result.study.study
    bhar = result.long_horizon.bhar
    rows = []
    for a, b in settings.bhar_windows:
        window = bhar[(bhar["window_start"] == a) & (bhar["window_end"] == b)]
        values = window["bhar"].to_numpy(dtype=float)
        ids, tickers = window["event_id"].to_numpy(), window["ticker"].to_numpy()
        for group, members in groups_by(result, ids, tickers):
            x = values[members]
            n_pos, n_neg = signs(x)
            boot = bhar_t_sa_boot(x, settings.bhar_bootstrap, settings.bhar_seed)
            for r in (bhar_t(x), bhar_t_sa(x), boot):
                rows.append({
                    "group": group, "window_start": a, "window_end": b, "test": r.test,
                    "statistic": r.statistic, "p_value": r.p_value, "n": r.n,
                    "df": None if r.df is None else str(r.df), "distribution": r.distribution,
                    "clustered": bool(len(set(window["day0"].to_numpy()[members])) < len(x)),
                    "valid_under_clustering": r.valid_under_clustering, "note": r.note,
                    "measure": "bhar", "n_pos": n_pos, "n_neg": n_neg,
                })  # fmt: skip
    table = pd.DataFrame(rows, columns=TEST_COLUMNS + EXTRA_COLUMNS)
    return _adjusted(table)


def _adjusted(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``p_holm`` and ``p_bh`` over each family (measure, group kind, test)."""
    from eventstudy.inference import adjust_pvalues

    kinds = [group.partition(":")[0] for group in table["group"]]
    family = table["measure"] + "|" + pd.Series(kinds, index=table.index) + "|" + table["test"]
    for method in ("holm", "bh"):
        table[f"p_{method}"] = np.nan
        for _, index in table.groupby(family).groups.items():
            p = table.loc[index, "p_value"].to_numpy(dtype=float)
            table.loc[index, f"p_{method}"] = adjust_pvalues(p, method=method)
    return table


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
    result: StudyResult,
    estimates: list[Estimates],
    panel: EventPanel,
    names: tuple[str, ...],
    *,
    n_boot: int,
    seed: int,
    kind: str | None = None,
    groups: list[tuple[str, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """One row per group (of ``kind`` only, when given), CAR window and test (without the
    adjusted p-values). ``groups``: the groups of :func:`groups_of` (made when not given).

    Groups of at most :data:`GROUPED_MAX_PAIRS` pairs that share their size with
    another group are tested together (:func:`~eventstudy.inference.run_tests_grouped`:
    the same results, without a pass of every test per group); the others one by one,
    in threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    from eventstudy.inference import run_tests, run_tests_grouped
    from eventstudy.inference.result import unavailable

    garch = np.concatenate(
        [np.full(len(g.pairs), g.fit.model == "garch") for g in estimates]
        or [np.zeros(panel.n_pairs, dtype=bool)]  # a Dask run: no garch pairs
    )
    windows = [tuple(w) for w in result.study.study.car_windows]
    groups = [
        (group, np.flatnonzero(members) if members.dtype == np.bool_ else members)
        for group, members in (groups_of(result, panel) if groups is None else groups)
        if kind is None or group.startswith(f"{kind}:")
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
    cars = {w: window_cars(panel, w) for w in windows}
    rows = []
    for k, (group, members) in enumerate(groups):
        clustered = is_clustered(panel.day0[members])
        with_garch = bool(garch[members].any())
        for window in windows:
            n_pos, n_neg = signs(cars[window][members])
            for r in tested[k][window]:
                if with_garch and r.test in NOT_FOR_GARCH:
                    r = unavailable(r.test, "not defined for model garch: refits an OLS "
                                    "market model", r.n)  # fmt: skip
                rows.append(test_row(group, window, r, clustered, n_pos, n_neg))
    return pd.DataFrame(rows, columns=GROUP_ROW)


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
    """One row of :data:`GROUP_ROW`: a test's result for a group and window."""
    df = r.df if r.df is None or np.isscalar(r.df) else "/".join(map(str, r.df))
    return (
        group, window[0], window[1], r.test, r.statistic, r.p_value, r.n, df,
        r.distribution, clustered, r.valid_under_clustering, r.note, n_pos, n_neg,
    )  # fmt: skip


GROUP_ROW = [
    "group", "window_start", "window_end", "test", "statistic", "p_value", "n", "df",
    "distribution", "clustered", "valid_under_clustering", "note", "n_pos", "n_neg",
]  # fmt: skip
