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
:func:`eventstudy.measures.volatility.volatility_tests` are added, with ``bhar_windows`` the
rows of :func:`bhar_tests`. Tests that re-estimate an OLS market model
(:data:`~eventstudy.measures.group_tests.NOT_FOR_GARCH`) are reported as not defined (NaN, with
a note) for groups with ``model: garch`` pairs. The groups are formed, and their tests
run, in :mod:`eventstudy.measures.group_tests`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.data_dictionary import typed_test_columns
from eventstudy.core.errors import ArgumentError
from eventstudy.measures.group_tests import groups_by, groups_of, run_groups, signs

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel
    from eventstudy.measures.record import StudyRecord
    from eventstudy.models.estimation import Estimates

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
    string such as ``"cs_t,kp_bmp_t"``, ``"all"``, ``"none"`` or ``"combinable"``
    (the default tests that ``--engine dask`` combines from its partitions,
    :data:`eventstudy.inference.combinable.COMBINABLE_DEFAULTS`; may be given with
    other names).
    """
    from eventstudy.inference import DEFAULT_TESTS, TESTS
    from eventstudy.inference.combinable import COMBINABLE_DEFAULTS

    if names is None:
        return DEFAULT_TESTS
    if isinstance(names, str):
        names = [names]
    flat = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if flat == ["none"]:
        return ()
    if "all" in flat:
        return tuple(TESTS)
    flat = [t for n in flat for t in (COMBINABLE_DEFAULTS if n == "combinable" else (n,))]
    unknown = [n for n in flat if n not in TESTS]
    if unknown:
        raise ArgumentError(
            f"unknown test {', '.join(map(repr, unknown))} (choose from {', '.join(TESTS)}, "
            "'all', 'none' or 'combinable')",
            argument="tests",
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


def study_tests(
    result: StudyRecord,
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

    windows = [tuple(w) for w in result.study.study.car_windows]
    parts = []
    for measure, estimates in measured:
        panel = study_panel(estimates)
        if panel is None or not names:
            continue
        # Many small matrix products: a multi-threaded BLAS spends more time synchronising
        # than computing (20,000 pairs on 2 busy cores: 3.6 s with one BLAS thread, 6-14 s
        # with two).
        garch = np.concatenate([np.full(len(g.pairs), g.fit.model == "garch") for g in estimates])
        groups = [
            (g, rows)
            for g, rows in groups_of(result, panel)
            if kind is None or g.startswith(f"{kind}:")
        ]
        with threadpool_limits(limits=1, user_api="blas"):
            part = run_groups(panel, groups, windows, names, garch=garch, n_boot=n_boot, seed=seed)
        part["measure"] = measure
        parts.append(part)
        if measure == "return" and "volatility" in result.study.study.measures:
            from eventstudy.measures.volatility import volatility_tests

            parts.append(volatility_tests(result, panel))
    table = finish(parts)
    if result.long_horizon is not None:
        table = typed_test_columns(pd.concat([table, bhar_tests(result)], ignore_index=True))
    if kind is not None:  # the volatility and bhar rows too (families are per kind)
        table = table[table["group"].str.startswith(f"{kind}:")].reset_index(drop=True)
    return table


def finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``tests.csv`` table of the groups' rows (with ``measure``): adjusted p-values,
    the columns in order (an empty table with them when there are no rows)."""
    if not parts:
        return typed_test_columns(pd.DataFrame(columns=TEST_COLUMNS + EXTRA_COLUMNS))
    return typed_test_columns(
        _adjusted(pd.concat(parts, ignore_index=True))[TEST_COLUMNS + EXTRA_COLUMNS]
    )


def bhar_tests(result: StudyRecord) -> pd.DataFrame:
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

    group_codes, names = pd.factorize(table["group"])  # each distinct group's kind, once
    kind = pd.Series([str(name).partition(":")[0] for name in names], dtype=object)
    kind_codes = pd.factorize(kind)[0][group_codes]
    codes = table.groupby([table["measure"], kind_codes, table["test"]], sort=False).ngroup()
    codes = codes.to_numpy()
    p = table["p_value"].to_numpy(dtype=float)
    order = np.argsort(codes, kind="stable")
    members = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(p) else []
    for method in ("holm", "bh"):
        adjusted = np.full(len(p), np.nan)
        for index in members:
            adjusted[index] = adjust_pvalues(p[index], method=method)
        table[f"p_{method}"] = adjusted
    return table
