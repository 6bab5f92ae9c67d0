"""``tests.csv`` of a Dask run: what each task sends for the tests, and what is gathered.

Every test's statistic equals the local engine's to rounding (well within 1e-9): the
tasks run the local pipeline, so every per-pair number is the local one, and the
driver applies the local formulas. What travels depends on the test (:func:`needs_of`):

**From per-partition pieces** (:mod:`eventstudy.distributed.pieces`), the tests of
:mod:`eventstudy.inference.combinable`. The moment tests ``cs_t``, ``patell_z``,
``bmp_t``, ``bmp_t_csar``, ``mackinlay_j1``, ``mackinlay_j2`` and ``gen_sign_z``: each
task computes, for each ``tests.csv`` group among its pairs (``all``, ``category:``,
``event:``, ``ticker:``) and CAR window, the count, sum and ``M2`` of the per-pair
values the test reads (CARs, standardized CARs, CAR variances, summed SARs,
``df/(df - 2)``, each pair's share of positive estimation residuals); the driver
combines a group's pieces from every partition by the parallel formula
(:class:`~eventstudy.inference.moments.Moments`) and calls the test's own
statistic-from-moments function. The daily-sum tests ``corrado_rank_z``,
``corrado_zivney_rank_z``, ``corrado_zivney_sign_z`` and ``cda_t``: each pair's rank or
sign scores depend on the pair alone (its ranks over its own estimation + event
series), so each task sends, per group, window and test, the column sums over the
group's pairs with a CAR of the per-pair rows the statistic reads (``total[t]`` of the
scores and ``N_t`` per day of the L1 + L2 days for the Corrado family; the residual sum
and count per estimation day, the pairs with an AR per event day, the CAR sum and
count for ``cda_t``); the driver adds them and calls the test's own
statistic-from-sums function (:data:`~eventstudy.inference.combinable.DAILY_TESTS`). A
``ticker:`` group lies in one partition: its daily-sum results are finished in the task
(a few numbers instead of vectors per security). The ``n_pos`` / ``n_neg`` columns
are counts by group, summed.

**From gathered per-pair columns, small**: ``wilcoxon`` ranks the CARs of the whole
group, which no sum of parts gives; the tasks send each pair's CAR per window
(``pairs x windows`` numbers). Every run also gathers each pair's labels: its order key
(event position and security), ticker code and day 0 (three numbers a pair), from
which the driver forms the groups exactly as the local engine does
(:func:`eventstudy.measures.group_tests.groups_by`) and the ``clustered`` column.

**From two rounds of pieces** (:mod:`eventstudy.distributed.rounds`): ``grank_t``
(each pair's cumulated day is ``SCAR_i / sd(SCAR)``, ranked against the pair's
estimation SARs: the ranks depend on the ``sd(SCAR)`` of the whole group) and
``bootstrap`` (resamples the group's pooled estimation days across all its pairs),
and ``kp_patell_z`` / ``kp_bmp_t`` (r-bar, the mean pairwise-complete correlation of
the used pairs' residuals: the group's missing-day patterns first, then pattern or
own-window sums, :mod:`eventstudy.distributed.rbar`): the first round's pieces give
the group-wide numbers, the second round's the sums, unless the GRANK and bootstrap
pieces of the second round would send more than
:data:`eventstudy.distributed.rbar.ROUND_CELLS` numbers (then all four are gathered).

**From the gathered panel** (:class:`ColumnStack`, then the local functions of
:func:`eventstudy.measures.group_tests.run_groups` on it), the tests that do not combine
exactly from sums over pairs: ``binder_f`` / ``binder_caar_t`` (one system fit of all
the group's pairs), and the two-round tests when they do not run in two rounds. The
default tests on Dask leave ``binder_f`` out when its inputs would not fit
(:func:`without_heavy_defaults`). They gather the event-window columns
(ARs, benchmark returns, the model designs and ``(X'X)^{-1}``, ``sigma``, ``n_est``,
``df``: ``pairs x L2`` numbers each), the KP, GRANK and bootstrap tests also the
estimation-window residuals, Binder's also the estimation-window and event-window
returns. Only when such a test is chosen: with the combinable tests alone no
event-window column and no estimation-window residual reaches the driver.

The estimation-window columns are ``pairs x L1`` numbers each: a study whose gathered
estimation-window columns would exceed :data:`GATHER_CELLS` cells is refused before it
runs, with a message naming the tests that need them. Not gathered: ``est_dates``
(only the ``calendar`` alignment of the Kolari-Pynnönen r-bar reads them;
``tests.csv`` uses the ``relative`` house convention), and the GARCH variances (the
garch model is refused by ``--engine dask``). Columns a test does not read are
zero-copy placeholders of the right shape (NaN), never data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel

LABEL_FIELDS = ("ticker_code", "day0")
"""Gathered for every pair (with its ``order`` key): the groups and ``clustered``."""
EVENT_FIELDS = ("ar", "market_evt", "design_evt", "xtx_inv", "sigma", "n_est", "df")
RESIDUAL_FIELDS = ("residuals",)
RETURN_FIELDS = ("returns_est", "market_est", "returns_evt")

NEEDS: dict[str, frozenset[str]] = {
    "residuals": frozenset({"kp_patell_z", "kp_bmp_t", "grank_t", "bootstrap"}),
    "returns": frozenset({"binder_f", "binder_caar_t"}),
}
"""The gathered tests that need each group of estimation-window inputs."""

GATHER_CELLS = 100_000_000
"""Most estimation-window numbers (pairs x L1 x arrays) gathered to the driver (~800 MB)."""
DEFAULT_GATHER_CELLS = 25_000_000
"""Most estimation-window numbers the default tests gather (~200 MB: ``binder_f`` up to
about 50,000 pairs of 240 days; beyond, the default set leaves it out)."""


@dataclass(frozen=True)
class Needs:
    """What the tasks send for the chosen tests.

    Attributes
    ----------
    pieces
        The moment and daily-sum tests computed as per-partition pieces.
    cars
        Whether each pair's CAR per window is gathered (``wilcoxon``).
    gathered
        The tests run on the gathered panel (empty: no panel columns are gathered).
    rounds
        The tests run in two rounds of pieces (:mod:`eventstudy.distributed.rounds`).
    inputs
        The estimation-window input groups the gathered tests need (:data:`NEEDS`).
    windows
        The CAR windows.
    """

    pieces: tuple[str, ...] = ()
    cars: bool = False
    gathered: tuple[str, ...] = ()
    inputs: frozenset[str] = frozenset()
    windows: tuple[tuple[int, int], ...] = ()
    rounds: tuple[str, ...] = ()

    def sources(self, tests: Sequence[str]) -> dict[str, str]:
        """Where each of ``tests`` comes from (``manifest.json``'s ``engine`` block)."""
        return {
            t: "pieces" if t in self.pieces else "two rounds of pieces" if t in self.rounds
            else "gathered per-pair columns" if t in self.gathered else "gathered CARs"
            for t in tests
        }  # fmt: skip

    def fields(self) -> tuple[str, ...]:
        """The per-pair columns a task sends (besides ``order``)."""
        names = LABEL_FIELDS + self.cars * ("car",) + bool(self.gathered) * EVENT_FIELDS
        names += ("residuals" in self.inputs) * RESIDUAL_FIELDS
        return names + ("returns" in self.inputs) * RETURN_FIELDS


def inputs_of(tests: Iterable[str]) -> frozenset[str]:
    """Which estimation-window input groups (``"residuals"``, ``"returns"``) tests need."""
    names = set(tests)
    return frozenset(group for group, members in NEEDS.items() if names & members)


def needs_of(
    tests: Sequence[str], windows: Iterable[tuple[int, int]] = (), *, rounds: bool = False
) -> Needs:
    """What the tasks must send for ``tests`` over the CAR ``windows``.

    With ``rounds``, the two-round tests (``grank_t``, ``bootstrap``, the KP tests) run
    in two rounds of pieces (:mod:`eventstudy.distributed.rounds`) instead of on the
    gathered residuals.
    """
    from eventstudy.inference.combinable import (
        CAR_TESTS,
        DAILY_TESTS,
        MOMENT_TESTS,
        TWO_ROUND_TESTS,
    )

    pieces = tuple(t for t in tests if t in MOMENT_TESTS or t in DAILY_TESTS)
    gathered = tuple(t for t in tests if t not in pieces and t not in CAR_TESTS)
    two = tuple(t for t in gathered if t in TWO_ROUND_TESTS) if rounds else ()
    gathered = tuple(t for t in gathered if t not in two)
    return Needs(
        pieces=pieces,
        cars=bool(set(tests) & CAR_TESTS),
        gathered=gathered,
        inputs=inputs_of(gathered),
        windows=tuple((int(a), int(b)) for a, b in windows),
        rounds=two,
    )


def gathered_numbers(tests: Sequence[str], n_pairs: int, l1: int) -> tuple[int, int]:
    """The estimation-window numbers ``tests`` gather to the driver, and their fields
    per pair and day (the residuals; the returns and benchmark returns)."""
    needs = inputs_of(tests)
    fields = ("residuals" in needs) * len(RESIDUAL_FIELDS) + ("returns" in needs) * 2
    return n_pairs * l1 * fields, fields


def check_gather(tests: Sequence[str], n_pairs: int, l1: int) -> None:
    """Refuse, before the run, tests whose gathered inputs would not fit the driver."""
    numbers, fields = gathered_numbers(tests, n_pairs, l1)
    if numbers > GATHER_CELLS:
        needs = inputs_of(tests)
        heavy = sorted(set(tests) & set().union(*(NEEDS[g] for g in needs)))
        raise EventStudyError(
            f"tests {', '.join(heavy)} need every pair's estimation-window inputs on the "
            f"driver ({n_pairs:,} pairs x {l1} days x {fields} "
            f"field{'s' if fields > 1 else ''} = {numbers:,} numbers, over the "
            f"{GATHER_CELLS:,} a run may gather): for a study this large, choose --tests "
            "among those combined from the partitions: --tests combinable (the default "
            "tests but binder_f), or any of cs_t, patell_z, bmp_t, bmp_t_csar, "
            "kp_patell_z, kp_bmp_t, mackinlay_j1, mackinlay_j2, gen_sign_z, cda_t, "
            "corrado_rank_z, corrado_zivney_rank_z, corrado_zivney_sign_z, wilcoxon, "
            "grank_t, bootstrap",
            field="--tests",
        )


def without_heavy_defaults(
    tests: tuple[str, ...], n_pairs: int, l1: int
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The default tests without those whose gathered inputs would exceed
    :data:`DEFAULT_GATHER_CELLS` (``binder_f``: its system fit reads every pair's
    returns), and why each is left out.

    Other test lists are returned as they are (:func:`check_gather` refuses them over
    :data:`GATHER_CELLS`)."""
    from eventstudy.inference import DEFAULT_TESTS

    heavy = [t for t in tests if t in NEEDS["returns"]]
    numbers, fields = gathered_numbers(heavy, n_pairs, l1)
    if tuple(tests) != DEFAULT_TESTS or numbers <= DEFAULT_GATHER_CELLS:
        return tests, {}
    reason = (
        f"left out of the default tests on --engine dask: its system fit needs every "
        f"pair's estimation-window returns on the driver ({n_pairs:,} pairs x {l1} days x "
        f"{fields} fields = {numbers:,} numbers, over the {DEFAULT_GATHER_CELLS:,} the "
        "default tests may gather); name it in --tests to run it anyway (up to "
        f"{GATHER_CELLS:,} numbers) or use --engine local"
    )
    return tuple(t for t in tests if t not in heavy), {t: reason for t in heavy}


def panel_part(panel: EventPanel, needs: Needs, ticker_code: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of a partition's test panel that the driver needs (:meth:`Needs.fields`)."""
    from eventstudy.inference.views import window_view

    part = {"ticker_code": ticker_code}
    for name in needs.fields():
        if name == "car":  # the CAR the tests read (NaN: no CAR in the window)
            part[name] = np.stack([window_view(panel, w).car for w in needs.windows], axis=1)
        elif name != "ticker_code":
            part[name] = np.asarray(getattr(panel, name))
    return part


def _padded(part: dict[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """Designs padded with zero columns to ``k`` regressors (as the local study panel)."""
    extra = k - part["xtx_inv"].shape[-1]
    if extra:
        part = dict(part)
        part["xtx_inv"] = np.pad(part["xtx_inv"], ((0, 0), (0, extra), (0, extra)))
        part["design_evt"] = np.pad(part["design_evt"], ((0, 0), (0, 0), (0, extra)))
    return part


class ColumnStack:
    """The per-pair columns of every partition, copied in as each task completes.

    The arrays are allocated once, for at most ``capacity`` pairs (the plan's pairs),
    on the first part; each part is copied in and dropped, so the driver holds the
    gathered columns about once. :meth:`take` sorts them into order-key order (the
    local engine's pair order; one column at a time).

    Parameters
    ----------
    capacity
        Most pairs the parts can hold (the plan's pair count).

    Notes
    -----
    Model designs of different widths (a study mixing models) are padded with zero
    columns to the widest, as :func:`eventstudy.pipeline.study_tests.study_panel` pads them.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.columns: dict[str, np.ndarray] = {}
        self.k = 0
        self.n = 0

    def add(self, part: dict[str, np.ndarray] | None) -> None:
        """Copy one task's part in (None or empty: nothing to add)."""
        if part is None or not len(part["order"]):
            return
        if "xtx_inv" in part:
            k = part["xtx_inv"].shape[-1]
            if self.columns and k > self.k:  # a wider design than so far: widen the buffers
                self.columns |= _padded(self.columns, k)
            self.k = max(self.k, k)
            part = _padded(part, self.k)
        if not self.columns:
            self.columns = {
                name: np.empty((self.capacity, *value.shape[1:]), dtype=value.dtype)
                for name, value in part.items()
            }
        size = len(part["order"])
        for name, value in part.items():
            self.columns[name][self.n : self.n + size] = value
        self.n += size

    def take(self) -> dict[str, np.ndarray]:
        """Every column of the pairs added, in the local pair order (the stack is emptied)."""
        if not self.n:
            return {}
        rank = np.argsort(self.columns["order"][: self.n], kind="stable")
        columns = {}
        for name in list(self.columns):
            columns[name] = self.columns.pop(name)[: self.n][rank]  # the full buffer is dropped
        return columns


def panel_of(
    columns: dict[str, np.ndarray],
    event_id: np.ndarray,
    ticker: np.ndarray,
    rel_days: np.ndarray,
    l1: int,
) -> EventPanel:
    """The gathered test panel: ``columns`` of :data:`EVENT_FIELDS` (and the
    estimation-window fields gathered), placeholders for the others."""
    from eventstudy.inference import EventPanel

    n = len(event_id)
    nan_evt = np.broadcast_to(np.float64(np.nan), (n, len(rel_days)))
    nan_est = np.broadcast_to(np.float64(np.nan), (n, l1))
    defaults = {
        "residuals": nan_est,
        "market_est": nan_est,
        "returns_est": nan_est,
        "returns_evt": nan_evt,
        "est_dates": np.broadcast_to(np.datetime64("NaT", "D"), (n, l1)),
        "market_mean": np.broadcast_to(np.float64(np.nan), (n,)),
        "market_sxx": np.broadcast_to(np.float64(np.nan), (n,)),
    }
    fields = EVENT_FIELDS + RESIDUAL_FIELDS + RETURN_FIELDS + ("day0",)
    given = {name: columns[name] for name in fields if name in columns}
    return EventPanel(**(defaults | given), event_id=event_id, ticker=ticker, rel_days=rel_days)
