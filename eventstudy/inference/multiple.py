"""Multiple-testing adjustment of p-values across windows, events or tests."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from eventstudy.inference.panel import FloatArray

Method = Literal["holm", "bh"]


def adjust_pvalues(p: ArrayLike, method: Method = "holm") -> FloatArray:
    """Adjusted p-values controlling the family-wise error rate or the FDR.

    Parameters
    ----------
    p
        Raw p-values, any shape. NaN entries (tests that could not run) stay NaN and
        are not counted in the family size m.
    method
        ``"holm"``: Holm (1979) step-down, controls the family-wise error rate under
        any dependence; ``adj_(k) = max_{j <= k} min(1, (m - j + 1) p_(j))``.
        ``"bh"``: Benjamini & Hochberg (1995) step-up, controls the false discovery
        rate under independence or positive dependence;
        ``adj_(k) = min_{j >= k} min(1, m p_(j) / j)``.

    Returns
    -------
    FloatArray
        Adjusted p-values in the shape and order of ``p``; they match
        ``statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65-70.
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a
    practical and powerful approach to multiple testing. *Journal of the Royal
    Statistical Society B* 57(1), 289-300.
    """
    if method not in ("holm", "bh"):
        raise ValueError(f"method must be 'holm' or 'bh', not {method!r}")
    arr = np.asarray(p, dtype=np.float64)
    out = np.full(arr.shape, np.nan)
    flat = arr.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    if ok.size == 0:
        return out
    if ((flat[ok] < 0) | (flat[ok] > 1)).any():
        raise ValueError("p-values must lie in [0, 1]")
    m = ok.size
    order = np.argsort(flat[ok], kind="stable")
    sorted_p = flat[ok][order]
    rank = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - rank + 1) * sorted_p))
    else:
        adj = np.minimum.accumulate((m * sorted_p / rank)[::-1])[::-1]
        adj = np.minimum(1.0, adj)
    result = np.empty(m)
    result[order] = adj
    out_flat = out.ravel()
    out_flat[ok] = result
    return out_flat.reshape(arr.shape)
