"""``tests.csv`` of a Dask run on the driver: combined pieces, gathered CARs, gathered panel.

:func:`tests_table` forms the groups from the gathered labels with the local engine's
:func:`~eventstudy.measures.group_tests.groups_by` (same groups, same order), then, for each
group and CAR window, takes each chosen test's result from where
:mod:`eventstudy.distributed.combine` says it comes from: the moment and daily-sum
tests from the combined pieces (:class:`~eventstudy.distributed.pieces.Combined`),
``wilcoxon`` from the group's gathered CARs, the others from
:func:`eventstudy.measures.group_tests.run_groups` on the gathered panel. The rows are laid out
in the local order (group, window, the tests as named) and finished as the local table
is (:func:`eventstudy.pipeline.study_tests.finish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from eventstudy.distributed.pieces import Combined
    from eventstudy.inference import TestResult
    from eventstudy.pipeline.results import RunResult


@dataclass
class TestInputs:
    """What the driver gathered for ``tests.csv``.

    Attributes
    ----------
    columns
        Per-pair columns in the local pair order
        (:meth:`~eventstudy.distributed.combine.ColumnStack.take`): ``order``,
        ``ticker_code``, ``day0`` always; ``car`` and the panel's columns when the
        chosen tests need them.
    combined
        The combinable tests' merged pieces (None: no such test, or no pair estimated).
    tickers
        The plan's tickers (``ticker_code`` indexes them).
    width
        The order-key width (``order // width`` is the event's position).
    rel_days, l1
        The event window's relative days and the estimation window's length.
    categories
        The run's events' categories, by id (those with one).
    rounds, second
        The tests run in two rounds of pieces (:mod:`eventstudy.distributed.rounds`)
        and their results by ``(group, window, test)``.
    """

    __test__ = False  # not a pytest test class

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    combined: Combined | None = None
    tickers: list[str] = field(default_factory=list)
    width: int = 1
    rel_days: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    l1: int = 0
    categories: dict[str, str] = field(default_factory=dict)
    rounds: tuple[str, ...] = ()
    second: dict[tuple[str, tuple[int, int], str], TestResult] = field(default_factory=dict)


def _labels(result: RunResult, inputs: TestInputs) -> tuple[np.ndarray, np.ndarray]:
    """Each gathered pair's event id and ticker (from its order key and ticker code)."""
    columns = inputs.columns
    event_id = np.array(result.event_ids, dtype=object)[columns["order"] // inputs.width]
    return event_id, np.array(inputs.tickers, dtype=object)[columns["ticker_code"]]


def test_groups(result: RunResult, inputs: TestInputs) -> list[tuple[str, np.ndarray]]:
    """The ``tests.csv`` groups of the gathered labels (the local engine's groups)."""
    from eventstudy.measures.group_tests import groups_by

    return groups_by(result, *_labels(result, inputs), inputs.categories)


def tests_table(result: RunResult, names: tuple[str, ...], inputs: TestInputs) -> pd.DataFrame:
    """The ``tests.csv`` table of a Dask run (see the module docstring)."""
    from threadpoolctl import threadpool_limits

    from eventstudy.distributed.combine import needs_of, panel_of
    from eventstudy.distributed.rounds import N_BOOT, SEED
    from eventstudy.measures.group_tests import GROUP_ROW, run_groups
    from eventstudy.pipeline.study_tests import finish

    columns = inputs.columns
    if not columns or not names:
        return finish([])
    groups = test_groups(result, inputs)
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    needs = needs_of(names, windows, rounds=bool(inputs.rounds))
    rows = _piece_rows(groups, windows, names, inputs)
    if needs.gathered:
        panel = panel_of(columns, *_labels(result, inputs), inputs.rel_days, inputs.l1)
        with threadpool_limits(limits=1, user_api="blas"):  # as study_tests runs them
            other = run_groups(
                panel, groups, windows, needs.gathered,
                garch=np.zeros(panel.n_pairs, dtype=bool), n_boot=N_BOOT, seed=SEED,
            )  # fmt: skip
        rows = _in_local_order(rows + list(other.itertuples(index=False, name=None)),
                               groups, windows, names)  # fmt: skip
    table = pd.DataFrame(rows, columns=GROUP_ROW)  # one frame: the local column types
    table["measure"] = "return"
    return finish([table])


def _piece_rows(
    groups: list[tuple[str, np.ndarray]],
    windows: list[tuple[int, int]],
    names: tuple[str, ...],
    inputs: TestInputs,
) -> list[tuple[object, ...]]:
    """The rows of the tests combined from pieces and of ``wilcoxon`` (from the CARs)."""
    from eventstudy.inference.combinable import CAR_TESTS, DAILY_TESTS, MOMENT_TESTS
    from eventstudy.inference.nonparametric import wilcoxon_of
    from eventstudy.measures.group_tests import is_clustered, test_row

    chosen = [
        t
        for t in names
        if t in MOMENT_TESTS or t in DAILY_TESTS or t in CAR_TESTS or t in inputs.rounds
    ]
    if not chosen:
        return []
    combined, columns = inputs.combined, inputs.columns
    assert combined is not None  # the tasks send pieces whenever such a test is chosen
    rows = []
    for group, members in groups:
        member_rows = np.flatnonzero(members) if members.dtype == np.bool_ else members
        clustered = is_clustered(columns["day0"][member_rows])
        for k, window in enumerate(windows):
            n_pos, n_neg = combined.counts(group, window)
            for test in chosen:
                if test in inputs.rounds:
                    r = inputs.second[(group, window, test)]
                elif test not in CAR_TESTS:
                    r = combined.result(group, window, test)
                else:
                    car = columns["car"][member_rows, k]
                    r = wilcoxon_of(car[np.isfinite(car)])
                rows.append(test_row(group, window, r, clustered, n_pos, n_neg))
    return rows


def _in_local_order(
    rows: list[tuple[object, ...]],
    groups: list[tuple[str, np.ndarray]],
    windows: list[tuple[int, int]],
    names: tuple[str, ...],
) -> list[tuple[object, ...]]:
    """``rows`` (of :data:`~eventstudy.measures.group_tests.GROUP_ROW`) sorted by group (in
    ``groups`` order), window and test (as named)."""
    group = {name: k for k, (name, _) in enumerate(groups)}
    window = {w: k for k, w in enumerate(windows)}
    test = {name: k for k, name in enumerate(names)}
    return sorted(rows, key=lambda r: (group[r[0]], window[(r[1], r[2])], test[r[3]]))
