"""Run a set of tests on one group of pairs and one CAR window."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from eventstudy.inference.binder import binder_caar_t, binder_f
from eventstudy.inference.clustering import Alignment, kp_bmp_t, kp_patell_z
from eventstudy.inference.nonparametric import (
    corrado_rank_z,
    corrado_zivney_rank_z,
    corrado_zivney_sign_z,
    gen_sign_z,
    grank_t,
    wilcoxon,
)
from eventstudy.inference.panel import EventPanel
from eventstudy.inference.parametric import (
    bmp_t,
    bmp_t_csar,
    cda_t,
    cs_t,
    mackinlay_j1,
    mackinlay_j2,
    patell_z,
)
from eventstudy.inference.resampling import bootstrap
from eventstudy.inference.result import TestResult, unavailable
from eventstudy.inference.views import check_window

TestFunction = Callable[[EventPanel, tuple[int, int]], TestResult]

TESTS: dict[str, TestFunction] = {
    "cs_t": cs_t,
    "cda_t": cda_t,
    "patell_z": patell_z,
    "bmp_t": bmp_t,
    "kp_patell_z": kp_patell_z,
    "kp_bmp_t": kp_bmp_t,
    "mackinlay_j1": mackinlay_j1,
    "mackinlay_j2": mackinlay_j2,
    "corrado_rank_z": corrado_rank_z,
    "corrado_zivney_rank_z": corrado_zivney_rank_z,
    "gen_sign_z": gen_sign_z,
    "wilcoxon": wilcoxon,
    "grank_t": grank_t,
    "bootstrap": bootstrap,
    "binder_f": binder_f,
    # Extra statistics, run only when asked for by name.
    "bmp_t_csar": bmp_t_csar,
    "corrado_zivney_sign_z": corrado_zivney_sign_z,
    "binder_caar_t": binder_caar_t,
}
"""Every test by its ``tests.csv`` name."""

DEFAULT_TESTS: tuple[str, ...] = (
    "cs_t",
    "cda_t",
    "patell_z",
    "bmp_t",
    "kp_patell_z",
    "kp_bmp_t",
    "mackinlay_j1",
    "mackinlay_j2",
    "corrado_rank_z",
    "corrado_zivney_rank_z",
    "gen_sign_z",
    "wilcoxon",
    "grank_t",
    "bootstrap",
    "binder_f",
)
"""The tests :func:`run_tests` runs when none are named (the output contract's list)."""

EXTRA_TESTS: tuple[str, ...] = tuple(t for t in TESTS if t not in DEFAULT_TESTS)
"""Tests available by name but not run by default."""


def run_tests(
    panel: EventPanel,
    window: tuple[int, int],
    tests: Sequence[str] | None = None,
    *,
    n_boot: int = 999,
    seed: int = 0,
    kp_alignment: Alignment = "relative",
) -> list[TestResult]:
    """Run the named tests of H0: no abnormal return over ``window``.

    Parameters
    ----------
    panel
        The (event, security) pairs of one group.
    window
        ``(start, end)`` relative days of the CAR window, inclusive.
    tests
        Names from :data:`TESTS`, in the order wanted; default :data:`DEFAULT_TESTS`.
    n_boot, seed
        Replicates and seed of the bootstrap test.
    kp_alignment
        How residuals are aligned for the Kolari-Pynnönen r-bar (``"relative"``,
        the house convention, or ``"calendar"``).

    Returns
    -------
    list[TestResult]
        One result per test, in the order asked. A test that cannot run on this
        panel (too few pairs or days) returns NaN with a note; it never raises.

    Raises
    ------
    ValueError
        For an unknown test name or a window whose start is after its end.
    """
    names = list(DEFAULT_TESTS if tests is None else tests)
    unknown = [t for t in names if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown test(s) {unknown}; known: {sorted(TESTS)}")
    window = check_window(window)
    if kp_alignment not in ("relative", "calendar"):
        raise ValueError(f"kp_alignment must be 'relative' or 'calendar', not {kp_alignment!r}")
    options: dict[str, dict[str, object]] = {
        "bootstrap": {"n_boot": n_boot, "seed": seed},
        "kp_patell_z": {"alignment": kp_alignment},
        "kp_bmp_t": {"alignment": kp_alignment},
    }
    results = []
    for name in names:
        try:
            with np.errstate(all="ignore"):
                result = TESTS[name](panel, window, **options.get(name, {}))  # type: ignore[call-arg]
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, IndexError) as exc:
            result = unavailable(name, f"could not be computed: {exc}", panel.n_pairs)
        results.append(result)
    return results
