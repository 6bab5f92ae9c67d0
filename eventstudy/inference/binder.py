"""Binder (1985) multivariate regression (dummy-variable) tests for clustered events.

For a cluster of n securities sharing a calendar day 0, Binder's system is one
equation per security over the estimation days and the CAR-window days,

    R_it = a_i + b_i R_mit + sum_{a=1..L} g_ia D_at + e_it,

with **one dummy per CAR-window day** ``D_at`` (1 on that day only). The system is
estimated equation by equation by OLS (with identical regressors this *is* the SUR/GLS
estimator) and the contemporaneous covariance of the errors, ``Sigma``, is estimated
from the system's residuals, ``Sigma_hat = E'E / (T - k)`` with ``T - k = M - 2``
(the dummy days have zero residuals). Event-window days outside the CAR window are
not in the regression.

Closed form used here (no regression is run, the algebra is exact): the dummy
coefficients equal the abnormal returns from the estimation-window fit,
``g_ia = AR_ia``, so ``CAR_i = sum_a g_ia``, and
``Cov(CAR_i, CAR_j) = sigma_ij a_i'a_j`` where ``a_i'a_j = L + u_i'u_j`` and
``u_i,t = L/M + (R_mi,t - mean R_mi) sum_{s in window} (R_mi,s - mean R_mi) / S_mm,i``
over the estimation days (for i = j this is MacKinlay's ``L + L^2/M + (...)^2/S_mm``).
The tests in ``tests/test_inference_binder.py`` check this against the explicit dummy
regression fitted with statsmodels.

The regression is always the market model on ``returns_est``/``market_est`` and
``returns_evt``/``market_evt`` (Binder's framework), whatever normal-return model
produced the panel's ``ar``. The system needs a balanced panel: a cluster uses the
estimation days on which every member has both returns, and the CAR-window days on
which every member has both returns. Days are aligned in relative event time. A
security that appears twice in a cluster (two events on the same day) enters once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from eventstudy.inference.panel import EventPanel, IntArray
from eventstudy.inference.result import TestResult, p_fisher, p_student, result, unavailable
from eventstudy.inference.views import window_view


@dataclass(frozen=True)
class ClusterTests:
    """Per-cluster Binder quantities (arrays over the clusters that could be tested).

    Attributes
    ----------
    day0
        The cluster's calendar day 0.
    size
        Securities q in the cluster (the number of restrictions).
    nu
        Residual degrees of freedom ``M - 2`` (M common estimation days).
    wald
        ``W = c' Omega^{-1} c``, c the vector of CARs.
    f
        Hotelling ``F = (nu - q + 1) / (q nu) W``.
    p
        Upper-tail p-value of ``f`` under F(q, nu - q + 1).
    car_sum
        ``1'c``, the sum of the cluster's CARs.
    car_sum_var
        ``1' Omega 1``, its variance.
    skipped
        Clusters that could not be tested, with the reason.
    """

    day0: np.ndarray
    size: IntArray
    nu: IntArray
    wald: np.ndarray
    f: np.ndarray
    p: np.ndarray
    car_sum: np.ndarray
    car_sum_var: np.ndarray
    skipped: list[str]


def _cluster_index(panel: EventPanel, use: np.ndarray) -> list[np.ndarray]:
    """Row indices of each cluster, as (clusters, size) arrays, one array per size.

    Clusters are the pairs of ``use`` with the same calendar day 0; a ticker repeated
    within a cluster is kept once (its first row).
    """
    rows = np.flatnonzero(use)
    if rows.size == 0:
        return []
    _, labels = np.unique(panel.day0[rows], return_inverse=True)  # as date_clusters
    _, ticker_code = np.unique(panel.ticker[rows].astype(str), return_inverse=True)
    key = labels * (int(ticker_code.max()) + 1) + ticker_code
    _, first = np.unique(key, return_index=True)
    rows, labels = rows[first], labels[first]
    order = np.argsort(labels, kind="stable")
    rows, labels = rows[order], labels[order]
    _, starts, sizes = np.unique(labels, return_index=True, return_counts=True)
    return [rows[starts[sizes == s][:, None] + np.arange(s)[None, :]] for s in np.unique(sizes)]


def _balanced(panel: EventPanel, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(G, L1) the estimation days on which every member of each cluster ``idx`` (G, s)
    has both returns, and their number ``M`` (G,); kept on the panel. Made before the
    fit: a cluster with ``M - 2 < s`` is skipped, and its (s, s) matrices are never
    formed (40 clusters of 2,500 securities: 4 GB)."""

    def days() -> tuple[np.ndarray, np.ndarray]:
        est = np.ones((len(idx), panel.returns_est.shape[1]), dtype=bool)
        for member in range(idx.shape[1]):  # one member at a time: no (G, s, L1) arrays
            rows = idx[:, member]
            est &= np.isfinite(panel.returns_est[rows]) & np.isfinite(panel.market_est[rows])
        return est, est.sum(axis=1).astype(np.float64)

    return panel.cached(("binder days", idx.shape, idx.tobytes()), days)


def _estimation(panel: EventPanel, idx: np.ndarray) -> dict[str, np.ndarray]:
    """The window-free part of the Binder system of G clusters of size s, ``idx`` (G, s):
    the market-model fit on the balanced estimation days, kept on the panel (every CAR
    window of the clusters shares it)."""

    def fit() -> dict[str, np.ndarray]:
        y, x = panel.returns_est[idx], panel.market_est[idx]  # (G, s, L1)
        est, m = _balanced(panel, idx)  # (G, L1) balanced days, (G,) their number
        e3 = est[:, None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            mx = np.where(e3, x, 0.0).sum(axis=2) / m[:, None]
            my = np.where(e3, y, 0.0).sum(axis=2) / m[:, None]
            dx = np.where(e3, x - mx[:, :, None], 0.0)
            dy = np.where(e3, y - my[:, :, None], 0.0)
            sxx = (dx * dx).sum(axis=2)
            beta = (dx * dy).sum(axis=2) / sxx
            resid = dy - beta[:, :, None] * dx
            sigma = resid @ resid.transpose(0, 2, 1) / (m - 2.0)[:, None, None]
        return {
            "m": m, "mx": mx, "sxx": sxx, "beta": beta, "alpha": my - beta * mx,
            "sigma": sigma, "cross": dx @ dx.transpose(0, 2, 1),
        }  # fmt: skip

    return panel.cached(("binder estimation", idx.shape, idx.tobytes()), fit)


def _event_days(panel: EventPanel, idx: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    """(G, L) the CAR-window days on which every member of each cluster has both returns."""
    ye = panel.returns_evt[idx][:, :, in_window]
    xe = panel.market_evt[idx][:, :, in_window]
    return (np.isfinite(ye) & np.isfinite(xe)).all(axis=1)


def _days(
    panel: EventPanel, idx: np.ndarray, in_window: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Balanced estimation days ``M`` and CAR-window days ``L`` of each cluster (as _batch)."""
    evt = _event_days(panel, idx, in_window)
    return _balanced(panel, idx)[1], evt.sum(axis=1).astype(np.float64)


def _batch(panel: EventPanel, idx: np.ndarray, in_window: np.ndarray) -> dict[str, np.ndarray]:
    """Binder quantities for G clusters of equal size s, ``idx`` of shape (G, s).

    With ``u_i`` of the module docstring, ``u_i'u_j = L^2/M + k_i k_j sum_t dx_it dx_jt``
    (``k_i = sum_{s in window} (R_mi,s - mean R_mi) / S_mm,i``, ``dx`` the centred
    benchmark returns on the estimation days, whose sum is 0): only the CAR-window
    sums are computed per window.
    """
    fit = _estimation(panel, idx)
    m, mx, sxx, beta = fit["m"], fit["mx"], fit["sxx"], fit["beta"]
    ye = panel.returns_evt[idx][:, :, in_window]  # (G, s, L)
    xe = panel.market_evt[idx][:, :, in_window]
    d3 = _event_days(panel, idx, in_window)[:, None, :]
    length = d3[:, 0, :].sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ar = np.where(d3, ye - fit["alpha"][:, :, None] - beta[:, :, None] * xe, 0.0)
        car = ar.sum(axis=2)
        k = np.where(d3, xe - mx[:, :, None], 0.0).sum(axis=2) / sxx
        uu = (length**2 / m)[:, None, None] + k[:, :, None] * k[:, None, :] * fit["cross"]
        omega = fit["sigma"] * (length[:, None, None] + uu)
    return {"m": m, "length": length, "sxx": sxx, "car": car, "omega": omega}


def cluster_tests(panel: EventPanel, window: tuple[int, int]) -> ClusterTests:
    """Binder (1985) joint test of every cluster of pairs sharing day 0.

    For each cluster: ``W = c' Omega^{-1} c`` (H0: the CAR of every security in the
    cluster is 0, q = n restrictions) and the Hotelling small-sample
    ``F = (nu - q + 1)/(q nu) W ~ F(q, nu - q + 1)``, ``nu = M - 2`` (exact under normal
    errors when the members share the benchmark, as in the Gibbons, Ross & Shanken
    1989 test; approximate otherwise). Clusters with ``q > nu``, no common CAR-window
    day or a singular covariance are skipped.
    """
    w = window_view(panel, window)
    use = w.has_car & np.isfinite(panel.sigma)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ClusterTests.__dataclass_fields__}
    skipped: list[str] = []
    for idx in _cluster_index(panel, use):
        size = idx.shape[1]
        m, length = _days(panel, idx, w.in_window)
        if not ((length > 0) & (m - 2.0 >= size)).any():  # every cluster skipped: no algebra
            for g in range(len(idx)):
                why = (
                    "no CAR-window day where every member has a return"
                    if length[g] == 0
                    else f"{size} securities but only {int(m[g] - 2.0)} residual degrees of freedom"
                )
                skipped.append(f"cluster of {size} on {panel.day0[idx[g, 0]]}: {why}")
            continue
        b = _batch(panel, idx, w.in_window)
        nu = b["m"] - 2.0
        ok = (b["length"] > 0) & (nu >= size) & (b["sxx"] > 0).all(axis=1)
        ok &= np.isfinite(b["omega"]).all(axis=(1, 2))
        vals, vecs = np.linalg.eigh(np.where(ok[:, None, None], b["omega"], np.eye(size)))
        ok &= vals[:, 0] > 1e-12 * np.maximum(vals[:, -1], 0)
        proj = np.einsum("gij,gi->gj", vecs, b["car"])
        with np.errstate(invalid="ignore", divide="ignore"):
            wald = (proj**2 / vals).sum(axis=1)
        for g in np.flatnonzero(~ok):
            why = (
                "no CAR-window day where every member has a return"
                if b["length"][g] == 0
                else f"{size} securities but only {int(nu[g])} residual degrees of freedom"
                if nu[g] < size
                else "singular residual covariance"
            )
            skipped.append(f"cluster of {size} on {panel.day0[idx[g, 0]]}: {why}")
        nu_ok = nu[ok]
        f = (nu_ok - size + 1) / (size * nu_ok) * wald[ok]
        parts["day0"].append(panel.day0[idx[ok, 0]])
        parts["size"].append(np.full(ok.sum(), size, dtype=np.int64))
        parts["nu"].append(nu_ok.astype(np.int64))
        parts["wald"].append(wald[ok])
        parts["f"].append(f)
        parts["p"].append(special.fdtrc(size, nu_ok - size + 1, f))
        parts["car_sum"].append(b["car"][ok].sum(axis=1))
        parts["car_sum_var"].append(b["omega"][ok].sum(axis=(1, 2)))
    arrays = {
        k: (np.concatenate(v) if v else np.empty(0)) for k, v in parts.items() if k != "skipped"
    }
    if not parts["day0"]:
        arrays["day0"] = np.empty(0, dtype="datetime64[D]")
    arrays["size"] = arrays["size"].astype(np.int64)
    arrays["nu"] = arrays["nu"].astype(np.int64)
    return ClusterTests(**arrays, skipped=skipped)


def _skip_note(ct: ClusterTests) -> str:
    if not ct.skipped:
        return ""
    head = "; ".join(ct.skipped[:3])
    more = f" (+{len(ct.skipped) - 3} more)" if len(ct.skipped) > 3 else ""
    return f"skipped {len(ct.skipped)} cluster(s): {head}{more}"


def binder_f(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Binder (1985) joint F test that every security's CAR is zero.

    Per cluster of pairs sharing day 0 (see the module docstring for the regression
    and the closed form): the Wald statistic ``W = c' Omega^{-1} c`` with
    ``Omega_ij = sigma_ij a_i'a_j`` (``Sigma`` estimated from the system's residuals,
    so cross-correlation is part of the test) and the Hotelling small-sample
    ``F = (nu - q + 1)/(q nu) W`` on F(q, nu - q + 1), q = securities, nu = M - 2.

    One cluster: the statistic is that F. Several clusters (different days 0, taken
    as independent): their exact p-values are combined by Lancaster's (1961)
    generalization of Fisher's method, ``X = sum_c chi2_{q_c}^{-1}(1 - p_c)`` which is
    chi2(Q) with ``Q = sum_c q_c`` under H0; the statistic reported is ``X / Q``
    (an F(Q, inf)-scaled chi-square) and the distribution says so.

    References
    ----------
    Binder, J. J. (1985). On the use of the multivariate regression model in event
    studies. *Journal of Accounting Research* 23(1), 370-383.
    Gibbons, M. R., Ross, S. A. and Shanken, J. (1989). A test of the efficiency of a
    given portfolio. *Econometrica* 57(5), 1121-1152.
    Lancaster, H. O. (1961). The combination of probabilities: an application of
    orthonormal functions. *Australian Journal of Statistics* 3(1), 20-33.
    """
    return binder_f_of(cluster_tests(panel, window))


def binder_f_of(ct: ClusterTests) -> TestResult:
    """:func:`binder_f` from the clusters' tests (one cluster: its F; several: Lancaster)."""
    name = "binder_f"
    note = _skip_note(ct)
    n = int(ct.size.sum())
    if ct.size.size == 0:
        return unavailable(name, note or "no pair has a CAR in this window", 0)
    if ct.size.size == 1:
        q, d2 = int(ct.size[0]), int(ct.nu[0] - ct.size[0] + 1)
        f = float(ct.f[0])
        return result(name, f, p_fisher(f, q, d2), n, (q, d2), f"F({q}, {d2})", note)
    q = int(ct.size.sum())
    x = float(special.chdtri(ct.size, ct.p).sum())
    p = float(special.chdtrc(q, x))
    text = f"chi2({q})/{q}, Lancaster combination of {ct.size.size} cluster F tests"
    return result(name, x / q, p, n, (q, np.inf), text, note)


def binder_caar_t(panel: EventPanel, window: tuple[int, int]) -> TestResult:
    """Binder (1985) test of the average CAR with the system covariance.

    ``t = sum_c 1'c_c / sqrt(sum_c 1' Omega_c 1)``: the sum of all CARs over its
    standard error, cross-covariances within each cluster included (clusters taken as
    independent). Referred to Student t with the smallest cluster's ``nu = M - 2``
    degrees of freedom (conservative; exact for a single pair).

    References
    ----------
    Binder, J. J. (1985). On the use of the multivariate regression model in event
    studies. *Journal of Accounting Research* 23(1), 370-383.
    """
    return binder_caar_t_of(cluster_tests(panel, window))


def binder_caar_t_of(ct: ClusterTests) -> TestResult:
    """:func:`binder_caar_t` from the clusters' tests."""
    name = "binder_caar_t"
    note = _skip_note(ct)
    n = int(ct.size.sum())
    if ct.size.size == 0:
        return unavailable(name, note or "no pair has a CAR in this window", 0)
    t = float(ct.car_sum.sum() / np.sqrt(ct.car_sum_var.sum()))
    df = int(ct.nu.min())
    return result(name, t, p_student(t, df), n, df, f"t({df})", note)
