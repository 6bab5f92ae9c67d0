"""Abnormal trading volume: the ``volume`` measure (``measures: [return, volume]``).

The volume of a session is measured as ``V = ln(1 + shares traded)`` (a session with
zero volume gives 0; a session without a volume figure is missing). Abnormal volume is
``AV = V - E[V]`` with, by ``volume_model``:

``mean-adjusted`` (default)
    ``E[V]`` = the mean of ``V`` over the pair's valid estimation sessions (masked
    around other events like the returns). ``s^2`` is their sample variance with
    ``n - 1`` degrees of freedom and ``Var(CAV) = s^2 (L + L^2 / n)`` for a window of
    ``L`` sessions (Campbell and Wasley, 1996, "Measuring abnormal daily trading
    volume for samples of NYSE/ASE and NASDAQ securities using parametric and
    nonparametric test statistics", *Review of Quantitative Finance and Accounting*
    6, 309-326; Ajinkya and Jain, 1989).
``market``
    OLS of ``V`` on the benchmark's ``V`` over the estimation window, with the
    MacKinlay (1997) prediction-error variance of the CAV (``n - 2`` df), exactly as
    the market model of returns.

Both are fitted for all pairs at once by the return machinery
(:func:`eventstudy.models.estimation.estimate`), so the volume :class:`Estimates` feed the
same tests as the returns (``tests.csv`` rows with ``measure = volume``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.models.estimation import Estimates, estimate, stack_pairs
from eventstudy.models.tables import tables
from eventstudy.sessions.confounders import neighbours
from eventstudy.sessions.pairs import LAG_PAD

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Client

    from eventstudy.core.study import StudySpec
    from eventstudy.data import PriceTable
    from eventstudy.sessions.pairs import Pair

__all__ = ["AV_COLUMNS", "CAV_COLUMNS", "VOLUME_MODELS", "VolumeMeasure", "measure_volume"]

AV_COLUMNS = [
    "event_id", "ticker", "rel_day", "date", "volume", "log_volume", "expected", "av", "cav",
]  # fmt: skip
"""Columns of ``abnormal_volume.csv``; then ``av_se`` (the prediction-error standard error
of each AV, for the 95% bound of ``volume.png``) and ``df``."""
CAV_COLUMNS = [
    "event_id", "ticker", "day0", "window_start", "window_end", "cav", "cav_se", "cav_t",
    "cav_p", "n_est", "model",
]  # fmt: skip
"""Columns of ``cav.csv``."""
VOLUME_MODELS = {"mean-adjusted": "constant-mean", "market": "market"}
"""``volume_model`` values and the normal-return model fitted to the log volumes."""
VOLUME_LAYOUTS = (
    "the yahoo and demo sources, a long CSV file, Parquet dataset or DataFrame with a "
    "volume column, or a per-ticker folder of CSV files with a volume column"
)
"""The price layouts that carry volumes (named in the error for the others)."""


@dataclass(frozen=True)
class VolumeMeasure:
    """The volume measure of a run: fitted log-volume models and their tables.

    Attributes
    ----------
    estimates
        The fitted volume models (one :class:`~eventstudy.models.estimation.Estimates`; empty
        when no pair could be estimated), shaped like the return estimates.
    abnormal_volume
        ``abnormal_volume.csv`` (:data:`AV_COLUMNS`).
    cav
        ``cav.csv`` (:data:`CAV_COLUMNS`).
    """

    estimates: list[Estimates] = field(repr=False)
    abnormal_volume: pd.DataFrame
    cav: pd.DataFrame


def _by_ticker(
    volume: pd.DataFrame,
    tickers: set[str],
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, pd.Series]:
    """Each of ``tickers``' volumes (``transform``-ed: ``np.log1p`` for V) as a float
    series on the frame's dates, missing volumes NaN; empty for a ticker the frame lacks.

    One conversion of the whole frame instead of one per column (1,000 securities:
    seconds to milliseconds).
    """
    values = volume.to_numpy(dtype="float64")
    if transform is not None:
        values = transform(values)
    column = {t: k for k, t in enumerate(volume.columns)}
    empty = pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
    return {
        t: pd.Series(values[:, column[t]], index=volume.index) if t in column else empty
        for t in tickers
    }


def measure_volume(
    study: StudySpec,
    pairs: list[Pair],
    table: PriceTable,
    skipped: list[tuple[str, str, str]],
    *,
    engine: str = "local",
    client: Client | None = None,
) -> VolumeMeasure:
    """Abnormal volumes and CAVs of ``pairs`` (those estimated for returns).

    Pairs whose security (or, for ``volume_model: market``, benchmark) has no volume
    go to ``skipped`` with a reason starting ``volume:``; so do pairs the volume model
    cannot be estimated for.

    Raises
    ------
    EventStudyError
        When the prices carry no volume at all (a wide file or frame).
    """
    settings = study.study
    if table.volume is None:
        raise EventStudyError(
            f"the volume measure needs trading volumes, and the {table.source} prices "
            f"have none (a wide layout has no volume); volumes come from {VOLUME_LAYOUTS} "
            "(or measure returns only: --measures return)",
            field="measures",
        )
    model = VOLUME_MODELS[settings.volume_model]
    volume = table.volume
    has = set(volume.columns[volume.notna().to_numpy().any(axis=0)])
    usable = []
    for pair in pairs:
        lacking = [pair.ticker] if pair.ticker not in has else []
        if model == "market" and pair.benchmark not in has:
            lacking.append(f"benchmark {pair.benchmark}")
        if lacking:
            what = " and ".join(lacking)
            reason = f"volume: no trading volume for {what} in the {table.source} source"
            skipped.append((pair.event_id, pair.ticker, reason))
        else:
            usable.append(pair)
    tickers = {p.ticker for p in usable} | {p.benchmark for p in usable}
    logs = _by_ticker(volume, tickers, np.log1p)
    found: list[tuple[str, str, str]] = []
    group = None
    if usable:
        first, last = settings.estimation_window[0] - LAG_PAD, settings.event_window[1]
        data = stack_pairs(usable, logs, {}, [], first, last)
        near = neighbours(study, usable)
        group = estimate(usable, data, settings, model, near, found, engine=engine, client=client)
    skipped.extend((e, t, f"volume: {reason}") for e, t, reason in found)
    if group is None:
        return VolumeMeasure(
            [], pd.DataFrame(columns=AV_COLUMNS), pd.DataFrame(columns=CAV_COLUMNS)
        )
    return VolumeMeasure([group], *_volume_tables(group, volume, settings.car_windows))


def _volume_tables(
    group: Estimates, volume: pd.DataFrame, car_windows: list[tuple[int, int]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``abnormal_volume`` and ``cav`` rows of the fitted volume group."""
    ar, car, _ = tables(group, car_windows, [])
    wanted = {p.ticker for p in group.pairs} | {p.benchmark for p in group.pairs}
    shares = _by_ticker(volume, wanted)  # a benchmark without volume is placed, never used
    raw = stack_pairs(group.pairs, shares, {}, [], group.event_window[0], group.event_window[1])
    av = ar.rename(
        columns={"ret": "log_volume", "expected_ret": "expected", "ar": "av", "car": "cav"}
    )
    av["volume"] = raw.returns.ravel()
    model = {"constant-mean": "mean-adjusted", "market": "market"}
    cav = car.rename(columns={"car": "cav", "car_se": "cav_se", "car_t": "cav_t", "car_p": "cav_p"})
    cav["model"] = cav["model"].map(model)
    av = av.rename(columns={"ar_se": "av_se"})
    av["df"] = np.repeat(group.fit.df, group.event_window[1] - group.event_window[0] + 1)
    return av[[*AV_COLUMNS, "av_se", "df"]], cav[CAV_COLUMNS]
