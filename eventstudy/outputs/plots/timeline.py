"""Prices over the study with its events (``timeline``)."""

from __future__ import annotations

import textwrap
from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.bands import QUANTILES
from eventstudy.outputs.plots.numbers import default_window, normalised_prices
from eventstudy.outputs.plots.style import (
    COLORS,
    GRID,
    INK,
    MANY_SECURITIES,
    MUTED,
    _axes,
    _footer,
    _header,
    _legend_height,
    _new_figure,
    _quarter,
    _study_title,
    _top_legend,
)
from eventstudy.outputs.selection import figure_events

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

TIMELINE_EVENTS = 40
"""The timeline marks at most this many events (those with the smallest CAR p)."""


def plot_timeline(result: RunResult) -> Figure:
    """Each security's adjusted close (first price = 100, log scale) with the events.

    Every event is a numbered vertical line at its news date, keyed below the plot,
    with a circle on each of its securities' lines at that security's day 0. Above
    :data:`TIMELINE_EVENTS` estimated events only those with the smallest CAR p are
    marked (:func:`eventstudy.outputs.selection.figure_events`); the footer says so.
    Benchmarks are dashed grey. With more than :data:`MANY_SECURITIES` securities
    the figure shows their median and the 10-90% quantile band instead.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    prices, benchmarks = normalised_prices(result)
    securities = [c for c in prices.columns if c not in benchmarks]
    many = len(securities) > MANY_SECURITIES
    shown = set(figure_events(result, TIMELINE_EVENTS))
    events = [e for e in result.study.events if e.id in shown]
    every = result.car["event_id"].nunique()
    key_cols = 2
    key_rows = -(-len(events) // key_cols)
    key_height = 0.13 * key_rows
    n_legend = (2 if many else len(securities)) + len(benchmarks)
    width = 11.0
    fig = _new_figure(width, _quarter(4.6 + key_height + _legend_height(n_legend)))
    top = _header(
        fig,
        _study_title(result),
        (
            f"Median and 10-90% range of {len(securities)} securities' adjusted closes"
            if many
            else "Adjusted close of each security"
        )
        + ", first price = 100; numbered lines: the study's events (news date)"
        + ("" if many else "; circles: each security's day 0"),
    )
    bottom = 0.3 + key_height + 0.55
    ax = _axes(fig, 0.75, bottom, 0.25, top + _legend_height(n_legend) + 0.1)
    ax.set_yscale("log")
    dates = prices.index
    colors = dict(zip(securities, cycle(COLORS), strict=False))
    if many:
        block = prices[securities]
        ax.fill_between(
            dates,
            block.quantile(QUANTILES[0], axis=1),
            block.quantile(QUANTILES[1], axis=1),
            color=COLORS[0],
            alpha=0.2,
            lw=0,
            label=f"10-90% range of {len(securities)} securities",
        )
        ax.plot(dates, block.median(axis=1), color=COLORS[0], lw=1.4, label="median")
    else:
        for ticker in securities:
            series = prices[ticker].dropna()
            ax.plot(series.index, series.to_numpy(), color=colors[ticker], lw=1.1, label=ticker)
    for ticker in benchmarks:
        series = prices[ticker].dropna()
        ax.plot(
            series.index,
            series.to_numpy(),
            color=MUTED,
            lw=0.9,
            ls="--",
            label=f"{ticker} (benchmark)",
        )
    low, high = np.nanmin(prices.to_numpy()), np.nanmax(prices.to_numpy())
    subs = (1.0, 2.0, 5.0) if high / low > 4 else (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5)
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(color=GRID, lw=0.6, which="major")
    ax.set_xlim(dates.min(), dates.max())
    if not many:  # a circle at each shown pair's day 0, one artist per security
        pairs = result.car.drop_duplicates(["event_id", "ticker"])
        pairs = pairs[pairs["event_id"].isin(shown)]
        day0 = pd.to_datetime(pairs["day0"]).groupby(pairs["ticker"]).agg(list)
        for ticker in securities:
            at = prices[ticker].reindex(day0.get(ticker, [])).dropna()
            ax.plot(
                at.index,
                at.to_numpy(),
                ls="none",
                marker="o",
                ms=5,
                mfc="white",
                mec=colors[ticker],
                mew=1.4,
                zorder=3,
            )
    # Numbered event lines, labels staggered so that neighbours do not overlap.
    span = max((dates.max() - dates.min()).days, 1)
    gap = 0.28 / (ax.get_position().width * width) * span  # about 0.28 inch per label
    last: list[float] = []
    for number, event in enumerate(events, start=1):
        x = pd.Timestamp(event.date)
        offset = (x - dates.min()).days
        row = next((r for r, end in enumerate(last) if offset - end >= gap), len(last))
        if row == len(last):
            last.append(offset)
        last[row] = offset
        ax.axvline(x, color=MUTED, lw=0.6, ls=":", zorder=1)
        ax.annotate(
            str(number),
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, -4 - 13 * (row % 6)),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7.5,
            color=INK,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": MUTED, "lw": 0.6},
        )
    _top_legend(ax, n_legend)
    ax.set_ylabel(f"Adjusted close, {dates.min():%Y-%m-%d} = 100 (log scale)", fontsize=9.5)
    ax.set_xlabel("Date", fontsize=9.5)
    entries = [
        f"{i:>2}. {e.date:%Y-%m-%d}  {textwrap.shorten(e.id + ': ' + e.title, 64)}"
        for i, e in enumerate(events, start=1)
    ]
    h = fig.get_size_inches()[1]
    for col in range(key_cols):
        lines = entries[col * key_rows : (col + 1) * key_rows]
        fig.text(
            (0.75 + col * (width - 1.0) / key_cols) / width,
            (0.3 + key_height) / h,
            "\n".join(lines),
            fontsize=7.5,
            color=INK,
            va="top",
            linespacing=1.3,
        )
    note = f"{len(events)} events, {len(securities)} securities"
    if every > len(events):
        window = default_window(result)
        note = (
            f"the {len(events)} of {every} events with the smallest CAR p "
            f"(CAR[{window[0]:+d},{window[1]:+d}]); all in car.csv · {len(securities)} securities"
        )
    _footer(fig, result, note)
    return fig
