"""``kp_patell_z`` and ``kp_bmp_t`` in a Dask run: the r-bar of each group from pieces.

The Kolari & Pynnönen (2010) tests scale the Patell Z or the BMP t (moment pieces,
:mod:`eventstudy.distributed.pieces`) by a factor of the group's r-bar, the mean
pairwise-complete correlation of its used pairs' estimation residuals
(:func:`eventstudy.inference.clustering.cross_correlation`, relative time). The local
engine computes it by missing-day pattern, from the (N, N) correlations, or, for a
large group with many patterns, from residuals standardized over each pair's own days
(:func:`~eventstudy.inference.clustering.rbar_method`). A Dask run gets the same number
in two rounds, with the two-round tests (:mod:`eventstudy.distributed.rounds`):

1. each task sends, per group, window and KP test (:func:`first_pieces`), the used
   pairs' distinct missing-day patterns (:class:`PatternTable`: a 64-bit hash each, and
   the packed pattern while the group has at most :func:`pattern_cap` of them); the
   driver merges them (:func:`merge_tables`): the group's pairs, patterns and how many
   partitions hold its pairs;
2. the driver chooses each group's route (:func:`plan_cells`) and the tasks send
   (:func:`second_pieces`): a group whose pairs are in one partition is computed there
   by the local function (``local``); the own-window r-bar from the sums of the
   standardized rows and of their squares (``own``,
   :func:`~eventstudy.inference.rbar_sums.own_window_sums`); an exact r-bar, when the
   group's patterns fit, from each pattern's sums over the days it shares with every
   other (``patterns``, :func:`~eventstudy.inference.rbar_sums.pattern_sums`: P x P x L
   numbers at most 8 million); else (a group of at most ~4,000 pairs with too many
   patterns) the group's residual rows (``rows``). The driver adds them and finishes
   each test with :func:`~eventstudy.inference.clustering.kp_of`, as the local test does.

Only the ``rows`` route moves residuals; a study where it would send more than
:data:`~eventstudy.distributed.rbar.ROUND_CELLS` numbers is refused, naming the groups.

References
----------
Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional
correlation of abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventstudy.inference import EventPanel, TestResult
    from eventstudy.inference.moments import Moments

Window = tuple[int, int]
Cell = tuple[str, Window, str]
"""``(group, window, test)``."""

KP_TESTS = {"kp_patell_z": "patell_z", "kp_bmp_t": "bmp_t"}
"""Each KP test and the moment test it adjusts (whose pairs it uses)."""

ROUND_CELLS = 50_000_000
"""Most numbers the second round's pieces may send to the driver (~400 MB)."""


def pattern_cap(days: int) -> int:
    """Most patterns of a group for the ``patterns`` route (P^2 x L within the local cap)."""
    from eventstudy.inference import clustering

    return int(np.sqrt(clustering._PATTERN_CELLS / max(days, 1)))


@dataclass(frozen=True)
class PatternTable:
    """A partition's used pairs' missing-day patterns, for each of its G groups.

    Attributes
    ----------
    n
        (G,) used pairs of each group.
    group, hashes
        (M,) the group and hash of each of the groups' distinct patterns.
    packed
        The packed patterns (``numpy.packbits``) of the entries of the groups with at
        most :func:`pattern_cap` patterns here (in entry order), (K, bytes) uint8.
    days
        The estimation window's length L1.
    """

    n: np.ndarray
    group: np.ndarray
    hashes: np.ndarray
    packed: np.ndarray
    days: int


def _hashes(packed: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each packed row."""
    digest = (hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in packed)
    return np.frombuffer(b"".join(digest), dtype=np.uint64).copy()


def first_pieces(
    panel: EventPanel,
    rows: np.ndarray,
    codes: np.ndarray,
    size: int,
    windows: tuple[Window, ...],
    tests: tuple[str, ...],
) -> tuple[dict[tuple[Window, str], dict[str, Moments]], dict[tuple[Window, str], PatternTable]]:
    """The KP tests' first round: the moments of the values of the moment test each
    adjusts, and the :class:`PatternTable` of its used pairs, by ``(window, test)``
    (pair ``rows[j]`` is in group ``codes[j]``; equal used sets share one table)."""
    from eventstudy.inference.combinable import MOMENT_TESTS
    from eventstudy.inference.moments import Moments
    from eventstudy.inference.panel import row_patterns

    chosen = [t for t in tests if t in KP_TESTS]
    if not chosen:
        return {}, {}
    patterns, inverse = row_patterns(np.isfinite(panel.residuals))
    packed = np.packbits(patterns, axis=1)
    hashes = _hashes(packed)
    cap = pattern_cap(panel.residuals.shape[1])
    moments, tables, done = {}, {}, {}
    for window in windows:
        for test in chosen:
            with np.errstate(all="ignore"):
                use, values = MOMENT_TESTS[KP_TESTS[test]].values(panel, window)
            used = use[rows]
            moments[(window, test)] = {
                name: Moments.by_group(value[rows[used]], codes[used], size)
                for name, value in values.items()
            }
            key = use.tobytes()
            if key not in done:
                group, pid = codes[used], inverse[rows[used]]
                entry = np.unique(group * len(patterns) + pid)
                group, pid = entry // len(patterns), entry % len(patterns)
                small = np.bincount(group, minlength=size)[group] <= cap
                done[key] = PatternTable(
                    np.bincount(codes[used], minlength=size), group, hashes[pid],
                    packed[pid[small]], int(panel.residuals.shape[1]),
                )  # fmt: skip
            tables[(window, test)] = done[key]
    return moments, tables


@dataclass(frozen=True)
class GroupPatterns:
    """A group's patterns over every partition (:func:`merge_tables`)."""

    n: int
    patterns: int
    parts: int
    days: int
    hashes: np.ndarray | None = None
    packed: np.ndarray | None = None


def merge_tables(parts: list[PatternTable], codes: np.ndarray, size: int) -> list[GroupPatterns]:
    """Every group's :class:`GroupPatterns`; group ``codes[k]`` gets the k-th group of the
    (one or more) parts laid end to end (their packed patterns while the group spans
    partitions and has at most :func:`pattern_cap` patterns in all)."""
    offsets = np.cumsum([0, *(len(p.n) for p in parts)])
    n = np.bincount(codes, weights=np.concatenate([p.n for p in parts]), minlength=size)
    spread = np.bincount(codes, weights=np.concatenate([p.n > 0 for p in parts]), minlength=size)
    group = np.concatenate([codes[o + p.group] for o, p in zip(offsets, parts, strict=False)])
    hashes = np.concatenate([p.hashes for p in parts])
    cap = pattern_cap(parts[0].days)
    has = np.concatenate([np.bincount(p.group, minlength=len(p.n))[p.group] <= cap for p in parts])
    packed = np.zeros((len(group), parts[0].packed.shape[1]), np.uint8)
    packed[has] = np.concatenate([p.packed for p in parts])
    order = np.lexsort((hashes, group))
    group, hashes, packed, has = group[order], hashes[order], packed[order], has[order]
    first = np.ones(len(group), bool)
    first[1:] = (group[1:] != group[:-1]) | (hashes[1:] != hashes[:-1])
    counts = np.bincount(group[first], minlength=size)
    starts = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=size))])
    out = []
    for g in range(size):
        cut = slice(starts[g], starts[g + 1])
        shown = counts[g] <= cap and spread[g] >= 2 and has[cut].all()
        keep = first[cut]
        out.append(
            GroupPatterns(
                int(n[g]),
                int(counts[g]),
                int(spread[g]),
                parts[0].days,
                hashes[cut][keep] if shown else None,
                packed[cut][keep] if shown else None,
            )
        )
    return out


@dataclass(frozen=True)
class Route:
    """How the tasks send a cell's r-bar pieces (see the module docstring)."""

    method: str
    n: int
    patterns: int
    hashes: np.ndarray | None = None
    cols: np.ndarray | None = None


def plan_cells(
    moments: dict[tuple[Window, str], dict[str, Moments]],
    tables: dict[tuple[Window, str], list[GroupPatterns]],
    index: dict[str, int],
    groups: list[str],
    windows: list[Window],
    tests: tuple[str, ...],
) -> tuple[dict[Cell, Route], dict[Cell, TestResult], dict[Cell, tuple[float, int]]]:
    """Each KP cell's route, the results known without r-bar (too few pairs, no base
    statistic: the local notes), and the base statistic and pairs ``(statistic, n)`` of
    the others."""
    from eventstudy.inference import clustering
    from eventstudy.inference import parametric as par
    from eventstudy.inference.moments import Moments

    base = {"kp_patell_z": par.patell_of, "kp_bmp_t": par.bmp_of}
    routes: dict[Cell, Route] = {}
    known: dict[Cell, TestResult] = {}
    observed: dict[Cell, tuple[float, int]] = {}
    gathered: dict[tuple[str, int, int], int] = {}  # equal used sets travel once
    for group in groups:
        g = index.get(group)
        for window in windows:
            for test in (t for t in tests if t in KP_TESTS):
                parts = moments[(window, test)]
                m = {k: Moments.empty() if g is None else v[g] for k, v in parts.items()}
                statistic, n, note = base[test](m)
                cell = (group, window, test)
                if g is None or not np.isfinite(statistic) or n < 2:
                    known[cell] = clustering.kp_of(test, statistic, n, note, _never, _factor(test))
                    continue
                found = tables[(window, test)][g]
                days = found.days
                method = clustering.rbar_method(found.n, found.patterns, days)
                if found.parts == 1:
                    method = "local"
                elif method != "own":
                    method = "patterns" if found.packed is not None else "rows"
                if method == "rows":
                    gathered[(group, found.n, found.patterns)] = found.n * days
                route = Route(method, found.n, found.patterns)
                if method == "patterns":
                    cols = np.unpackbits(found.packed, axis=1, count=days).astype(bool)
                    route = Route(method, found.n, found.patterns, found.hashes, cols)
                routes[cell] = route
                observed[cell] = (statistic, n)
    _check_rows(sum(gathered.values()), sorted({g for g, _, _ in gathered}))
    return routes, known, observed


def _never() -> tuple[float, str]:
    raise AssertionError("r-bar of a KP test that cannot run")  # pragma: no cover


def _factor(test: str) -> Callable[[float, int], float]:
    """The KP factor of ``test``."""
    from eventstudy.inference import clustering

    return clustering.kp_patell_factor if test == "kp_patell_z" else clustering.kp_bmp_factor


def _check_rows(cells: int, groups: list[str]) -> None:
    """Refuse a study whose ``rows`` routes would send too many residuals to the driver
    (more than :data:`eventstudy.distributed.rbar.ROUND_CELLS`)."""
    if cells > ROUND_CELLS:
        shown = ", ".join(groups[:3]) + (f" and {len(groups) - 3} more" if len(groups) > 3 else "")
        raise EventStudyError(
            f"the KP tests' r-bar of groups {shown} needs their pairs' residuals on the "
            f"driver (each with too many missing-day patterns for pieces: {cells:,} "
            f"numbers, over {ROUND_CELLS:,}): choose --tests without kp_patell_z, kp_bmp_t "
            "for this study, or use --engine local",
            field="--tests",
        )


Piece = tuple[object, ...]
"""A partition's second-round r-bar piece of a cell (by its route's method): ``local``
``(rbar, how)``; ``own`` ``(sum z, sum |z|^2, k)``; ``patterns`` ``(present, sums,
rows_ok)``; ``rows`` ``(residual rows,)``."""


def second_pieces(
    residuals: np.ndarray,
    members: dict[Cell, np.ndarray],
    routes: dict[Cell, Route],
) -> dict[Cell, Piece]:
    """A partition's pieces of every routed cell it has used pairs of (``members``: the
    cell's used rows of ``residuals``); equal used sets and routes share one piece."""
    from eventstudy.inference import clustering
    from eventstudy.inference.panel import row_patterns
    from eventstudy.inference.rbar_sums import own_window_sums, pattern_sums

    out: dict[Cell, Piece] = {}
    done: dict[tuple[bytes, str, bytes], Piece] = {}
    for cell, route in routes.items():
        rows = members.get(cell)
        if rows is None or not len(rows):
            continue
        hashes = b"" if route.hashes is None else route.hashes.tobytes()
        key = (rows.tobytes(), route.method, hashes)
        if key not in done:
            x = residuals[rows]
            if route.method == "local":
                done[key] = clustering._rbar(x)
            elif route.method == "own":
                done[key] = own_window_sums(x)
            elif route.method == "rows":
                done[key] = (x.copy(),)
            else:
                patterns, inverse = row_patterns(np.isfinite(x))
                assert route.hashes is not None and route.cols is not None
                position = {h: k for k, h in enumerate(route.hashes.tolist())}
                mine = np.array([position[h] for h in _hashes(np.packbits(patterns, axis=1))])
                present = np.unique(mine)
                done[key] = (present, *pattern_sums(x, route.cols, mine[inverse], present))
        out[cell] = done[key]
    return out


class RbarSum:
    """The tasks' second-round r-bar pieces, added as they complete."""

    def __init__(self) -> None:
        self.pieces: dict[Cell, list[Piece]] = {}

    def add(self, pieces: dict[Cell, Piece], routes: dict[Cell, Route]) -> None:
        """Keep one task's pieces (the pattern sums added in place)."""
        for cell, piece in pieces.items():
            kept = self.pieces.setdefault(cell, [])
            if routes[cell].method != "patterns":
                kept.append(piece)
                continue
            cols = routes[cell].cols
            assert cols is not None
            if not kept:
                kept += [np.zeros((len(cols), *cols.shape)), np.zeros((len(cols), len(cols)))]
            present, sums, rows_ok = piece
            kept[0][present] += sums
            kept[1][present] += rows_ok

    def results(
        self,
        routes: dict[Cell, Route],
        known: dict[Cell, TestResult],
        observed: dict[Cell, tuple[float, int]],
    ) -> dict[Cell, TestResult]:
        """Every KP cell's result (:func:`~eventstudy.inference.clustering.kp_of`)."""
        from eventstudy.inference import clustering
        from eventstudy.inference.rbar_sums import own_window_mean, pattern_mean

        out = dict(known)
        for cell, route in routes.items():
            parts = self.pieces.get(cell, [])
            if route.method == "local":
                rbar, how = parts[0] if parts else (np.nan, "")
            elif route.method == "own":
                total = np.sum([p[0] for p in parts], axis=0)
                square, k = sum(p[1] for p in parts), sum(p[2] for p in parts)
                rbar, how = (
                    own_window_mean(total, square, k),
                    clustering.own_window_note(route.n, route.patterns),
                )
            elif route.method == "patterns":
                rbar, how = pattern_mean(*parts), ""
            else:
                rbar, how = clustering._rbar(np.concatenate([p[0] for p in parts]))
            statistic, n = observed[cell]
            out[cell] = clustering.kp_of(
                cell[2], statistic, n, "", lambda r=rbar, h=how: (r, h), _factor(cell[2])
            )
        return out
