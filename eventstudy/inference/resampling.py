"""A bootstrap p-value for the CAAR that respects cross-correlation.

The null distribution is built by resampling whole estimation-window *days*: a
pseudo event window is L days drawn with replacement from the L1 estimation days,
and on each drawn day the residuals of **all** pairs are taken together (the
cross-section is kept intact, as in Hein & Westfall's 2004 bootstrap of the
multivariate regression model). Pairs that share calendar days keep their
contemporaneous correlation in every draw, so a common shock on the event day is
matched by common shocks in the pseudo windows: the test stays valid under
event-date clustering, even when all pairs share one date and there is a single
cluster (where resampling event dates as clusters, or a wild cluster bootstrap,
would have nothing to resample).

The statistic is studentized cross-sectionally (BMP form), so a common change of
scale on the event day (event-induced variance) cancels, and the bootstrap replaces
the normal/Student reference distribution, so heavy tails are handled too.
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.panel import EventPanel, window_view
from eventstudy.inference.result import TestResult, result, unavailable

_CHUNK_CELLS = 4_000_000  # pairs x draws x days gathered at once


def _studentized(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``sqrt(n) mean(x) / sd(x)`` over the pairs axis (0) of ``x = total / sqrt(count)``.

    Pairs with ``count = 0`` are left out; NaN where fewer than 2 pairs remain or
    the dispersion is zero.
    """
    ok = count > 0
    x = np.where(ok, total / np.sqrt(np.where(ok, count, 1)), 0.0)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.sum(axis=0) / n
        ss = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(ss / (n - 1))
        t = np.sqrt(n) * mean / sd
    return np.where((n < 2) | ~(sd > 0), np.nan, t)


def bootstrap(
    panel: EventPanel, window: tuple[int, int], *, n_boot: int = 999, seed: int = 0
) -> TestResult:
    """Date-resampling bootstrap test of the CAAR (cross-section kept together).

    The observed statistic is the cross-sectional t of
    ``z_i = sum_{t in window} (AR_it / s_i) / sqrt(L_i)`` (plain-sigma standardized
    CARs): ``t = sqrt(N) mean(z) / sd(z)``. Each of ``n_boot`` replicates draws ``L``
    estimation days (relative days, with replacement; ``L`` = window length) once for
    all pairs, forms ``z*_i = sum (e_i,tau / s_i) / sqrt(L*_i)`` over the drawn days
    where pair i has a residual, and computes ``t*`` the same way. The two-sided
    p-value is ``(1 + #{|t*| >= |t|}) / (1 + B)`` over the B finite replicates
    (Davison & Hinkley 1997, eq. 4.11).

    Days are drawn in relative event time (house convention for aligning events, as
    for the Kolari-Pynnönen r-bar), which is the same calendar day for pairs sharing
    day 0; their residual correlation is therefore reproduced in every draw. Draws
    are independent across days (no blocks): market-model residuals are close to
    serially uncorrelated. Estimation-window residuals are in-sample and slightly
    less variable than out-of-sample ARs (by a factor ``1 - O(1/M)``); the
    studentization removes this common scale.

    Parameters
    ----------
    n_boot
        Number of bootstrap replicates B.
    seed
        Seed of the :func:`numpy.random.default_rng` generator (results are
        reproducible).

    References
    ----------
    Hein, S. E. and Westfall, P. (2004). Improving tests of abnormal returns by
    bootstrapping the multivariate regression model with event parameters. *Journal
    of Financial Econometrics* 2(3), 451-471.
    Davison, A. C. and Hinkley, D. V. (1997). *Bootstrap Methods and their
    Application*. Cambridge University Press.
    """
    name = "bootstrap"
    w = window_view(panel, window)
    use = w.model_ok
    n = int(use.sum())
    if n < 2:
        return unavailable(name, "needs at least 2 pairs with a CAR and a market model", n)
    if n_boot < 1:
        return unavailable(name, "n_boot must be at least 1", n)
    sigma = panel.sigma[use]
    z_evt = np.where(w.included[use], panel.ar[use] / sigma[:, None], 0.0)
    t_obs = float(_studentized(z_evt.sum(axis=1), w.days[use])[()])
    if not np.isfinite(t_obs):
        return unavailable(name, "the standardized CARs have no dispersion", n)

    z_est = panel.residuals[use] / sigma[:, None]
    days_with_data = np.isfinite(z_est).any(axis=0)
    pool = np.flatnonzero(days_with_data)
    if pool.size < 2:
        return unavailable(name, "fewer than 2 estimation days with residuals", n)
    length = int(w.in_window.sum())
    values = np.nan_to_num(z_est[:, pool], nan=0.0)
    present = np.isfinite(z_est[:, pool]).astype(np.float64)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, pool.size, size=(n_boot, length))
    chunk = max(1, _CHUNK_CELLS // max(1, n * length))
    exceed, finite = 0, 0
    for lo in range(0, n_boot, chunk):
        idx = draws[lo : lo + chunk]
        total = values[:, idx].sum(axis=2)  # (pairs, draws)
        count = present[:, idx].sum(axis=2)
        t_star = _studentized(total, count)
        ok = np.isfinite(t_star)
        finite += int(ok.sum())
        exceed += int((np.abs(t_star[ok]) >= abs(t_obs)).sum())
    if finite == 0:
        return unavailable(name, "no bootstrap replicate could be computed", n)
    p = (1 + exceed) / (1 + finite)
    return result(
        name,
        t_obs,
        p,
        n,
        None,
        f"bootstrap({finite} date draws)",
        f"resampled estimation days with the cross-section kept together; seed={seed}",
    )
