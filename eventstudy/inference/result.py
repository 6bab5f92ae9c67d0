"""The outcome of one test, and the reference distributions' two-sided p-values."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import special


@dataclass(frozen=True)
class TestResult:
    """One test of H0: no abnormal return over a CAR window, for one group of pairs.

    Attributes
    ----------
    test
        The test's name in ``tests.csv`` (``cs_t``, ``patell_z``, ...).
    statistic
        The test statistic; NaN when the test could not run (see ``note``).
    p_value
        Two-sided p-value; NaN when the test could not run.
    n
        Number of (event, security) pairs the statistic used.
    df
        Degrees of freedom of the reference distribution: a number for Student t,
        ``(df1, df2)`` for F, None for the normal distribution and the bootstrap.
    distribution
        The reference distribution as text, e.g. ``"t(49)"``, ``"N(0,1)"``.
    valid_under_clustering
        Whether the test stays valid when pairs share a calendar day 0 and their
        abnormal returns are cross-correlated.
    note
        Why the test could not run, or the extra quantity it used (e.g. the
        Kolari-Pynnönen r-bar).
    """

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    p_value: float
    n: int
    df: float | tuple[float, float] | None
    distribution: str
    valid_under_clustering: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one row of a results table)."""
        return asdict(self)


CLUSTER_ROBUST = frozenset(
    {
        "cda_t",
        "kp_patell_z",
        "kp_bmp_t",
        "corrado_rank_z",
        "corrado_zivney_rank_z",
        "corrado_zivney_sign_z",
        "bootstrap",
        "binder_f",
        "binder_caar_t",
    }
)
"""Names of the tests that remain valid when pairs share a calendar day 0.

Membership rests on each test's variance (a portfolio time series, an estimated
cross-correlation, the system covariance, or resampling whole days) and is checked
by ``benchmarks/size_power.py``; see :mod:`eventstudy.inference.clustering`.
"""


def result(
    test: str,
    statistic: float,
    p_value: float,
    n: int,
    df: float | tuple[float, float] | None,
    distribution: str,
    note: str = "",
) -> TestResult:
    """A computed result; ``valid_under_clustering`` comes from :data:`CLUSTER_ROBUST`."""
    return TestResult(
        test,
        float(statistic),
        float(p_value),
        int(n),
        df,
        distribution,
        test in CLUSTER_ROBUST,
        note,
    )


def unavailable(test: str, note: str, n: int) -> TestResult:
    """A result for a test that cannot run: NaN statistic and p-value, with the reason."""
    return TestResult(test, np.nan, np.nan, int(n), None, "", test in CLUSTER_ROBUST, note)


def p_normal(z: float) -> float:
    """Two-sided p-value of ``z`` under N(0, 1)."""
    return float(2.0 * special.ndtr(-abs(z)))


def p_student(t: float, df: float) -> float:
    """Two-sided p-value of ``t`` under Student t(df)."""
    return float(2.0 * special.stdtr(df, -abs(t)))


def p_fisher(f: float, df1: float, df2: float) -> float:
    """Upper-tail p-value of ``f`` under F(df1, df2)."""
    return float(special.fdtrc(df1, df2, f))


def fmt_df(df: float) -> str:
    """Degrees of freedom as text: integers without a decimal point."""
    return f"{int(df)}" if float(df).is_integer() else f"{df:.1f}"
