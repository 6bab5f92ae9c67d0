"""Volume figures (the ``volume`` measure, :mod:`eventstudy.measures.volume`).

``<event>/volume.png``: one panel per security with the daily abnormal log volume
(AV) as bars, the 95% bound ``± t_{0.975, df} · se`` of each AV (its prediction-error
standard error, MacKinlay 1997, applied to ``ln(1 + volume)``) as dotted ticks, and the
cumulative abnormal volume (CAV) as a line. ``cav.png``: the mean CAV path over all
estimated pairs with its cross-sectional 95% band.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from eventstudy.outputs.bands import CONFIDENCE, cross_section
from eventstudy.outputs.plots.numbers import event_rows
from eventstudy.outputs.plots.style import (
    COLORS,
    DAY0,
    EVENT_SIZE,
    GRID,
    _axes,
    _band,
    _bars,
    _event_time_axis,
    _footer,
    _header,
    _new_figure,
    _quarter,
    _round_ticks,
    _study_title,
    plural,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

PANEL, TOP, GAP, BOTTOM = 1.9, 1.0, 0.55, 0.8
"""Panel height, space above the first panel, between panels and below, in inches."""


def _frame(result: RunResult):
    if result.volume is None:
        raise ValueError("the run has no volume measure: add volume to measures")
    return result.volume.abnormal_volume


def plot_volume(result: RunResult, event_id: str) -> Figure:
    """AV bars with their 95% bound and the CAV line, one panel per security."""
    frame = event_rows(_frame(result), event_id)
    tickers = list(dict.fromkeys(frame["ticker"]))
    n = max(1, len(tickers))
    height = _quarter(TOP + n * PANEL + (n - 1) * GAP + BOTTOM)
    fig = _new_figure(EVENT_SIZE[0], height)
    event = result.study.event(event_id)
    _header(
        fig,
        event.title,
        f"abnormal log volume per security, {CONFIDENCE:.0%} bound, cumulative line · "
        f"news {event.date:%Y-%m-%d} · {event_id}",
    )
    for i, ticker in enumerate(tickers):
        rows = frame[frame["ticker"] == ticker]
        top = TOP + i * (PANEL + GAP)
        ax = _axes(fig, 0.85, height - top - PANEL, 0.2, top)
        day = rows["rel_day"].to_numpy()
        av = rows["av"].to_numpy()
        half = rows["av_se"].to_numpy() * special.stdtrit(
            rows["df"].to_numpy(), 0.5 + CONFIDENCE / 2
        )
        beyond = np.abs(av) > half
        _bars(ax, day[~beyond], av[~beyond], 0.7, COLORS[0], "AV")
        _bars(ax, day[beyond], av[beyond], 0.7, COLORS[1], f"AV beyond the {CONFIDENCE:.0%} bound")
        bound = f"±{CONFIDENCE:.0%} bound"
        ax.hlines(np.r_[half, -half], np.r_[day, day] - 0.35, np.r_[day, day] + 0.35,
                  colors="0.3", lw=1.0, linestyles=":", label=bound)  # fmt: skip
        ax.plot(day, rows["cav"].to_numpy(), color=COLORS[2], lw=1.8, marker="o", ms=3,
                label="CAV (cumulative AV)")  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.6)
        ax.axvline(0, **DAY0, label="day 0")
        ax.grid(color=GRID, lw=0.6)
        ax.set_xticks(_round_ticks(int(day.min()), int(day.max())))
        ax.set_title(ticker, fontsize=10, loc="left")
        ax.set_ylabel("Abnormal log volume", fontsize=9)
        if i == 0:
            ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1, 1.01), ncols=5,
                      frameon=False, borderaxespad=0)  # fmt: skip
    fig.axes[-1].set_xlabel("Trading days relative to day 0", fontsize=9.5)
    _footer(fig, result, f"Volume model: {result.study.study.volume_model}")
    return fig


def plot_cav(result: RunResult) -> Figure:
    """Mean CAV path over all estimated pairs with its cross-sectional 95% band."""
    frame = _frame(result)
    fig = _new_figure(*EVENT_SIZE)
    n = frame[["event_id", "ticker"]].drop_duplicates().shape[0]
    top = _header(
        fig,
        _study_title(result),
        f"mean cumulative abnormal log volume of {plural(n, 'pair')}, {CONFIDENCE:.0%} band",
    )
    ax = _axes(fig, 0.85, 0.95, 0.2, top + 0.2)
    stats = cross_section(frame, "cav")
    day = stats.index.to_numpy()
    # _band draws returns in %: the log volume is drawn as is
    _band(ax, stats["lower"] / 100, stats["upper"] / 100, COLORS[0], 0.2,
          f"{CONFIDENCE:.0%} band (cross-sectional s.e.)")  # fmt: skip
    ax.plot(day, stats["mean"], color=COLORS[0], lw=2, marker="o", ms=3, label="mean CAV")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.axvline(0, **DAY0, label="day 0")
    ax.grid(color=GRID, lw=0.6)
    _event_time_axis(ax, day)
    ax.set_ylabel("Mean cumulative abnormal log volume", fontsize=9.5)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    _footer(fig, result, f"Volume model: {result.study.study.volume_model}")
    return fig
