"""Counts, sums and sums of squared deviations of per-pair values, and how they combine.

A cross-sectional moment test (:mod:`eventstudy.inference.combinable`) reduces a group
of pairs to a few per-pair values — each pair's CAR, standardized CAR, CAR variance —
and its statistic depends on the group only through their count, sum and ``M2``
(sum of squared deviations from the mean). :class:`Moments` holds those three for G
groups at once; moments of disjoint sets of pairs combine exactly (to rounding) with
the parallel formula of Chan, Golub & LeVeque (1979),

``n = n_a + n_b``, ``S = S_a + S_b``,
``M2 = M2_a + M2_b + (mean_b - mean_a)^2 n_a n_b / n``,

and, for many parts at once, ``M2 = sum_k M2_k + sum_k n_k (mean_k - mean)^2``
(:meth:`Moments.merge`). So the moments of a group spread over several partitions
of a Dask run are the group's own, whatever the split.

References
----------
Chan, T. F., Golub, G. H. and LeVeque, R. J. (1979). Updating formulae and a pairwise
algorithm for computing sample variances. Technical report STAN-CS-79-773, Stanford.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    """Count, sum and ``M2`` of a per-pair value in each of G groups.

    Attributes
    ----------
    n
        (G,) pairs in the group.
    total
        (G,) sum of the values.
    m2
        (G,) sum of squared deviations of the values from their mean (0 when n = 0).
    """

    n: np.ndarray
    total: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        """The moments of the values ``x`` of one group (G = 1).

        ``total / n`` and ``M2`` are computed as ``numpy.mean`` and ``numpy.std`` do, so
        statistics made from them equal those of the numpy reductions bit for bit.
        """
        x = np.asarray(x, dtype=np.float64)
        total = x.sum()
        m2 = ((x - total / x.size) ** 2).sum() if x.size else 0.0
        return cls(np.array([x.size]), np.array([total]), np.array([m2]))

    @classmethod
    def by_group(cls, x: np.ndarray, codes: np.ndarray, size: int) -> Moments:
        """The moments of ``x[j]`` over the rows ``j`` of each group ``codes[j]`` (0..size-1)."""
        x = np.asarray(x, dtype=np.float64)
        n = np.bincount(codes, minlength=size)
        total = np.bincount(codes, weights=x, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, total / n, 0.0)
        m2 = np.bincount(codes, weights=(x - mean[codes]) ** 2, minlength=size)
        return cls(n.astype(np.int64), total, m2)

    @classmethod
    def merge(cls, parts: list[Moments], codes: np.ndarray, size: int) -> Moments:
        """Combine the groups of several parts: group ``codes[k]`` gets the k-th group
        of the parts laid end to end (the parallel formula; exact to rounding)."""
        n = np.concatenate([p.n for p in parts])
        total = np.concatenate([p.total for p in parts])
        m2 = np.concatenate([p.m2 for p in parts])
        n_all = np.bincount(codes, weights=n, minlength=size)
        total_all = np.bincount(codes, weights=total, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_all = np.where(n_all > 0, total_all / n_all, 0.0)
            mean = np.where(n > 0, total / n, 0.0)
        spread = np.where(n > 0, n * (mean - mean_all[codes]) ** 2, 0.0)
        m2_all = np.bincount(codes, weights=m2 + spread, minlength=size)
        return cls(n_all.astype(np.int64), total_all, m2_all)

    def __add__(self, other: Moments) -> Moments:
        """The moments of the union of two disjoint sets (group by group)."""
        size = len(self.n)
        return Moments.merge([self, other], np.tile(np.arange(size), 2), size)

    def __getitem__(self, g: int) -> Moments:
        """Group ``g`` alone (G = 1)."""
        return Moments(self.n[g : g + 1], self.total[g : g + 1], self.m2[g : g + 1])

    @classmethod
    def empty(cls, size: int = 1) -> Moments:
        """The moments of ``size`` groups without pairs."""
        return cls(np.zeros(size, np.int64), np.zeros(size), np.zeros(size))

    def scalars(self) -> tuple[int, float, float]:
        """``(n, total, M2)`` of a single group."""
        return int(self.n[0]), float(self.total[0]), float(self.m2[0])
