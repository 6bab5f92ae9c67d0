"""The numbers behind the figures (also what the tests compare with the CSV files).

Everything here is vectorised over the study's tables: a study of 20,000 events costs
a few group-bys, never a Python loop over its events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from eventstudy.outputs.bands import CONFIDENCE, cross_section

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

_GROUPS: dict[int, tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}
"""Row positions per event of the last tables asked about (see :func:`event_rows`)."""


def event_rows(table: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """The rows of ``table`` (``abnormal_returns`` or ``car``) that belong to one event.

    The positions of every event are found in one group-by per table and kept for the
    next call (the figures of a run ask for one event at a time; forked figure workers
    inherit them), instead of comparing every row's id for every figure.
    """
    cached = _GROUPS.get(id(table))
    if cached is None or cached[0] is not table:
        if len(_GROUPS) >= 4:
            _GROUPS.clear()
        cached = (table, table.groupby("event_id", sort=False).indices)
        _GROUPS[id(table)] = cached
    return table.iloc[cached[1].get(event_id, np.empty(0, dtype="int64"))]


def _critical(frame: pd.DataFrame, result: RunResult) -> np.ndarray:
    """Two-sided t critical values per row, df = n_est - 2 of the row's pair."""
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    keys = pd.MultiIndex.from_arrays([frame["event_id"], frame["ticker"]])
    df = n_est.reindex(keys).to_numpy(dtype="float64") - 2
    return special.stdtrit(df, 0.5 + CONFIDENCE / 2)


def caar(result: RunResult) -> pd.DataFrame:
    """The CAAR path of the study: :func:`cross_section` of ``car`` over all pairs."""
    return cross_section(result.abnormal_returns, "car")


UNCATEGORISED = "(no category)"
"""The group of events without a ``category`` in :func:`caar_by_category`."""


def event_categories(result: RunResult) -> pd.Series:
    """Each run event's category (``UNCATEGORISED`` when it has none), by event id."""
    return pd.Series(
        [e.category or UNCATEGORISED for e in _run_events(result)],
        index=pd.Index(result.event_ids, name="event_id"),
        name="category",
    )


def _run_events(result: RunResult) -> list:
    wanted = set(result.event_ids)
    return [e for e in result.study.events if e.id in wanted]


def caar_by_category(result: RunResult) -> tuple[pd.DataFrame, pd.Series]:
    """The CAAR of each event category: mean CAR of its pairs per relative day.

    Returns
    -------
    tuple
        A frame indexed by ``rel_day`` with one column per category, and the number of
        estimated events per category (most events first; ties in file order).
    """
    frame = result.abnormal_returns
    categories = event_categories(result)
    category = frame["event_id"].map(categories)
    paths = frame.groupby([category, frame["rel_day"]], sort=False)["car"].mean().unstack(0)
    counts = frame.drop_duplicates("event_id")["event_id"].map(categories).value_counts(sort=False)
    order = counts.sort_values(ascending=False, kind="stable")
    return paths.sort_index()[order.index], order


def default_window(result: RunResult) -> tuple[int, int]:
    """``(0, 1)`` if the study has that CAR window, else its first window."""
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    return (0, 1) if (0, 1) in windows else windows[0]


def smallest_p(p: pd.Series, order: list[str], limit: int) -> list[str]:
    """The ``limit`` keys of ``order`` with the smallest ``p`` (NaN last), in that order."""
    if len(order) <= limit:
        return list(order)
    values = p.reindex(order).fillna(2.0).to_numpy()
    keep = np.sort(np.argsort(values, kind="stable")[:limit])  # ties: the given order
    return [order[i] for i in keep]


def car_matrix(
    result: RunResult,
    window: tuple[int, int] | None = None,
    events: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CAR (in %) and p-values of one window as event x security frames.

    Rows are the events run (file order; ``events``: only those), columns the
    securities (first appearance) of those events' pairs, estimated or skipped; NaN
    where a pair was skipped or is not part of the event.
    """
    start, end = window or default_window(result)
    car = result.car_window(start, end)
    events = list(result.event_ids) if events is None else events
    alignment = pd.DataFrame(
        {"event_id": [a.event_id for a in result.alignments]},
    ).assign(ticker=[a.ticker for a in result.alignments])
    if len(events) < len(result.event_ids):
        car = car[car["event_id"].isin(events)]
        alignment = alignment[alignment["event_id"].isin(events)]
    tickers = list(dict.fromkeys(alignment["ticker"]))
    values = car.pivot(index="event_id", columns="ticker", values="car") * 100
    pvalues = car.pivot(index="event_id", columns="ticker", values="car_p")
    return values.reindex(index=events, columns=tickers), pvalues.reindex(
        index=events, columns=tickers
    )


def normalised_prices(result: RunResult) -> tuple[pd.DataFrame, list[str]]:
    """Adjusted closes of the study's securities and benchmarks, first price = 100.

    Returns the frame (one column per ticker, securities first) and the benchmarks'
    names. Each series is divided by its own first price in the table.
    """
    prices = result.prices.adj_close
    securities = list(dict.fromkeys(a.ticker for a in result.alignments))
    benchmarks = list(dict.fromkeys(result.models["benchmark"]))
    columns = [t for t in [*securities, *benchmarks] if t in prices.columns]
    columns = list(dict.fromkeys(columns))
    frame = prices[columns]
    first = frame.bfill().iloc[0] if len(frame) else pd.Series(np.nan, index=columns)
    bench = [b for b in benchmarks if b in columns and b not in securities]
    return frame / first * 100, bench


ANCHOR = -1
"""The relative day at which every CAR path of a figure is 0."""


def anchored(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``abnormal_returns`` with ``car`` re-based to 0 at day :data:`ANCHOR`.

    Per pair, ``car`` becomes the sum of the ARs from day 0 to ``tau`` (``tau >= 0``;
    so day +1 is CAR[0, +1], the number of ``car.csv``) and minus the sum from
    ``tau + 1`` to -1 before (the drift into the event); ``car_se`` becomes the square
    root of the sum of the same days' prediction-error variances ``ar_se**2`` (the small
    covariance that estimation error adds between days is left out). A window that
    starts after day -1 is anchored just before its first day.
    """
    out = frame.copy()
    key = [out["event_id"], out["ticker"]]
    var = out["ar_se"].astype("float64").pow(2).fillna(0.0).groupby(key, sort=False).cumsum()
    ar = out["ar"].astype("float64").fillna(0.0).groupby(key, sort=False).cumsum()
    before = out["rel_day"] <= ANCHOR
    last = out[before].groupby(["event_id", "ticker"], sort=False)["rel_day"].idxmax()
    base = pd.DataFrame({"ar": ar[last].to_numpy(), "var": var[last].to_numpy()}, index=last.index)
    base.index = pd.MultiIndex.from_frame(out.loc[last.to_numpy(), ["event_id", "ticker"]])
    keys = pd.MultiIndex.from_arrays(key)
    ar0 = base["ar"].reindex(keys).fillna(0.0).to_numpy()
    var0 = base["var"].reindex(keys).fillna(0.0).to_numpy()
    out["car"] = np.where(out["ar"].notna(), ar.to_numpy() - ar0, np.nan)
    out["car_se"] = np.sqrt(np.abs(var.to_numpy() - var0))
    return out


def headline(result: RunResult, event_id: str) -> tuple[tuple[int, int], pd.DataFrame]:
    """The CAR window the report shows (:func:`default_window`) and this event's rows of
    it in ``car.csv`` (ticker, car, car_p), smallest p first."""
    window = default_window(result)
    rows = event_rows(result.car, event_id)
    rows = rows[(rows["window_start"] == window[0]) & (rows["window_end"] == window[1])]
    return window, rows.sort_values("car_p", kind="stable")[["ticker", "car", "car_p"]]
