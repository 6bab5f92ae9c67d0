"""``grank_t`` and ``bootstrap`` in a Dask run: a group-wide number first, then pieces.

Both tests sum per-pair quantities over a group, but only once a number of the whole
group is known: GRANK-T ranks each pair's cumulated day ``SCAR_i / sd(SCAR)`` (the
cross-sectional standard deviation of the group's SCARs), and the bootstrap draws its
pseudo windows from the group's *pooled* estimation days (the days on which some pair
of the group has a residual). So they run in two rounds:

1. each partition's task sends, per group and CAR window (with its other pieces,
   :func:`first_pieces`): the moments of its pairs' SCARs, of their observed bootstrap
   scores and the count of used pairs, and on which estimation days its used pairs
   have a residual; it keeps on its worker what the second round reads
   (:class:`Kept`: the pairs' estimation residuals and event-window ARs, their
   ``sigma``, and their SCARs and used flags per window);
2. the driver combines them (:meth:`eventstudy.distributed.pieces.PieceSum.combined`),
   derives each group's ``sd(SCAR)``, observed ``t``, pooled days and draws
   (:func:`plan_second_round`), and each task returns, from its kept arrays, its part
   of the GRANK sums of ``U`` and ``N_t``
   (:func:`~eventstudy.inference.nonparametric.grank_rank_sums`) and of each
   replicate's moments (:func:`~eventstudy.inference.resampling.replicate_moments`)
   (:func:`second_pieces`); the driver adds them and finishes each test with its own
   statistic function (:meth:`SecondSum.results`).

The statistics equal the local engine's to rounding: the same per-pair numbers, the
same draws (the local seed, on the same pooled days), sums and moments merged by the
parallel formula. Only the numbers per group travel (``2 (L1 + 1)`` for GRANK,
``3 B`` for the bootstrap per window), never a pair's residuals; a study whose groups
would send too many of them (:func:`round_cells`) gathers the residuals instead
(:func:`eventstudy.distributed.combine.needs_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from eventstudy.inference.moments import Moments

if TYPE_CHECKING:
    from eventstudy.distributed.rbar import GroupPatterns, Piece, Route
    from eventstudy.inference import EventPanel, TestResult

Window = tuple[int, int]
Cell = tuple[str, Window]

N_BOOT, SEED = 999, 0
"""The bootstrap's replicates and seed in ``tests.csv`` (as the local engine's)."""
TWO = ("grank_t", "bootstrap")
"""The two-round tests :func:`keep` keeps for by default."""


@dataclass(frozen=True)
class Kept:
    """What a partition's task keeps on its worker for the second round (plain arrays).

    Attributes
    ----------
    residuals, ar, sigma
        (N, L1) estimation residuals, (N, L2) event-window ARs and (N,) ``sigma`` of the
        partition's estimated pairs (the estimation SARs and their ranks come from them
        as in the local panel).
    event_id, ticker, rel_days
        The pairs' labels and the event window's relative days.
    keys, rows, codes
        The groups of the pairs (:func:`eventstudy.distributed.pieces.group_keys`).
    use, scar
        Per CAR window: which pairs the tests use and their SCARs (NaN where unused).
    kp_use
        Per ``(window, KP test)``: the pairs the test uses (:mod:`eventstudy.distributed.rbar`).
    """

    residuals: np.ndarray
    ar: np.ndarray
    sigma: np.ndarray
    event_id: np.ndarray
    ticker: np.ndarray
    rel_days: np.ndarray
    keys: tuple[str, ...]
    rows: np.ndarray
    codes: np.ndarray
    use: dict[Window, np.ndarray] = field(default_factory=dict)
    scar: dict[Window, np.ndarray] = field(default_factory=dict)
    kp_use: dict[tuple[Window, str], np.ndarray] = field(default_factory=dict)

    def panel(self) -> EventPanel:
        """The pairs as a test panel (the columns the two tests do not read: NaN)."""
        from eventstudy.inference import EventPanel

        n, l1 = self.residuals.shape
        nan_est = np.broadcast_to(np.float64(np.nan), (n, l1))
        nan_evt = np.broadcast_to(np.float64(np.nan), self.ar.shape)
        nan_pair = np.broadcast_to(np.float64(np.nan), (n,))
        return EventPanel(
            ar=self.ar, residuals=self.residuals, market_evt=nan_evt, market_est=nan_est,
            returns_evt=nan_evt, returns_est=nan_est, sigma=self.sigma,
            n_est=np.zeros(n, np.int64), market_mean=nan_pair, market_sxx=nan_pair,
            rel_days=self.rel_days, day0=np.broadcast_to(np.datetime64("NaT", "D"), (n,)),
            est_dates=np.broadcast_to(np.datetime64("NaT", "D"), (n, l1)),
            event_id=self.event_id, ticker=self.ticker,
        )  # fmt: skip

    def members(self, key: str) -> np.ndarray:
        """The rows of the pairs of group ``key`` (none: empty)."""
        if key not in self.keys:
            return np.zeros(0, np.int64)
        return self.rows[self.codes == self.keys.index(key)]

    def kp_members(
        self, cells: Iterable[tuple[str, Window, str]]
    ) -> dict[tuple[str, Window, str], np.ndarray]:
        """The rows of the pairs each ``(group, window, KP test)`` cell uses (of the
        cells whose group has pairs here)."""
        code = {k: i for i, k in enumerate(self.keys)}
        order = np.argsort(self.codes, kind="stable")
        bounds = np.searchsorted(self.codes[order], np.arange(len(self.keys) + 1))
        out = {}
        for group, window, test in cells:
            c = code.get(group)
            if c is not None:
                rows = self.rows[order[bounds[c] : bounds[c + 1]]]
                out[(group, window, test)] = rows[self.kp_use[(window, test)][rows]]
        return out


def first_pieces(
    panel: EventPanel,
    rows: np.ndarray,
    codes: np.ndarray,
    size: int,
    windows: tuple[Window, ...],
    tests: tuple[str, ...],
) -> tuple[dict[tuple[Window, str], dict[str, Moments]], dict[Window, np.ndarray]]:
    """The first round's moments (by ``(window, test)`` as the moment tests' pieces) and,
    per window, whether some used pair of each group has a residual on each estimation
    day ((size, L1) booleans: the bootstrap's pooled days); pair ``rows[j]`` is in group
    ``codes[j]``."""
    from eventstudy.inference.nonparametric import grank_scar
    from eventstudy.inference.resampling import bootstrap_scores
    from eventstudy.inference.views import estimation_sar

    moments: dict[tuple[Window, str], dict[str, Moments]] = {}
    present = {}
    if "bootstrap" in tests:  # the days each pair has a residual on (window-free)
        finite = np.isfinite(estimation_sar(panel)).astype(np.float64)
    for window in windows:
        if "grank_t" in tests:
            use, scar = grank_scar(panel, window)
            moments[(window, "grank_t")] = {"scar": _by_group(use, scar, rows, codes, size)}
        if "bootstrap" in tests:
            use, x, counted = bootstrap_scores(panel, window)
            with_days = use.copy()
            with_days[use] = counted
            moments[(window, "bootstrap")] = {
                "used": _by_group(use, np.ones(int(use.sum())), rows, codes, size),
                "x": _by_group(with_days, x[counted], rows, codes, size),
            }
            used = use[rows]
            member = sparse.csr_matrix(
                (np.ones(int(used.sum())), (codes[used], rows[used])),
                shape=(size, panel.n_pairs),
            )
            present[window] = np.asarray(member @ finite) > 0
    return moments, present


def _by_group(
    use: np.ndarray, values: np.ndarray, rows: np.ndarray, codes: np.ndarray, size: int
) -> Moments:
    """The moments by group of ``values`` (one per pair of ``use``)."""
    full = np.zeros(len(use))
    full[use] = values
    used = use[rows]
    return Moments.by_group(full[rows[used]], codes[used], size)


def keep(panel: EventPanel, keys: list[str], rows: np.ndarray, codes: np.ndarray,
         windows: tuple[Window, ...], tests: tuple[str, ...] = TWO) -> Kept:  # fmt: skip
    """What the partition keeps for :func:`second_pieces` (see :class:`Kept`) for the
    two-round ``tests``."""
    from eventstudy.distributed.rbar import KP_TESTS
    from eventstudy.inference.combinable import MOMENT_TESTS
    from eventstudy.inference.nonparametric import grank_scar

    use, scar, kp_use = {}, {}, {}
    for window in windows:
        if "grank_t" in tests:
            used, values = grank_scar(panel, window)
            use[window] = used
            scar[window] = np.full(panel.n_pairs, np.nan)
            scar[window][used] = values
        for test in (t for t in tests if t in KP_TESTS):
            with np.errstate(all="ignore"):
                kp_use[(window, test)] = MOMENT_TESTS[KP_TESTS[test]].values(panel, window)[0]
    return Kept(
        _own(panel.residuals), _own(panel.ar), _own(panel.sigma), panel.event_id,
        panel.ticker, panel.rel_days, tuple(keys), rows, codes, use, scar, kp_use,
    )  # fmt: skip


def _own(x: np.ndarray) -> np.ndarray:
    """``x`` as an array of its own (a view would keep the whole stacked array alive)."""
    return x.copy() if x.base is not None else x


@dataclass(frozen=True)
class SecondPlan:
    """What every task needs for the second round.

    Attributes
    ----------
    sd
        ``(group, window)`` to the group's ``sd(SCAR)`` (GRANK-T).
    pooled, draws
        ``(group, window)`` to the group's pooled estimation days (column indices) and
        the (B, L) draws among them (bootstrap).
    """

    sd: dict[Cell, float] = field(default_factory=dict)
    pooled: dict[Cell, np.ndarray] = field(default_factory=dict)
    draws: dict[Cell, np.ndarray] = field(default_factory=dict)
    rbar: dict[tuple[str, Window, str], Route] = field(default_factory=dict)


@dataclass(frozen=True)
class SecondPieces:
    """One partition's second-round pieces: GRANK sums and ``N_t``, replicate moments,
    the KP tests' r-bar pieces."""

    grank: dict[Cell, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    replicates: dict[Cell, Moments] = field(default_factory=dict)
    rbar: dict[tuple[str, Window, str], Piece] = field(default_factory=dict)


def second_pieces(kept: Kept | None, plan: SecondPlan) -> SecondPieces:
    """The partition's part of every planned group's GRANK sums, replicate moments and
    r-bar pieces."""
    from eventstudy.distributed import rbar
    from eventstudy.inference.nonparametric import grank_rank_sums
    from eventstudy.inference.resampling import replicate_moments
    from eventstudy.inference.views import estimation_sar

    out = SecondPieces()
    if kept is None:
        return out
    panel = kept.panel()

    def used(group: str, window: Window) -> np.ndarray:
        mask = np.zeros(panel.n_pairs, dtype=bool)
        members = kept.members(group)
        mask[members] = kept.use[window][members]
        return mask

    for (group, window), sd in plan.sd.items():
        use = used(group, window)
        if use.any():
            out.grank[(group, window)] = grank_rank_sums(panel, use, kept.scar[window][use] / sd)
    done: dict[tuple[bytes, bytes, bytes], Moments] = {}
    for cell, draws in plan.draws.items():
        use = used(*cell)
        if not use.any():
            continue
        pooled = plan.pooled[cell]
        key = (use.tobytes(), pooled.tobytes(), draws.tobytes())
        if key not in done:  # windows of one length share their draws
            sar = estimation_sar(panel)[use][:, pooled]
            present = np.isfinite(sar)
            done[key] = replicate_moments(np.where(present, sar, 0.0), present, draws)
        out.replicates[cell] = done[key]
    out.rbar.update(rbar.second_pieces(kept.residuals, kept.kp_members(plan.rbar), plan.rbar))
    return out


Observed = dict[tuple[str, Window, str], tuple[float, int]]
"""``(group, window, test)`` to the first round's ``(sd(SCAR), n)`` (GRANK-T) or
observed ``(t, n)`` (bootstrap)."""


def plan_second_round(
    combined_moments: dict[tuple[Window, str], dict[str, Moments]],
    present: dict[Window, np.ndarray],
    index: dict[str, int],
    groups: list[str],
    windows: list[Window],
    tests: tuple[str, ...],
    patterns: dict[tuple[Window, str], list[GroupPatterns]] | None = None,
) -> tuple[SecondPlan, dict[tuple[str, Window, str], TestResult], Observed]:
    """The second round's plan, the results known already, and what the first round
    observed (:data:`Observed`) for the others.

    ``combined_moments``, ``present`` and ``patterns`` (the KP tests',
    :func:`eventstudy.distributed.rbar.plan_cells`) are the first round's pieces merged
    over the partitions (group ``g``'s at ``index[g]``). A group whose test cannot run
    (too few pairs, no dispersion, fewer than 2 pooled days) gets its result here, with
    the local test's note.
    """
    from eventstudy.distributed.rbar import plan_cells
    from eventstudy.inference.nonparametric import grank_unscalable
    from eventstudy.inference.resampling import (
        bootstrap_draws,
        bootstrap_unavailable,
        studentized_of,
    )

    plan = SecondPlan()
    known: dict[tuple[str, Window, str], TestResult] = {}
    observed: Observed = {}
    for group in groups:
        g = index.get(group)
        for window in windows:
            cell = (group, window)
            if "grank_t" in tests:
                n, _, m2 = _scalars(combined_moments[(window, "grank_t")]["scar"], g)
                sd = float(np.sqrt(m2 / (n - 1))) if n >= 2 else np.nan
                failed = grank_unscalable(n, sd)
                if failed is not None:
                    known[(group, window, "grank_t")] = failed
                else:
                    plan.sd[cell] = sd
                    observed[(group, window, "grank_t")] = (sd, n)
            if "bootstrap" in tests:
                parts = combined_moments[(window, "bootstrap")]
                n = _scalars(parts["used"], g)[0]
                t_obs = np.nan if g is None else float(studentized_of(parts["x"][g])[0])
                pooled = np.zeros(0, np.int64) if g is None else np.flatnonzero(present[window][g])
                failed = bootstrap_unavailable(n, N_BOOT, t_obs, len(pooled))
                if failed is not None:
                    known[(group, window, "bootstrap")] = failed
                    continue
                length = window[1] - window[0] + 1
                plan.pooled[cell] = pooled
                plan.draws[cell] = bootstrap_draws(len(pooled), length, N_BOOT, SEED)
                observed[(group, window, "bootstrap")] = (t_obs, n)
    routes, found, seen = plan_cells(combined_moments, patterns or {}, index, groups, windows,
                                     tests)  # fmt: skip
    plan.rbar.update(routes)
    return plan, known | found, observed | seen


def _scalars(moments: Moments, g: int | None) -> tuple[int, float, float]:
    """``(n, total, M2)`` of group ``g`` (None: a group without pairs)."""
    return (0, 0.0, 0.0) if g is None else moments[g].scalars()


class SecondSum:
    """The tasks' second-round pieces, added as they complete."""

    def __init__(self) -> None:
        from eventstudy.distributed.rbar import RbarSum

        self.grank: dict[Cell, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.replicates: dict[Cell, list[Moments]] = {}
        self.rbar = RbarSum()

    def add(self, pieces: SecondPieces, plan: SecondPlan) -> None:
        """Keep one task's pieces."""
        self.rbar.add(pieces.rbar, plan.rbar)
        for cell, sums in pieces.grank.items():
            self.grank.setdefault(cell, []).append(sums)
        for cell, moments in pieces.replicates.items():
            self.replicates.setdefault(cell, []).append(moments)

    def results(
        self,
        plan: SecondPlan,
        known: dict[tuple[str, Window, str], TestResult],
        observed: Observed,
    ) -> dict[tuple[str, Window, str], TestResult]:
        """Every group's and window's ``grank_t``, ``bootstrap`` and KP result."""
        from eventstudy.inference.nonparametric import grank_t_of
        from eventstudy.inference.resampling import bootstrap_of, studentized_of

        kp = {c: v for c, v in observed.items() if c in plan.rbar}
        out = dict(known) | self.rbar.results(plan.rbar, {}, kp)
        for cell in plan.sd:
            parts = self.grank[cell]
            sums = np.sum([s for s, _ in parts], axis=0)
            n_t = np.sum([n for _, n in parts], axis=0)
            out[(*cell, "grank_t")] = grank_t_of(sums, n_t, observed[(*cell, "grank_t")][1])
        for cell, draws in plan.draws.items():
            parts = self.replicates[cell]
            size = len(draws)
            merged = Moments.merge(parts, np.tile(np.arange(size), len(parts)), size)
            t_obs, n = observed[(*cell, "bootstrap")]
            out[(*cell, "bootstrap")] = bootstrap_of(t_obs, studentized_of(merged), n, SEED)
        return out


def round_cells(spans: int, windows: int, l1: int, tests: tuple[str, ...]) -> int:
    """Numbers the tasks send in the second round: ``spans`` (group, partition) pairs,
    per window ``2 (L1 + 1)`` for GRANK-T and ``3 B`` for the bootstrap."""
    per_window = ("grank_t" in tests) * 2 * (l1 + 1) + ("bootstrap" in tests) * 3 * N_BOOT
    return spans * windows * per_window
