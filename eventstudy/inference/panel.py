"""The inputs every cross-sectional test needs, one row per (event, security) pair.

:class:`EventPanel` stacks what the normal-return model step produced for N pairs:
event-window abnormal returns, estimation-window residuals, the benchmark and security
returns on both windows, the per-pair model summaries that enter the forecast-error
variance, and the labels (event id, ticker, calendar day 0) used for grouping and for
detecting event-date clustering. NaN marks a missing return everywhere.

The forecast-error variance is the market model's by default
(``1/M + (R_mt - mean R_m)^2 / S_mm`` per day, from ``n_est``, ``market_mean`` and
``market_sxx``). For any other linear normal-return model (constant-mean, factor,
...) pass its event-window prediction design ``design_evt`` (N, L2, k), the
estimation ``(X'X)^{-1}`` as ``xtx_inv`` (N, k, k) and the residual ``df``
(``n_est - k``): the variance becomes ``s^2 (L + a' (X'X)^{-1} a)``, ``a`` the summed
design rows of the included days (MacKinlay 1997, eqs. 9-12).

A model with conditional variances (the GARCH(1,1) market model,
:mod:`eventstudy.models.garch`) passes them as ``ar_var`` (event days: the forecasts) and
``resid_var`` (estimation days: the fitted variances). They replace ``s^2`` day by
day wherever the tests standardize: ``Var(CAR) = sum_t h_t + s^2 a' (X'X)^{-1} a``,
``SAR_t = AR_t / sqrt(h_t + s^2 x_t' (X'X)^{-1} x_t)`` and estimation residuals
``e_t / sqrt(h_t)``. Without them every day's variance is ``s^2``.

What the tests derive from a panel window by window (the CAR, its variance, the
standardized returns) is in :mod:`eventstudy.inference.views`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from eventstudy.models.fits import MarketModelFit

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
T = TypeVar("T")
_PER_PAIR_LOCK = threading.RLock()  # per-pair values of a study panel are made once
_LOCKS_LOCK = threading.Lock()  # guards each panel's table of per-key locks

_PER_PAIR = ("sigma", "n_est", "market_mean", "market_sxx", "day0", "event_id", "ticker")
_EVENT_WINDOW = ("ar", "market_evt", "returns_evt")
_ESTIMATION_WINDOW = ("residuals", "market_est", "returns_est", "est_dates")


@dataclass(frozen=True)
class EventPanel:
    """Abnormal returns and estimation-window data of N (event, security) pairs.

    Attributes
    ----------
    ar
        (N, L2) event-window abnormal returns ``R - alpha - beta R_m``; NaN = missing.
    residuals
        (N, L1) estimation-window market-model residuals; NaN = missing.
    market_evt, market_est
        (N, L2) and (N, L1) benchmark returns on the event and estimation days.
    returns_evt, returns_est
        (N, L2) and (N, L1) security returns (used by the Binder regression).
    sigma
        (N,) residual standard deviation ``sqrt(SSR / (n_est - 2))``.
    n_est
        (N,) valid estimation returns.
    market_mean, market_sxx
        (N,) estimation-window benchmark mean and sum of squared deviations.
    rel_days
        (L2,) relative day of each event-window column (day 0 is the event day).
    day0
        (N,) ``datetime64`` calendar date of day 0: pairs with the same day 0 form an
        event-date cluster.
    est_dates
        (N, L1) ``datetime64`` calendar dates of the estimation days (calendar-time
        alignment of residuals, an option of the Kolari-Pynnönen r-bar).
    event_id, ticker
        (N,) labels, for grouping.
    df
        (N,) residual degrees of freedom of the normal-return model; default
        ``n_est - 2`` (market model). Patell-type variances use ``df / (df - 2)``.
    xtx_inv, design_evt
        Optional (N, k, k) estimation ``(X'X)^{-1}`` and (N, L2, k) event-window
        prediction design of a general linear model; both or neither. When given they
        replace the market-model forecast-error term.
    ar_var, resid_var
        Optional (N, L2) and (N, L1) conditional variances of the disturbances on the
        event and estimation days (both or neither); default ``sigma^2`` every day.

    Notes
    -----
    A panel is immutable, so what the tests derive from it is kept on it
    (:meth:`cached`): the window views, the r-bar of a set of pairs. Quantities of
    each pair alone (its ranks, its standardized returns) are computed once on the
    panel a :meth:`subset` was cut from and sliced (:meth:`per_pair`), so running the
    tests on many groups of one study costs one pass over the pairs, not one per
    group.
    """

    ar: FloatArray
    residuals: FloatArray
    market_evt: FloatArray
    market_est: FloatArray
    returns_evt: FloatArray
    returns_est: FloatArray
    sigma: FloatArray
    n_est: IntArray
    market_mean: FloatArray
    market_sxx: FloatArray
    rel_days: IntArray
    day0: NDArray[np.datetime64]
    est_dates: NDArray[np.datetime64]
    event_id: NDArray[np.object_]
    ticker: NDArray[np.object_]
    df: IntArray | None = None
    xtx_inv: FloatArray | None = None
    design_evt: FloatArray | None = None
    ar_var: FloatArray | None = None
    resid_var: FloatArray | None = None
    _root: EventPanel | None = field(default=None, init=False, repr=False, compare=False)
    _rows: IntArray | None = field(default=None, init=False, repr=False, compare=False)
    _cache: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _locks: dict[Hashable, threading.Lock] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        coerce = {
            "ar": np.float64,
            "residuals": np.float64,
            "market_evt": np.float64,
            "market_est": np.float64,
            "returns_evt": np.float64,
            "returns_est": np.float64,
            "sigma": np.float64,
            "n_est": np.int64,
            "market_mean": np.float64,
            "market_sxx": np.float64,
            "rel_days": np.int64,
            "day0": "datetime64[D]",
            "est_dates": "datetime64[D]",
            "event_id": object,
            "ticker": object,
        }
        if self.df is None:
            object.__setattr__(self, "df", np.asarray(self.n_est, dtype=np.int64) - 2)
        coerce["df"] = np.int64
        if (self.xtx_inv is None) != (self.design_evt is None):
            raise ValueError("give both xtx_inv and design_evt, or neither")
        if self.xtx_inv is not None:
            coerce |= {"xtx_inv": np.float64, "design_evt": np.float64}
        if (self.ar_var is None) != (self.resid_var is None):
            raise ValueError("give both ar_var and resid_var, or neither")
        if self.ar_var is not None:
            coerce |= {"ar_var": np.float64, "resid_var": np.float64}
        for name, dtype in coerce.items():
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        if self.ar.ndim != 2 or self.residuals.ndim != 2:
            raise ValueError("ar and residuals must be 2-D arrays (pairs, days)")
        n, l2 = self.ar.shape
        l1 = self.residuals.shape[1]
        expected = {name: (n, l2) for name in _EVENT_WINDOW}
        expected |= {name: (n, l1) for name in _ESTIMATION_WINDOW}
        expected |= {name: (n,) for name in (*_PER_PAIR, "df")}
        expected["rel_days"] = (l2,)
        if self.xtx_inv is not None:
            k = self.xtx_inv.shape[-1]
            expected |= {"xtx_inv": (n, k, k), "design_evt": (n, l2, k)}
        if self.ar_var is not None:
            expected |= {"ar_var": (n, l2), "resid_var": (n, l1)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {shape}")

    @property
    def n_pairs(self) -> int:
        """Number of (event, security) pairs N."""
        return int(self.ar.shape[0])

    def subset(self, mask: ArrayLike) -> EventPanel:
        """The panel restricted to the pairs selected by a boolean mask or row indices
        (every pair, in order: the panel itself, whose cached values are shared)."""
        rows = np.asarray(mask)
        if rows.dtype == np.bool_ and rows.shape != (self.n_pairs,):
            raise ValueError(f"mask has shape {rows.shape}, expected ({self.n_pairs},)")
        rows = np.flatnonzero(rows) if rows.dtype == np.bool_ else rows
        if len(rows) == self.n_pairs and np.array_equal(rows, np.arange(self.n_pairs)):
            return self  # the panel is immutable: every pair selected is the panel itself
        values = {
            f.name: (v if f.name == "rel_days" or v is None else v[rows])
            for f in fields(self)
            if f.init
            for v in [getattr(self, f.name)]
        }
        sub = EventPanel(**values)
        root_rows = rows if self._rows is None else self._rows[rows]
        object.__setattr__(sub, "_root", self if self._root is None else self._root)
        object.__setattr__(sub, "_rows", root_rows)
        return sub

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per panel and ``key`` and kept on the panel.

        The value must not be modified by the caller (arrays are returned read-only
        where the cache makes them). Safe in threads: a value wanted by several at once
        is computed by one while the others wait for it (the tests of one group's CAR
        windows run in threads and share the window-free values).
        """
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        with _LOCKS_LOCK:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
        return self._cache[key]  # type: ignore[no-any-return]

    def per_pair(self, name: str, compute: Callable[[EventPanel], np.ndarray]) -> np.ndarray:
        """A per-pair array (first axis = pairs) of this panel, ``compute(panel)``.

        ``compute`` must treat every pair on its own (row ``i`` of the result depends
        on pair ``i`` only). It runs once on the panel this one was cut from with
        :meth:`subset` (under a lock, so groups run in threads share it), and its rows
        for these pairs are returned (read-only).
        """
        key = ("per_pair", name)
        if self._root is not None:

            def rows() -> np.ndarray:
                value = self._root.per_pair(name, compute)[self._rows]  # type: ignore[union-attr]
                value.flags.writeable = False
                return value

            return self.cached(key, rows)
        with _PER_PAIR_LOCK:
            if key not in self._cache:
                value = np.asarray(compute(self))
                value.flags.writeable = False
                self._cache[key] = value
        return self._cache[key]  # type: ignore[no-any-return]

    @classmethod
    def concat(cls, panels: list[EventPanel]) -> EventPanel:
        """Stack the pairs of several panels with the same windows into one panel."""
        if not panels:
            raise ValueError("no panels to concatenate")
        first = panels[0]
        for other in panels[1:]:
            if not np.array_equal(other.rel_days, first.rel_days) or (
                other.residuals.shape[1] != first.residuals.shape[1]
            ):
                raise ValueError("panels must share the event and estimation windows")
            if (other.xtx_inv is None) != (first.xtx_inv is None):
                raise ValueError("either every panel has a general design or none has")
        if any(p.ar_var is not None for p in panels):  # sigma^2 for the pairs without
            panels = [p if p.ar_var is not None else p.with_day_variances() for p in panels]
        values = {
            f.name: (
                first.rel_days
                if f.name == "rel_days"
                else None
                if getattr(first, f.name) is None
                else np.concatenate([getattr(p, f.name) for p in panels])
            )
            for f in fields(cls)
            if f.init
        }
        return cls(**values)

    def with_day_variances(self) -> EventPanel:
        """This panel with ``ar_var`` and ``resid_var`` given (``sigma^2`` if absent)."""
        if self.ar_var is not None:
            return self
        from dataclasses import replace

        s2 = (self.sigma**2)[:, None]
        return replace(
            self,
            ar_var=np.broadcast_to(s2, self.ar.shape),
            resid_var=np.broadcast_to(s2, self.residuals.shape),
        )

    @classmethod
    def from_market_model(
        cls,
        fit: MarketModelFit,
        *,
        returns_est: ArrayLike,
        market_est: ArrayLike,
        returns_evt: ArrayLike,
        market_evt: ArrayLike,
        rel_days: ArrayLike,
        day0: ArrayLike,
        est_dates: ArrayLike,
        event_id: ArrayLike,
        ticker: ArrayLike,
    ) -> EventPanel:
        """Build a panel from a market-model fit and the stacked return arrays.

        ``fit`` needs ``expected(market)``, ``sigma``, ``n_est``, ``market_mean`` and
        ``market_sxx`` (and, if it has one, ``df``). Residuals and abnormal returns are
        ``R - alpha - beta R_m`` on the estimation and event days; they are NaN
        wherever either return is missing.
        """
        r_est = np.asarray(returns_est, dtype=np.float64)
        m_est = np.asarray(market_est, dtype=np.float64)
        r_evt = np.asarray(returns_evt, dtype=np.float64)
        m_evt = np.asarray(market_evt, dtype=np.float64)
        return cls(
            ar=r_evt - fit.expected(m_evt),
            residuals=r_est - fit.expected(m_est),
            market_evt=m_evt,
            market_est=m_est,
            returns_evt=r_evt,
            returns_est=r_est,
            sigma=fit.sigma,
            n_est=fit.n_est,
            market_mean=fit.market_mean,
            market_sxx=fit.market_sxx,
            rel_days=np.asarray(rel_days),
            day0=np.asarray(day0),
            est_dates=np.asarray(est_dates),
            event_id=np.asarray(event_id),
            ticker=np.asarray(ticker),
            df=getattr(fit, "df", None),
        )

    def forecast_term(self, included: BoolArray) -> FloatArray:
        """``a' (X'X)^{-1} a`` per pair, ``a`` the summed design rows of the (N, L2)
        ``included`` days: the estimation-error part of ``Var(CAR) / s^2``.

        Market model (no general design): ``L^2/M + (sum (R_mt - mean R_m))^2 / S_mm``.
        """
        if self.xtx_inv is not None:
            a = np.where(included[..., None], self.design_evt, 0.0).sum(axis=1)  # type: ignore[index]
            return np.einsum("nk,nkj,nj->n", a, self.xtx_inv, a)
        days = included.sum(axis=1).astype(np.float64)
        centred = np.where(included, self.market_evt - self.market_mean[:, None], 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return days**2 / self.n_est + centred**2 / self.market_sxx


def row_patterns(mask: BoolArray) -> tuple[BoolArray, IntArray]:
    """The distinct rows of a 2-D boolean ``mask`` (first-seen order) and each row's index.

    Equivalent to ``np.unique(mask, axis=0, return_inverse=True)`` up to the order of
    the patterns, but by hashing packed rows instead of sorting them (which is slow for
    tens of thousands of rows).
    """
    if mask.all() or not mask.any():
        return mask[:1].copy(), np.zeros(len(mask), dtype=np.int64)
    seen: dict[bytes, int] = {}
    packed = np.packbits(mask, axis=1)
    inverse = np.fromiter(
        (seen.setdefault(row.tobytes(), len(seen)) for row in packed),
        dtype=np.int64,
        count=len(mask),
    )
    first = np.unique(inverse, return_index=True)[1]
    return mask[first], inverse


def rows_of(array: np.ndarray, use: BoolArray) -> np.ndarray:
    """``array[use]``, or ``array`` itself (no copy) when every row is used."""
    return array if use.all() else array[use]
