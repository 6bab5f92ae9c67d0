"""CAAR figures of a study: over all pairs (``caar``) and by event category
(``caar_category``)."""

from __future__ import annotations

import textwrap
from itertools import cycle
from typing import TYPE_CHECKING

from eventstudy.outputs.bands import CONFIDENCE, cross_section
from eventstudy.outputs.plots.numbers import caar_by_category, event_categories
from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    GRID,
    INK,
    MANY_SECURITIES,
    _axes,
    _band,
    _event_time_axis,
    _footer,
    _header,
    _legend_height,
    _new_figure,
    _reference_lines,
    _study_title,
    _top_legend,
    edged_band,
    plural,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

CATEGORIES = 8
"""``caar_category`` draws at most this many categories (those with the most events)."""


def _caar_line(ax: Axes, stats: pd.DataFrame) -> None:
    """The CAAR of all pairs in black with its 95% band (cross-sectional s.e.)."""
    day = stats.index.to_numpy()
    band = f"{CONFIDENCE:.0%} band (cross-sectional s.e.)"
    _band(ax, stats["lower"], stats["upper"], INK, 0.14, band)
    ax.plot(day, stats["mean"] * 100, color=INK, lw=2.2, marker="o", ms=3.5, label="CAAR")


def _caar_axes_labels(ax: Axes, stats: pd.DataFrame) -> None:
    ax.grid(color=GRID, lw=0.6)
    _reference_lines(ax)
    _event_time_axis(ax, stats.index.to_numpy())
    ax.set_ylabel("Cumulative average abnormal return (%)", fontsize=9.5)


def plot_caar(result: RunResult) -> Figure:
    """Cumulative average abnormal return over all estimated pairs, with a 95% band.

    CAAR(tau) is the equally weighted mean of the pairs' running CARs (the ``car``
    column of ``abnormal_returns.csv``); the band is ``CAAR ± t_{0.975, N-1} · s/√N``
    with ``s`` the cross-sectional standard deviation of the CARs on that day (see
    :func:`cross_section` for the formula). Dashed lines show the mean CAR of each
    security over its events when there are at most :data:`MANY_SECURITIES`.
    """
    frame = result.abnormal_returns
    stats = cross_section(frame, "car")
    tickers = list(dict.fromkeys(frame["ticker"]))
    per_ticker = len(tickers) <= MANY_SECURITIES
    n_pairs = frame.groupby(["event_id", "ticker"]).ngroups
    n_events = frame["event_id"].nunique()
    fig = _new_figure(*EVENT_SIZE)
    n_legend = 2 + (len(tickers) if per_ticker else 0)
    top = _header(
        fig,
        _study_title(result),
        f"CAAR: mean CAR of {plural(n_pairs, '(event, security) pair')} from "
        f"{plural(n_events, 'event')}, "
        f"equally weighted, with a {CONFIDENCE:.0%} band",
    )
    ax = _axes(fig, 0.85, 0.8, 0.2, top + _legend_height(n_legend, 4) + 0.1)
    _caar_line(ax, stats)
    if per_ticker:
        by_ticker = frame.groupby(["ticker", "rel_day"], sort=False)["car"].mean()
        events = frame.drop_duplicates(["ticker", "event_id"])["ticker"].value_counts()
        for color, ticker in zip(cycle(COLORS), tickers, strict=False):
            path = by_ticker.loc[ticker]
            ax.plot(
                path.index.to_numpy(),
                path.to_numpy() * 100,
                color=color,
                lw=1.1,
                ls="--",
                label=f"{ticker} ({plural(int(events[ticker]), 'event')})",
            )
    _caar_axes_labels(ax, stats)
    _top_legend(ax, n_legend, 4)
    skipped = len(result.skipped)
    dates = result.car.drop_duplicates(["event_id", "ticker"])["day0"].nunique()
    note = (
        f"{plural(n_pairs, 'pair')} on {plural(dates, 'distinct day-0 date')} "
        f"({skipped} skipped); pairs that "
        "share a date are correlated, which the band ignores"
    )
    _footer(fig, result, note)
    return fig


def plot_caar_category(result: RunResult) -> Figure:
    """The CAAR of each event category next to the CAAR of all pairs.

    Each coloured line is the equally weighted mean CAR of the pairs of one category's
    events (events without a ``category`` form their own group), with its own 95%
    cross-sectional band (light fill, dashed edges, so that overlapping bands stay
    apart); the black line and band are those of :func:`plot_caar`. At most
    :data:`CATEGORIES` categories are drawn, those with the most events (ties in file
    order); the others are named in the footer. tests.csv tests each category
    (``category:<name>`` groups).
    """
    frame = result.abnormal_returns
    stats = cross_section(frame, "car")
    _, counts = caar_by_category(result)
    drawn = list(counts.index[:CATEGORIES])
    category = frame["event_id"].map(event_categories(result)).to_numpy()
    fig = _new_figure(*EVENT_SIZE)
    n_legend = 2 + len(drawn)
    top = _header(
        fig,
        _study_title(result),
        f"CAAR per event category (coloured) and of all pairs (black), {CONFIDENCE:.0%} bands"
        + (f" · {len(drawn)} of {len(counts)} categories, the most events"
           if len(counts) > len(drawn) else ""),
    )  # fmt: skip
    ax = _axes(fig, 0.85, 0.8, 0.2, top + _legend_height(n_legend, 4) + 0.1)
    _caar_line(ax, stats)
    for color, name in zip(cycle(COLORS), drawn, strict=False):
        path = cross_section(frame[category == name], "car")
        day = path.index.to_numpy()
        edged_band(ax, day, path["lower"] * 100, path["upper"] * 100, color, 0.07)
        ax.plot(
            day,
            path["mean"].to_numpy() * 100,
            color=color,
            lw=1.4,
            label=f"{name} ({plural(int(counts[name]), 'event')})",
        )
    _caar_axes_labels(ax, stats)
    _top_legend(ax, n_legend, 4)
    rest = [f"{c} ({counts[c]})" for c in counts.index[len(drawn) :]]
    note = (
        textwrap.shorten(
            f"{len(rest)} categories not drawn: " + ", ".join(rest), 150, placeholder=" ..."
        )
        if rest
        else f"{len(counts)} categories"
    )
    _footer(fig, result, f"{note}; tests per category: tests.csv, group category:<name>")
    return fig
