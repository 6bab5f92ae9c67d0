"""The Kolari-Pynnönen r-bar as sums over rows, which add over any split of the rows.

Both linear forms of :func:`~eventstudy.inference.clustering.cross_correlation`'s r-bar
are a finish of sums that each row contributes to on its own, so the r-bar of a set of
pairs spread over the partitions of a Dask run is the sum of the partitions' pieces
(:mod:`eventstudy.distributed.rbar`):

- *own window* (:func:`own_window_sums`, :func:`own_window_mean`): each row centred and
  scaled to unit norm over its own valid days, ``z_i``; r-bar from ``sum_i z_i``,
  ``sum_i |z_i|^2`` and the count ``k`` of rows with variation:
  ``(|sum z|^2 - sum |z|^2) / (k (k - 1))``;
- *by missing-day pattern* (:func:`pattern_sums`, :func:`pattern_mean`): for the P
  distinct patterns of valid days, ``S[p, q] = sum_i z_i`` over the rows i of pattern p,
  each standardized over the days ``C_pq`` it shares with pattern q, and the count of
  such rows with variation there; r-bar is ``sum_pq S[p, q] . S[q, p]`` less the
  diagonal, over the count of row pairs. Exact (the pairwise-complete mean) for any
  patterns; its memory is ``P^2 x L``.

References
----------
Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional
correlation of abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
"""

from __future__ import annotations

import numpy as np


def own_window_sums(x: np.ndarray) -> tuple[np.ndarray, float, int]:
    """``sum_i z_i`` (L,), ``sum_i |z_i|^2`` and the count of the rows of ``x`` used.

    ``z_i`` is row i centred and scaled to unit norm over its own valid (finite) days,
    zero where missing; rows with fewer than 3 valid days or no variation (relative to
    their size, 1e-14) are left out.
    """
    valid = np.isfinite(x)
    count = valid.sum(axis=1)
    xv = np.where(valid, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, xv.sum(axis=1) / np.maximum(count, 1), 0.0)
    x0 = np.where(valid, x - centre[:, None], 0.0)
    ss = (x0 * x0).sum(axis=1)
    ok = (count >= 3) & (ss > 1e-14 * (xv * xv).sum(axis=1))
    z = x0[ok] / np.sqrt(ss[ok])[:, None]
    return z.sum(axis=0), float((z * z).sum()), int(ok.sum())


def own_window_mean(total: np.ndarray, square: float, k: int) -> float:
    """r-bar from :func:`own_window_sums` (added over parts); NaN for fewer than 2 rows."""
    if k < 2:
        return np.nan
    return float((total @ total - square) / (k * (k - 1)))


def pattern_sums(
    x: np.ndarray, cols: np.ndarray, inverse: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each present pattern's ``S[p, :]`` and row counts over the rows of ``x``.

    Parameters
    ----------
    x
        (n, L) rows (NaN: missing day).
    cols
        (P, L) booleans: the valid days of every pattern (all parts' patterns).
    inverse
        (n,) each row's pattern (an index into ``cols``).
    present
        The patterns (indices into ``cols``) the rows have, in the order wanted.

    Returns
    -------
    sums, rows_ok
        (len(present), P, L) ``S[p, q]`` and (len(present), P) counts of the rows of
        pattern p with variation over ``C_pq`` (where ``C_pq`` has at least 3 days).
    """
    cols = cols.astype(np.float64)
    common = cols @ cols.T  # days common to two patterns
    usable = common >= 3
    sums = np.zeros((len(present), len(cols), x.shape[1]))
    rows_ok = np.zeros((len(present), len(cols)))
    for k, p in enumerate(present):
        pattern = cols[p] > 0
        xp = np.where(pattern, x[inverse == p], 0.0)
        shift = xp.sum(axis=1, keepdims=True) / max(int(pattern.sum()), 1)  # r is shift-free
        xp = np.where(pattern, xp - shift, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s1, s2 = xp @ cols.T, (xp * xp) @ cols.T  # (n_p, P): sums over C_pq
            mean = s1 / common[p]
            ss = s2 - s1 * mean
            ok = usable[p] & (ss > 1e-14 * s2)  # rounding of a constant row is no variation
            w = np.where(ok, 1.0 / np.sqrt(np.where(ok, ss, 1.0)), 0.0)
        shared = cols * pattern  # C_pq for every q
        sums[k] = (w.T @ xp - (w * np.where(ok, mean, 0.0)).sum(axis=0)[:, None]) * shared
        rows_ok[k] = ok.sum(axis=0)
    return sums, rows_ok


def pattern_mean(sums: np.ndarray, rows_ok: np.ndarray) -> float:
    """r-bar from every pattern's :func:`pattern_sums` ((P, P, L) and (P, P), added over
    parts); NaN without a pair of rows."""
    cross = np.einsum("pql,qpl->pq", sums, sums)  # (sum_i z_i) . (sum_j z_j)
    diagonal = np.diag(rows_ok)
    total = cross.sum() - diagonal.sum()  # a row's correlation with itself is left out
    count = (rows_ok * rows_ok.T).sum() - diagonal.sum()
    return float(total / count) if count else np.nan
