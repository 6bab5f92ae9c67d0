"""Figures of a study of many firms' own events: the most significant events as a
forest plot (``forest``) and when the day 0s fall (``day0_dates``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.bands import CONFIDENCE
from eventstudy.outputs.plots.numbers import default_window
from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    GRID,
    INK,
    MUTED,
    _axes,
    _bars,
    _footer,
    _header,
    _legend_height,
    _new_figure,
    _study_title,
    _top_legend,
    p_text,
    plural,
    window_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

FOREST_EVENTS = 25
"""Pairs in the forest plot: those with the smallest CAR p."""


def strongest(result: RunResult, limit: int = FOREST_EVENTS) -> pd.DataFrame:
    """The ``limit`` rows of the headline window in ``car.csv`` with the smallest p
    (NaN last, ties in file order), smallest first."""
    a, b = default_window(result)
    car = result.car
    rows = car[(car["window_start"] == a) & (car["window_end"] == b)]
    order = np.argsort(rows["car_p"].fillna(2.0).to_numpy(), kind="stable")[:limit]
    return rows.iloc[order]


def plot_forest(result: RunResult) -> Figure:
    """The most significant pairs' CARs with their 95% confidence intervals.

    One row per (event, security) pair of :func:`strongest`, the smallest p on top,
    labelled with the ticker, day 0 and event id; the interval is
    ``CAR ± t_{0.975, n-2} · car_se`` (the MacKinlay 1997 standard error of ``car.csv``).
    """
    from scipy import special

    rows = strongest(result)
    a, b = default_window(result)
    n = len(rows)
    height = float(np.ceil((1.6 + 0.24 * max(n, 4)) * 4) / 4)
    fig = _new_figure(EVENT_SIZE[0], height)
    total = len(strongest(result, limit=len(result.car)))
    top = _header(
        fig,
        _study_title(result),
        f"CAR{window_label(a, b)} of the {plural(n, 'most significant pair')} of "
        f"{total:,}, {CONFIDENCE:.0%} confidence intervals",
    )
    ax = _axes(fig, 3.1, 0.75, 1.3, top + _legend_height(2) + 0.1)
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    keys = pd.MultiIndex.from_arrays([rows["event_id"], rows["ticker"]])
    crit = special.stdtrit(n_est.reindex(keys).to_numpy(dtype="float64") - 2, 0.5 + CONFIDENCE / 2)
    car = rows["car"].to_numpy(dtype="float64") * 100
    half = crit * rows["car_se"].to_numpy(dtype="float64") * 100
    y = np.arange(n)[::-1].astype("float64")
    ax.hlines(y, car - half, car + half, color=COLORS[0], lw=1.6, label=f"{CONFIDENCE:.0%} CI")
    ax.plot(car, y, "o", color=INK, ms=4.5, label=f"CAR{window_label(a, b)}")
    ax.axvline(0, color=MUTED, lw=0.9, ls="--", zorder=1)
    day0 = pd.to_datetime(rows["day0"]).dt.strftime("%Y-%m-%d").to_numpy()
    labels = [
        f"{t} · {d} · {e}"
        for t, d, e in zip(rows["ticker"].astype(str), day0, rows["event_id"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    for yi, p in zip(y, rows["car_p"].to_numpy(dtype="float64"), strict=True):
        ax.text(1.01, yi, f"p {p_text(p)}", transform=ax.get_yaxis_transform(), fontsize=7.5,
                va="center", color=MUTED)  # fmt: skip
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(color=GRID, lw=0.6, axis="x")
    ax.set_xlabel(f"Cumulative abnormal return CAR{window_label(a, b)} (%)", fontsize=9.5)
    _top_legend(ax, 2)
    _footer(fig, result, "every pair's CAR and p: car.csv")
    return fig


def plot_day0_dates(result: RunResult) -> Figure:
    """A histogram of the pairs' day 0s (per month, per week under two years of dates),
    which shows whether the events cluster in calendar time; the busiest day is named."""
    pairs = result.car.drop_duplicates(["event_id", "ticker"])
    day0 = pd.to_datetime(pairs["day0"]).dropna()
    span = (day0.max() - day0.min()).days if len(day0) else 0
    freq, unit = ("W-MON", "week") if span < 730 else ("MS", "month")
    periods = day0.dt.to_period("W" if unit == "week" else "M").dt.start_time
    counts = periods.value_counts().sort_index()
    full = pd.date_range(counts.index.min(), counts.index.max(), freq=freq) if len(counts) else []
    counts = counts.reindex(pd.DatetimeIndex(full).union(counts.index), fill_value=0)
    fig = _new_figure(*EVENT_SIZE)
    per_day = day0.value_counts()
    top = _header(
        fig,
        _study_title(result),
        f"day 0 of {plural(len(day0), 'pair')} per {unit}: clusters in calendar time "
        "make CARs cross-correlated",
    )
    ax = _axes(fig, 0.85, 0.8, 0.2, top + _legend_height(1) + 0.1)
    x = counts.index.to_numpy().astype("datetime64[D]").astype("float64")
    width = 5.5 if unit == "week" else 26.0
    _bars(ax, x, counts.to_numpy(dtype="float64"), width, COLORS[0], f"pairs per {unit}")
    ax.xaxis_date()
    ax.grid(color=GRID, lw=0.6, axis="y")
    ax.set_xlabel("Day 0 (calendar date)", fontsize=9.5)
    ax.set_ylabel(f"Pairs per {unit}", fontsize=9.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    _top_legend(ax, 1)
    busiest = (
        f"busiest day {per_day.index[0]:%Y-%m-%d} ({plural(int(per_day.iloc[0]), 'pair')}); "
        f"{plural(int((per_day > 1).sum()), 'day')} with more than one pair"
        if len(per_day)
        else "no day 0"
    )
    _footer(fig, result, busiest)
    return fig
