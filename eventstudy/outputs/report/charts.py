"""The report's hover figures, from the run's tables: the CAAR, the heat map, an event's
CAR paths and its news timeline (drawn by :mod:`eventstudy.outputs.report.svg`).

The numbers are those of the PNG figures: the CAAR band is the cross-sectional one,
``CAAR ± t_{0.975, N-1} · s/√N`` (:func:`eventstudy.outputs.bands.cross_section`),
a security's band ``CAR ± t_{0.975, n_est-2} · se`` with the MacKinlay (1997) standard
error of the running CAR (``car_se`` of abnormal_returns.csv).
"""

from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from eventstudy.outputs.bands import cross_section
from eventstudy.outputs.report.markup import window as window_label
from eventstudy.outputs.report.svg import COLORS, Path, heatmap_svg, paths_svg, timeline_svg
from eventstudy.outputs.selection import figure_events
from eventstudy.pipeline.summary import stars

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

HEATMAP_ROWS = 30
"""Events (the smallest CAR p) and securities (the smallest mean p) of the heat map."""
LINES = 8
"""Most securities drawn on one event's CAR chart (the smallest CAR p first)."""


def caar_chart(result: RunResult) -> str:
    """The CAAR over all estimated pairs with its 95% band, and each security's mean CAR
    (up to :data:`LINES` securities)."""
    frame = result.abnormal_returns
    if frame.empty:
        return ""
    stats = cross_section(frame, "car")
    days = [int(d) for d in stats.index]
    paths = [Path("CAAR", days, *((stats[c] * 100).tolist() for c in ("mean", "lower", "upper")))]
    tickers = list(pd.unique(frame["ticker"]))
    if len(tickers) <= LINES:
        by = frame.groupby(["ticker", "rel_day"], sort=False)["car"].mean() * 100
        for color, ticker in zip(cycle(COLORS), tickers, strict=False):
            path = by.loc[ticker].sort_index()
            paths.append(
                Path(f"{ticker} mean", [int(d) for d in path.index], path.tolist(), color=color)
            )
    pairs = int(stats["n"].max())  # each pair has a row on each relative day
    return paths_svg(paths, f"CAAR of {pairs:,} pairs with its 95% band (hover for values)")


def heatmap_chart(result: RunResult, window: tuple[int, int]) -> str:
    """CAR per event and security of ``window`` with stars; at most :data:`HEATMAP_ROWS`
    events and securities."""
    car = result.car_window(*window)
    if car.empty:
        return ""
    events = figure_events(result, HEATMAP_ROWS)
    car = car[car["event_id"].isin(events)]
    p = car.pivot(index="event_id", columns="ticker", values="car_p")
    tickers = list(p.mean().sort_values(kind="stable").index[:HEATMAP_ROWS])
    tickers = [t for t in dict.fromkeys(car["ticker"]) if t in set(tickers)]
    values = car.pivot(index="event_id", columns="ticker", values="car").reindex(
        events, columns=tickers
    )
    p = p.reindex(events, columns=tickers).to_numpy(dtype="float64")
    v = values.to_numpy(dtype="float64") * 100
    marks = np.array([[stars(float(x)) for x in row] for row in p], dtype=object)
    tips = np.array(
        [
            [
                f"{e} x {t}: CAR {v[i, j]:+.2f}%, p {p[i, j]:.4f} {marks[i, j]}".strip()
                if np.isfinite(v[i, j])
                else f"{e} x {t}: no estimate"
                for j, t in enumerate(tickers)
            ]
            for i, e in enumerate(events)
        ],
        dtype=object,
    ).reshape(len(events), len(tickers))
    a, b = window
    return heatmap_svg(
        events, tickers, v, marks, tips, f"CAR{window_label(a, b)} per event and security (hover)"
    )


def event_chart(event_id: str, frame: pd.DataFrame, n_est: pd.Series) -> str:
    """The CAR paths of one event's securities (``frame``: its abnormal_returns rows) with
    their 95% bands; ``n_est`` is models.csv's by (event id, ticker)."""
    if frame.empty:
        return ""
    last = frame[frame["rel_day"] == frame["rel_day"].max()]
    order = last.assign(z=(last["car"] / last["car_se"]).abs()).sort_values("z", ascending=False)
    tickers = list(order["ticker"])[:LINES]
    paths = []
    for color, ticker in zip(cycle(COLORS), tickers, strict=False):
        rows = frame[frame["ticker"] == ticker].sort_values("rel_day")
        df = float(n_est.get((event_id, ticker), np.nan)) - 2
        crit = float(special.stdtrit(df, 0.975)) if df > 0 else np.nan
        car, half = rows["car"] * 100, rows["car_se"] * crit * 100
        days = [int(d) for d in rows["rel_day"]]
        paths.append(
            Path(ticker, days, car.tolist(), (car - half).tolist(), (car + half).tolist(), color)
        )
    start = int(frame["rel_day"].min())
    more = frame["ticker"].nunique() - len(tickers)
    note = f"; {more} more securities in the tables" if more > 0 else ""
    return paths_svg(paths, f"CAR summed from day {start:+d} per security, 95% bands{note}")


def news_timeline(
    result: RunResult, frame: pd.DataFrame, car: pd.DataFrame
) -> tuple[str, list[str]]:
    """The event window as a strip with day 0 and the other events of the study inside
    it (their day on the first security's sessions), and those events' ids; ``frame``
    and ``car`` are the event's rows of abnormal_returns.csv and car.csv."""
    if frame.empty:
        return "", []
    named = (
        car["confounders"].dropna().astype(str)
        if "confounders" in car
        else pd.Series([], dtype=str)
    )
    others = list(dict.fromkeys(i for v in named for i in v.split(";") if i))
    first = frame[frame["ticker"] == frame["ticker"].iloc[0]].sort_values("rel_day")
    dates = pd.to_datetime(first["date"]).to_numpy()
    days = first["rel_day"].to_numpy()
    marks = []
    for other in others:
        event = result.study.event(other)
        at = min(int(np.searchsorted(dates, np.datetime64(event.date))), len(days) - 1)
        marks.append((int(days[at]), other, event.title))
    start, end = int(days.min()), int(days.max())
    caption = (
        f"The event window {window_label(start, end)}: day 0 and {len(marks)} other events in it"
    )
    return timeline_svg(start, end, marks, caption), others
