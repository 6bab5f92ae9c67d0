"""Cross-sectional means with their confidence bands: what the PNG figures
(:mod:`eventstudy.outputs.plots`) and the report's hover figures
(:mod:`eventstudy.outputs.report.charts`) both draw, computed once here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

CONFIDENCE = 0.95
"""Level of every confidence band and significance mark in the figures."""
QUANTILES = (0.10, 0.90)
"""The quantile band drawn when there are too many securities for one line each."""


def cross_section(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Cross-sectional mean of ``column`` per relative day, with a 95% band.

    Parameters
    ----------
    frame
        Rows of ``abnormal_returns.csv`` (any subset of pairs).
    column
        ``"car"`` (gives the CAAR) or ``"ar"`` (gives the AAR).

    Returns
    -------
    DataFrame
        Indexed by ``rel_day``: ``n`` (pairs with a value that day), ``mean``, ``sd``,
        ``se``, ``lower``, ``upper`` (the 95% band) and the quantiles ``q10``, ``q90``.

    Notes
    -----
    The pairs are equally weighted. With :math:`N_\\tau` pairs that have a value on
    day :math:`\\tau`,

    .. math::

        \\overline{X}_\\tau = \\frac{1}{N_\\tau}\\sum_i X_{i\\tau}, \\qquad
        s_\\tau^2 = \\frac{1}{N_\\tau - 1}\\sum_i (X_{i\\tau} - \\overline{X}_\\tau)^2,

    and the band is :math:`\\overline{X}_\\tau \\pm t_{0.975,\\,N_\\tau-1}\\,
    s_\\tau/\\sqrt{N_\\tau}` (the cross-sectional standard error, which needs no
    model of each pair's variance but assumes independent pairs: pairs that share a
    calendar day 0 are correlated and make the band too narrow).
    """
    grouped = frame.groupby("rel_day", sort=True)[column]
    stats = pd.DataFrame(
        {
            "n": grouped.count(),
            "mean": grouped.mean(),
            "sd": grouped.std(ddof=1),
            "q10": grouped.quantile(QUANTILES[0]),
            "q90": grouped.quantile(QUANTILES[1]),
        }
    )
    n = stats["n"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        stats["se"] = stats["sd"] / np.sqrt(n)
        crit = special.stdtrit(np.where(n > 1, n - 1, np.nan), 0.5 + CONFIDENCE / 2)
    stats["lower"] = stats["mean"] - crit * stats["se"]
    stats["upper"] = stats["mean"] + crit * stats["se"]
    return stats
