"""Tests of a mean long-horizon abnormal return: t, skewness-adjusted t, its bootstrap.

Long-horizon buy-and-hold abnormal returns (BHARs) are strongly right-skewed, which
makes the conventional t-test of their mean misspecified (Barber & Lyon 1997). Lyon,
Barber & Tsai (1999, *Journal of Finance* 54(1), "Improved Methods for Tests of
Long-Run Abnormal Stock Returns", eq. 5) correct the t statistic for skewness and
bootstrap its distribution. All three functions take one value per pair (NaN dropped).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from eventstudy.inference.result import TestResult, p_student

__all__ = ["bhar_t", "bhar_t_sa", "bhar_t_sa_boot", "skewness_adjusted_t"]

MIN_BOOT_N = 8
"""Pairs needed for the bootstrap (resamples of n/4 need at least two values)."""


def _result(
    test: str, statistic: float, p: float, n: int, df: int | None = None, note: str = ""
) -> TestResult:
    distribution = f"t({df})" if df is not None else ("bootstrap" if test.endswith("boot") else "")
    # pairs sharing a day 0 are cross-correlated: none of these tests allows for it
    return TestResult(test, statistic, p, n, df, distribution, False, note)


def _clean(values: ArrayLike) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[~np.isnan(x)]


def skewness_adjusted_t(x: np.ndarray, centre: float = 0.0) -> float:
    """Lyon, Barber & Tsai (1999) eq. 5: t_sa = √n (S + g·S²/3 + g/(6n)), g the skewness.

    S = (x̄ - centre) / s and g = Σ(x - x̄)³ / (n s³), with s the sample standard
    deviation (n - 1 denominator), as in the paper.
    """
    n = len(x)
    sd = x.std(ddof=1) if n >= 2 else np.nan  # none or one BHAR: no deviation
    if not sd > 0:
        return float("nan")
    s = (x.mean() - centre) / sd
    gamma = ((x - x.mean()) ** 3).sum() / (n * sd**3)
    return float(np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n)))


def bhar_t(values: ArrayLike) -> TestResult:
    """Conventional t of the mean BHAR: x̄ / (s / √n), Student t with n - 1 df (two-sided).

    Misspecified for skewed BHARs (Barber & Lyon 1997); kept as the reference.
    """
    x = _clean(values)
    n = len(x)
    if n < 2 or not x.std(ddof=1) > 0:
        return _result("bhar_t", np.nan, np.nan, n, note="needs two BHARs that differ")
    t = float(x.mean() / (x.std(ddof=1) / np.sqrt(n)))
    return _result("bhar_t", t, p_student(t, n - 1), n, n - 1)


def bhar_t_sa(values: ArrayLike) -> TestResult:
    """Lyon, Barber & Tsai (1999) skewness-adjusted t, Student t with n - 1 df (two-sided).

    See :func:`skewness_adjusted_t`; the t(n - 1) reference is the paper's (asymptotically
    standard normal).
    """
    x = _clean(values)
    n = len(x)
    t = skewness_adjusted_t(x)
    if np.isnan(t):
        return _result("bhar_t_sa", np.nan, np.nan, n, note="needs two BHARs that differ")
    return _result("bhar_t_sa", t, p_student(t, n - 1), n, n - 1)


def bhar_t_sa_boot(values: ArrayLike, n_boot: int = 1000, seed: int = 0) -> TestResult:
    """Bootstrapped p-value of the skewness-adjusted t (Lyon, Barber & Tsai 1999, sec. III.B).

    ``n_boot`` resamples of size n_b = ⌊n/4⌋ are drawn with replacement from the n
    BHARs; on each, t_sa^b is computed centred at the full sample's mean (the null
    imposed: :func:`skewness_adjusted_t` with ``centre = x̄``). The two-sided p-value
    is equal-tailed: 2·min(#{t_sa^b ≤ t_sa}, #{t_sa^b ≥ t_sa}) / B, capped at 1, with B
    the resamples whose t_sa^b is defined. Seeded: the same ``seed`` gives the same p.
    """
    x = _clean(values)
    n = len(x)
    t = skewness_adjusted_t(x)
    if n < MIN_BOOT_N or np.isnan(t):
        return _result("bhar_t_sa_boot", t, np.nan, n, note=f"needs {MIN_BOOT_N} BHARs that differ")
    rng = np.random.default_rng(seed)
    size = n // 4
    draws = x[rng.integers(0, n, size=(n_boot, size))]
    mean = draws.mean(axis=1, keepdims=True)
    sd = draws.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (mean[:, 0] - x.mean()) / sd
        gamma = ((draws - mean) ** 3).sum(axis=1) / (size * sd**3)
        boot = np.sqrt(size) * (s + gamma * s**2 / 3 + gamma / (6 * size))
    boot = boot[np.isfinite(boot)]
    if len(boot) == 0:
        return _result("bhar_t_sa_boot", t, np.nan, n, note="no resample varied")
    p = min(1.0, 2 * min((boot <= t).mean(), (boot >= t).mean()))
    return _result("bhar_t_sa_boot", t, float(p), n, note=f"{len(boot)} resamples of {size}")
