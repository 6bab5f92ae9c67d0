"""The combinable tests' pieces (issue 17): moments and sums combine exactly, whatever the split.

:class:`~eventstudy.inference.moments.Moments` of parts merged by the parallel formula
equal the moments of the whole (hand-checked against numpy), and each moment test's and
daily-sum test's statistic from merged per-partition pieces equals the local test on
the whole panel (with missing days, pairs without a CAR in a window, and tied ranks).
No cluster here: ``tests/test_distributed.py`` runs the pieces through real workers.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from eventstudy.distributed.pieces import Combined, PieceSum, partition_pieces
from eventstudy.inference import TESTS
from eventstudy.inference.combinable import DAILY_TESTS, MOMENT_TESTS
from eventstudy.inference.moments import Moments
from eventstudy.inference.simulate import simulate_panel

REL = 1e-12


def _splits(rng: np.random.Generator, n: int, parts: int) -> list[np.ndarray]:
    """``parts`` disjoint row sets covering ``range(n)`` in random order (some empty)."""
    cuts = np.sort(rng.integers(0, n + 1, parts - 1))
    return np.split(rng.permutation(n), cuts)


def test_moments_of_match_numpy_by_hand() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    m = Moments.of(x)
    assert m.scalars() == (4, 14.0, 21.0)  # mean 3.5: 6.25 + 2.25 + 0.25 + 12.25
    assert np.sqrt(m.m2[0] / 3) == np.std(x, ddof=1)
    assert Moments.of(np.zeros(0)).scalars() == (0, 0.0, 0.0)


@pytest.mark.parametrize("seed", range(5))
def test_merge_of_any_split_equals_one_shot(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, 1_000) * 0.02 + 0.01
    parts = [Moments.of(x[rows]) for rows in _splits(rng, len(x), int(rng.integers(2, 30)))]
    merged = Moments.merge(parts, np.zeros(len(parts), dtype=np.int64), 1)
    chained = parts[0]
    for part in parts[1:]:  # Chan's pairwise update, one part at a time
        chained = chained + part
    for m in (merged, chained):
        assert m.n[0] == len(x)
        assert m.total[0] == pytest.approx(x.sum(), rel=REL)
        assert m.m2[0] == pytest.approx(((x - x.mean()) ** 2).sum(), rel=REL)
        assert np.sqrt(m.m2[0] / (len(x) - 1)) == pytest.approx(np.std(x, ddof=1), rel=REL)


def test_by_group_and_merge_of_several_groups() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    codes = rng.integers(0, 4, 200)  # group 4 has no rows
    grouped = Moments.by_group(x, codes, 5)
    for g in range(4):
        one = Moments.of(x[codes == g])
        assert grouped.n[g] == one.n[0]
        assert grouped.total[g] == pytest.approx(one.total[0], rel=REL)
        assert grouped.m2[g] == pytest.approx(one.m2[0], rel=REL)
    assert grouped[4].scalars() == (0, 0.0, 0.0)
    halves = [Moments.by_group(x[s], codes[s], 5) for s in (slice(0, 70), slice(70, None))]
    merged = Moments.merge(halves, np.tile(np.arange(5), 2), 5)
    np.testing.assert_array_equal(merged.n, grouped.n)
    np.testing.assert_allclose(merged.m2, grouped.m2, rtol=REL)


class _Study:
    """The two things :func:`~eventstudy.distributed.pieces.group_keys` asks of a study."""

    def __init__(self, categories: dict[str, str]) -> None:
        self.categories = categories

    def event(self, event_id: str) -> SimpleNamespace:
        return SimpleNamespace(id=event_id, category=self.categories[event_id])

    def securities_for(self, event: SimpleNamespace) -> list[str]:
        return ["A", "B"]  # every event names two securities: event groups are kept


@pytest.mark.parametrize("seed", range(4))
def test_pieces_of_any_partition_give_the_local_statistics(seed: int) -> None:
    """Every combinable test of every group from pieces of random partitions == local
    test (seeds 2 and 3: returns rounded to 0.1%, so ranks and signs tie)."""
    rng = np.random.default_rng(seed)
    panel = simulate_panel(120, seed=seed, effect=0.01, same_date=seed == 1, missing=0.05)
    # 12 events of 10 pairs each, three categories, 8 tickers; groups span the parts
    event_id = np.array([f"e{i // 10}" for i in range(120)], dtype=object)
    ticker = np.array([f"T{i % 8}" for i in range(120)], dtype=object)
    from dataclasses import replace

    panel = replace(panel, event_id=event_id, ticker=ticker)
    if seed >= 2:
        panel = replace(panel, ar=np.round(panel.ar, 3), residuals=np.round(panel.residuals, 3))
        assert (np.diff(np.sort(panel.residuals[0])) == 0).any()  # ties
    study = _Study({f"e{k}": ["x", "y", ""][k % 3] for k in range(12)})
    windows = ((0, 0), (-1, 1), (-5, 5))
    tests = tuple(MOMENT_TESTS) + tuple(DAILY_TESTS)
    stack = PieceSum()
    part_of = rng.integers(0, 3 + seed, 8)[np.arange(120) % 8]  # a security in one part
    for part in range(3 + seed):
        rows = np.flatnonzero(part_of == part)
        if len(rows):
            stack.add(partition_pieces(panel.subset(rows), study, tests, windows))
    combined: Combined = stack.combined()
    groups = {"all": np.arange(120), "event:e3": np.arange(30, 40)}
    groups |= {"category:x": np.flatnonzero(np.isin(event_id, [f"e{k}" for k in (0, 3, 6, 9)]))}
    groups |= {"ticker:T5": np.flatnonzero(ticker == "T5")}
    assert "category:" not in combined.index  # events without a category make no group
    for group, rows in groups.items():
        sub = panel.subset(rows)
        for window in windows:
            for test in tests:
                local = TESTS[test](sub, window)
                piece = combined.result(group, window, test)
                assert piece.n == local.n and piece.df == local.df, (group, window, test)
                assert piece.statistic == pytest.approx(local.statistic, rel=1e-10)
                assert piece.p_value == pytest.approx(local.p_value, rel=1e-9)
                assert piece.note.split("=")[0] == local.note.split("=")[0]
            from eventstudy.measures.group_tests import signs, window_cars

            assert combined.counts(group, window) == signs(window_cars(sub, window))


def test_a_group_without_pieces_is_empty() -> None:
    combined = Combined({}, {((0, 0), "cs_t"): {"car": Moments.empty(0)}}, {})
    r = combined.result("category:none", (0, 0), "cs_t")
    assert r.n == 0 and np.isnan(r.statistic) and r.note == "needs at least 2 pairs with a CAR"
    assert combined.counts("category:none", (0, 0)) == (0, 0)


def test_a_ticker_group_split_over_partitions_is_refused() -> None:
    """Daily-sum tests of a ``ticker:`` group are finished in its (one) partition."""
    panel = simulate_panel(20, seed=4)
    from dataclasses import replace

    ids = np.array([f"e{i}" for i in range(20)], dtype=object)
    panel = replace(panel, event_id=ids, ticker=np.array(["T"] * 20, dtype=object))
    study = _Study({f"e{i}": "" for i in range(20)})
    stack = PieceSum()
    for rows in (np.arange(10), np.arange(10, 20)):
        stack.add(partition_pieces(panel.subset(rows), study, ("cda_t",), ((0, 0),)))
    with pytest.raises(ValueError, match="ticker: group"):
        stack.combined()


@pytest.mark.parametrize("seed", range(4))
def test_two_rounds_of_any_partition_give_the_local_grank_and_bootstrap(seed: int) -> None:
    """grank_t and bootstrap of every group from the two rounds
    (:mod:`eventstudy.distributed.rounds`) over random partitions == the local tests (the
    group's sd(SCAR), pooled days and draws from the merged first round; a pair without
    a residual on some days, ties from rounding with seeds 2 and 3)."""
    from dataclasses import replace

    from eventstudy.distributed.pieces import group_keys
    from eventstudy.distributed.rounds import (
        SecondSum,
        keep,
        plan_second_round,
        second_pieces,
    )
    from eventstudy.inference.nonparametric import grank_t
    from eventstudy.inference.resampling import bootstrap

    rng = np.random.default_rng(seed)
    panel = simulate_panel(90, seed=seed, effect=0.01, same_date=seed == 1, missing=0.05)
    event_id = np.array([f"e{i // 10}" for i in range(90)], dtype=object)
    ticker = np.array([f"T{i % 6}" for i in range(90)], dtype=object)
    residuals = panel.residuals.copy()
    residuals[:, 40] = np.nan  # a day no pair has: not among the pooled days
    panel = replace(panel, event_id=event_id, ticker=ticker, residuals=residuals)
    if seed >= 2:
        panel = replace(panel, ar=np.round(panel.ar, 3), residuals=np.round(panel.residuals, 3))
    study = _Study({f"e{k}": ["x", "y", ""][k % 3] for k in range(9)})
    windows = ((0, 0), (-1, 1), (-5, 5))
    rounds = ("grank_t", "bootstrap")
    first, kept = PieceSum(), []
    part_of = rng.integers(0, 3 + seed, 6)[np.arange(90) % 6]
    for part in range(3 + seed):
        rows = np.flatnonzero(part_of == part)
        if len(rows):
            sub = panel.subset(rows)
            first.add(partition_pieces(sub, study, (), windows, rounds))
            kept.append(keep(sub, *group_keys(sub.event_id, sub.ticker, study), windows))
    combined = first.combined()
    groups = {"all": np.arange(90), "event:e3": np.arange(30, 40)}
    groups |= {"category:x": np.flatnonzero(np.isin(event_id, ["e0", "e3", "e6"]))}
    groups |= {"ticker:T5": np.flatnonzero(ticker == "T5")}
    plan, known, observed = plan_second_round(
        combined.moments, combined.present, combined.index, list(groups), list(windows), rounds
    )
    total = SecondSum()
    for part in kept:
        total.add(second_pieces(part, plan), plan)
    results = total.results(plan, known, observed)
    for group, rows in groups.items():
        sub = panel.subset(rows)
        for window in windows:
            for test, local in (
                ("grank_t", grank_t(sub, window)),
                ("bootstrap", bootstrap(sub, window, n_boot=999, seed=0)),
            ):
                got = results[(group, window, test)]
                assert (got.n, got.df, got.distribution) == (local.n, local.df, local.distribution)
                assert got.statistic == pytest.approx(local.statistic, rel=1e-10), (group, test)
                assert got.p_value == pytest.approx(local.p_value, rel=1e-9), (group, test)
                assert got.note.split("=")[0] == local.note.split("=")[0]


ROUTES = {  # the clustering limits that send each group of the study down each route
    "patterns": {},
    "own": {"_DIRECT_MAX": 5, "_EXACT_CELLS": 0, "_PATTERN_CELLS": 0},
    "rows": {"_PATTERN_CELLS": 0},
    "blocks as rows": {"_DIRECT_MAX": 5, "_PATTERN_CELLS": 0},
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("seed", range(3))
def test_kp_tests_from_two_rounds_equal_local(seed: int, route: str, monkeypatch) -> None:
    """kp_patell_z and kp_bmp_t of every group from the two rounds over random partitions
    (:mod:`eventstudy.distributed.rbar`) == the local tests: r-bar by missing-day pattern
    (exact), own-window (linear, with the local note), or from the gathered rows of a
    group with too many patterns; a ticker: group in one partition by the local function.
    Missing days (seeds 0, 1), none (seed 2: one pattern)."""
    from dataclasses import replace

    from eventstudy.distributed.pieces import group_keys
    from eventstudy.distributed.rounds import SecondSum, keep, plan_second_round, second_pieces
    from eventstudy.inference import clustering

    for name, value in ROUTES[route].items():
        monkeypatch.setattr(clustering, name, value)
    rng = np.random.default_rng(seed)
    panel = simulate_panel(90, seed=seed, same_date=seed == 1, missing=0.05 * (seed < 2))
    event_id = np.array([f"e{i // 10}" for i in range(90)], dtype=object)
    ticker = np.array([f"T{i % 6}" for i in range(90)], dtype=object)
    panel = replace(panel, event_id=event_id, ticker=ticker)
    study = _Study({f"e{k}": ["x", "y", ""][k % 3] for k in range(9)})
    windows = ((0, 0), (-1, 1))
    rounds = ("kp_patell_z", "kp_bmp_t")
    first, kept = PieceSum(), []
    part_of = rng.integers(0, 3 + seed, 6)[np.arange(90) % 6]
    for part in range(3 + seed):
        rows = np.flatnonzero(part_of == part)
        if len(rows):
            sub = panel.subset(rows)
            first.add(partition_pieces(sub, study, (), windows, rounds))
            kept.append(keep(sub, *group_keys(sub.event_id, sub.ticker, study), windows, rounds))
    combined = first.combined()
    groups = {"all": np.arange(90), "event:e3": np.arange(30, 40)}
    groups |= {"category:x": np.flatnonzero(np.isin(event_id, ["e0", "e3", "e6"]))}
    groups |= {"ticker:T5": np.flatnonzero(ticker == "T5")}
    plan, known, observed = plan_second_round(
        combined.moments, combined.present, combined.index, list(groups), list(windows), rounds,
        combined.rbar,
    )  # fmt: skip
    methods = {c[0]: r.method for c, r in plan.rbar.items()}
    assert methods["ticker:T5"] == "local"
    assert methods["all"] == route.split()[-1]
    total = SecondSum()
    for part in kept:
        total.add(second_pieces(part, plan), plan)
    results = total.results(plan, known, observed)
    for group, rows in groups.items():
        sub = panel.subset(rows)
        for window in windows:
            for test in rounds:
                local = getattr(clustering, test)(sub, window)
                got = results[(group, window, test)]
                assert (got.n, got.df, got.distribution) == (local.n, local.df, local.distribution)
                assert got.statistic == pytest.approx(local.statistic, rel=1e-10), (group, test)
                assert got.p_value == pytest.approx(local.p_value, rel=1e-9), (group, test)
                assert got.note.split("=")[0] == local.note.split("=")[0]
                assert got.note.partition("; ")[2] == local.note.partition("; ")[2]
    if route == "own":
        note = results[("all", (0, 0), "kp_bmp_t")].note
        assert "the exact pairwise figure would take too long" in note
