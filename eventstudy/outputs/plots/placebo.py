"""The placebo figure: how a study's CARs compare with CARs on days without news.

``placebo.png`` has one panel per security: the histogram of its placebo CARs over one
window (default [0, +1]) from :mod:`eventstudy.measures.placebo`, with each study event marked
at its CAR and labelled. Drawn in the house style of :mod:`eventstudy.outputs.plots.style`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    GRID,
    _axes,
    _footer,
    _header,
    _new_figure,
    _quarter,
    _study_title,
    _wrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

MAX_LABELS = 12
"""Events labelled per panel (the largest |CAR| first); the others are marked only."""
PANEL, TITLE, GAP, BOTTOM = 2.0, 0.35, 0.6, 0.8
"""Height of a panel, space above the first (its title), between panels (a title and the
ticks above it) and below the last (its axis label and the footer), in inches."""


def plot_placebo(result: RunResult, window: tuple[int, int] = (0, 1)) -> Figure:
    """Histogram of placebo CARs per security with the study's events marked.

    Raises
    ------
    ValueError
        If the run has no placebo study (``study.placebo`` / ``--placebo``).
    """
    if result.placebo is None:
        raise ValueError("the run has no placebo study: run with placebo: N (or --placebo)")
    null = result.placebo.car
    null = null[(null["window_start"] == window[0]) & (null["window_end"] == window[1])]
    real = result.car_window(*window)
    tickers = list(dict.fromkeys(real["ticker"]))
    width = EVENT_SIZE[0]
    title = _study_title(result)
    top = 0.36 + 0.2 * (_wrap(title, int(width * 10.5)).count("\n") + 1)  # as _header
    n = max(1, len(tickers))
    height = _quarter(top + TITLE + n * PANEL + (n - 1) * GAP + BOTTOM)
    fig = _new_figure(width, height)
    label = f"CAR[{window[0]:+d},{window[1]:+d}] %"
    _header(
        fig,
        title,
        f"How unusual is this move? {label} on placebo days (histogram) and of the "
        "study's events (red lines)",
    )
    marker = COLORS[1]
    for k, ticker in enumerate(tickers):
        above = top + TITLE + k * (GAP + PANEL)
        ax = _axes(fig, 0.85, height - above - PANEL, 0.2, above)
        cars = null.loc[null["ticker"] == ticker, "car"].dropna().to_numpy() * 100
        ax.hist(cars, bins=40, color=COLORS[0], alpha=0.55, edgecolor="white")
        mine = real[real["ticker"] == ticker].dropna(subset=["car"])
        order = np.argsort(-np.abs(mine["car"].to_numpy()))
        for rank, i in enumerate(order):
            row = mine.iloc[i]
            x = float(row["car"]) * 100
            ax.axvline(x, color=marker, linewidth=1.0)
            if rank < MAX_LABELS:
                ax.annotate(
                    str(row["event_id"]), (x, 1.0), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=7, color=marker,
                )  # fmt: skip
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(color=GRID, lw=0.6, axis="y")
        ax.set_title(
            f"{ticker}: {len(cars)} placebo days vs {len(mine)} events", fontsize=9.5, loc="left"
        )
        ax.set_ylabel("Placebo days", fontsize=9.5)
    if tickers:
        fig.axes[-1].set_xlabel(label, fontsize=9.5)
    _footer(
        fig,
        result,
        f"{len(tickers)} securities; at most {MAX_LABELS} events labelled per panel, "
        "the largest |CAR| first",
    )
    return fig
