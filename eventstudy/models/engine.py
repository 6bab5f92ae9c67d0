"""The batch kernel that fits normal-return models for many pairs, locally or on Dask.

Every estimator of :mod:`eventstudy.models.fits` treats each (event, security) pair (a row
of the stacked arrays) independently, so the pairs can be cut into partitions, fitted
separately and put back together with identical results. :func:`fit_rows` is that
kernel; :func:`fit_pairs` runs it on all rows at once (``engine="local"``) or on
partitions of rows on a ``dask.distributed`` cluster (``engine="dask"``).

Cost grows linearly in pairs x window length: every step is a fixed number of passes
over the (pairs, days) arrays.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from eventstudy.core.errors import ArgumentError, EventStudyError
from eventstudy.models.abnormal import car_variance, t_test
from eventstudy.models.fits import FloatArray, NormalFit
from eventstudy.models.regression_fits import fit_model

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
ENGINES = ("local", "dask")
PARTITION_ROWS = 20_000  # pairs per Dask task; ~50 MB of float64 at 250 estimation days
CONNECT_TIMEOUT = "20s"  # how long connect() waits for a scheduler
LOCAL_BLOCK = 2_048  # pairs fitted at a time (one thread each) by the local engine


def fit_rows(
    model: str,
    returns: FloatArray,
    market_padded: FloatArray,
    factors: FloatArray | None,
    dimson_lags: int,
) -> NormalFit:
    """The kernel: :func:`eventstudy.models.fits.fit_model` on a block of rows."""
    return fit_model(model, returns, market_padded, factors, dimson_lags=dimson_lags)


def concat_fits(parts: list[NormalFit]) -> NormalFit:
    """Stack the fits of consecutive row blocks back into one fit."""
    if len(parts) == 1:
        return parts[0]
    values: dict[str, Any] = {}
    for f in fields(NormalFit):
        items = [getattr(p, f.name) for p in parts]
        if f.name == "model":
            values[f.name] = items[0]
        elif items[0] is None:
            values[f.name] = None
        else:
            values[f.name] = np.concatenate(items, axis=0)
    return NormalFit(**values)


def map_blocks(func: Callable[[slice], T], n_rows: int, size: int | None = None) -> list[T]:
    """``func(rows)`` for consecutive blocks of rows, in threads (one per CPU).

    Blocks hold ``size`` rows (default :data:`LOCAL_BLOCK`). numpy releases the GIL in
    array work, so blocks of pairs run on every core, and each block's temporaries
    stay small enough for the CPU caches. The results come back in block order.
    """
    blocks = partitions(n_rows, LOCAL_BLOCK if size is None else size)
    if len(blocks) == 1:
        return [func(blocks[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(blocks), os.cpu_count() or 1)) as pool:
        return list(pool.map(func, blocks))


def partitions(n_rows: int, size: int = PARTITION_ROWS) -> list[slice]:
    """Consecutive row slices of at most ``size`` rows covering ``0 .. n_rows``."""
    size = max(1, int(size))
    return [slice(i, min(i + size, n_rows)) for i in range(0, n_rows, size)] or [slice(0, 0)]


def fit_pairs(
    model: str,
    returns: FloatArray,
    market_padded: FloatArray,
    factors: FloatArray | None,
    *,
    dimson_lags: int = 1,
    engine: str = "local",
    client: Client | None = None,
    partition_rows: int = PARTITION_ROWS,
) -> NormalFit:
    """Fit ``model`` for every row, locally or on a Dask cluster (same kernel, same result).

    Parameters
    ----------
    model, returns, market_padded, factors, dimson_lags
        As for :func:`eventstudy.models.fits.fit_model`.
    engine
        ``"local"`` (default): one call on all rows. ``"dask"``: the rows are cut into
        partitions of ``partition_rows`` pairs, each fitted by a task on ``client``.
    client
        A ``dask.distributed.Client`` (required for ``engine="dask"``).
    """
    if engine == "local":

        def block(rows: slice) -> NormalFit:
            part = None if factors is None else factors[rows]
            return fit_rows(model, returns[rows], market_padded[rows], part, dimson_lags)

        return concat_fits(map_blocks(block, len(returns)))
    if engine != "dask":
        raise EventStudyError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if client is None:
        raise EventStudyError("engine 'dask' needs a dask.distributed client (or --scheduler)")
    blocks = partitions(len(returns), partition_rows)
    futures = [
        client.submit(
            fit_rows,
            model,
            returns[rows],
            market_padded[rows],
            None if factors is None else factors[rows],
            dimson_lags,
            pure=False,
        )
        for rows in blocks
    ]
    return concat_fits(client.gather(futures))


def connect(scheduler: str | None = None) -> Client:
    """A Dask client: to the scheduler at ``scheduler`` (``tcp://host:8786``), else local.

    Raises
    ------
    EventStudyError
        If ``dask[distributed]`` is not installed, or the scheduler cannot be reached
        within :data:`CONNECT_TIMEOUT`.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EventStudyError(
            "engine 'dask' needs dask.distributed: in the clone, uv sync --extra dask"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ArgumentError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc})", argument="scheduler"
            ) from None
    return Client(LocalCluster(processes=False, dashboard_address=":0"))


def disconnect(client: Client) -> None:
    """Close a client made by :func:`connect`, and its local cluster if it started one."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


@dataclass(frozen=True)
class CarStatistics:
    """Per-pair CAR statistics over one window (MacKinlay 1997)."""

    car: FloatArray
    se: FloatArray
    t: FloatArray
    p: FloatArray
    n_days: NDArray[np.int64]


def car_statistics(
    fit: NormalFit,
    returns_evt: FloatArray,
    market_evt: FloatArray,
    included_days: NDArray[np.bool_],
    factors_evt: FloatArray | None = None,
) -> tuple[FloatArray, CarStatistics]:
    """Event-window ARs (N, L2) and the CAR, its standard error, t and p per pair.

    ``included_days`` (L2,) marks the event days of the CAR window; days with a
    missing return are left out of the CAR and its variance.
    """

    def block(rows: slice) -> tuple[FloatArray, CarStatistics]:
        part = fit.take(rows)  # type: ignore[arg-type]  # a slice: views, no copies
        design = part.design(market_evt[rows], None if factors_evt is None else factors_evt[rows])
        ar = returns_evt[rows] - np.einsum("nlk,nk->nl", design, part.coef)
        included = np.isfinite(ar) & included_days[None, :]
        car = np.where(included, ar, 0.0).sum(axis=1)
        car[~included.any(axis=1)] = np.nan
        se = np.sqrt(car_variance(part, design, included))
        t, p = t_test(car, se, part.df)
        return ar, CarStatistics(car, se, t, p, included.sum(axis=1))

    parts = map_blocks(block, len(returns_evt))
    stats = {
        f.name: np.concatenate([getattr(s, f.name) for _, s in parts])
        for f in fields(CarStatistics)
    }
    return np.concatenate([ar for ar, _ in parts]), CarStatistics(**stats)
