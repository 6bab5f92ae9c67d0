"""Figures of a study: CAR paths with confidence bands, AR bars.

Figures are built with matplotlib's object API (no pyplot state), so they work the
same in scripts, notebooks and the CLI. Every figure made from synthetic data carries
a SYNTHETIC DATA watermark.
"""

from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.results import StudyResult

CONFIDENCE = 0.95
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _new_figure() -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.2), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.87, bottom=0.13)
    return fig


def _watermark(fig: Figure) -> None:
    fig.text(
        0.5,
        0.5,
        "SYNTHETIC DATA",
        fontsize=44,
        color="grey",
        alpha=0.18,
        ha="center",
        va="center",
        rotation=25,
        weight="bold",
        zorder=0,
    )


def _decorate(
    fig: Figure, ax: Axes, result: StudyResult, event_id: str, ylabel: str, what: str
) -> None:
    """Day-0 and zero lines, labels, title, legend, day-0 note and watermark."""
    from matplotlib.ticker import MaxNLocator

    ax.axvline(0, color="black", lw=1, ls="--", zorder=0.5)
    ax.axhline(0, color="grey", lw=0.8, zorder=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set_xlabel("Trading days relative to day 0")
    ax.set_ylabel(ylabel)
    event = result.study.event(event_id)
    when = f"{event.date:%Y-%m-%d}"
    if event.time is not None:
        when += f" {event.time:%H:%M} {result.study.timezone_for(event)}"
    ax.set_title(f"{event.title}\n{what} · news {when} · {event_id}", fontsize=10.5, loc="left")
    ax.legend(title="Security", frameon=False, fontsize=9)
    days = {a.ticker: f"{a.day0:%Y-%m-%d}" for a in result.alignments if a.event_id == event_id}
    text = "Day 0: " + ", ".join(f"{t} {d}" for t, d in days.items())
    source = "SYNTHETIC demo data" if result.synthetic else f"source: {result.prices.source}"
    fig.text(
        0.01, 0.005, f"{text} · {source}", fontsize=7.5, color="dimgrey", ha="left", va="bottom"
    )
    if result.synthetic:
        _watermark(fig)


def _critical(frame: pd.DataFrame, result: StudyResult) -> np.ndarray:
    """Two-sided t critical values per row, df = n_est - 2 of the row's pair."""
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    keys = list(zip(frame["event_id"], frame["ticker"], strict=True))
    df = n_est.reindex(keys).to_numpy(dtype="float64") - 2
    return special.stdtrit(df, 0.5 + CONFIDENCE / 2)


def plot_car(result: StudyResult, event_id: str) -> Figure:
    """CAR paths over the event window, one line per security, with 95% bands.

    The band at day tau is ``CAR(start, tau) ± t_{0.975, n-2} · se`` with the
    MacKinlay (1997) standard error of the running CAR.
    """
    frame = result.abnormal_returns[result.abnormal_returns["event_id"] == event_id]
    fig = _new_figure()
    ax = fig.add_subplot()
    crit = _critical(frame, result)
    for color, (ticker, rows) in zip(cycle(COLORS), frame.groupby("ticker", sort=False)):
        c = crit[frame["ticker"].to_numpy() == ticker]
        day = rows["rel_day"].to_numpy()
        car = rows["car"].to_numpy() * 100
        half = rows["car_se"].to_numpy() * c * 100
        ax.plot(day, car, color=color, lw=2, marker="o", ms=3, label=ticker)
        ax.fill_between(day, car - half, car + half, color=color, alpha=0.15, lw=0)
    ax.grid(alpha=0.3)
    _decorate(
        fig,
        ax,
        result,
        event_id,
        "Cumulative abnormal return (%)",
        f"CAR with {CONFIDENCE:.0%} bands",
    )
    return fig


def plot_ar(result: StudyResult, event_id: str) -> Figure:
    """Daily abnormal returns as grouped bars; ``*`` marks |AR| beyond the 95% bound."""
    frame = result.abnormal_returns[result.abnormal_returns["event_id"] == event_id]
    fig = _new_figure()
    ax = fig.add_subplot()
    crit = _critical(frame, result)
    tickers = list(dict.fromkeys(frame["ticker"]))
    width = 0.8 / max(len(tickers), 1)
    for k, (color, ticker) in enumerate(zip(cycle(COLORS), tickers)):
        mask = frame["ticker"].to_numpy() == ticker
        rows = frame[mask]
        day = rows["rel_day"].to_numpy() + (k - (len(tickers) - 1) / 2) * width
        ar = rows["ar"].to_numpy() * 100
        ax.bar(day, ar, width=width, color=color, label=ticker)
        significant = np.abs(rows["ar"].to_numpy()) > crit[mask] * rows["ar_se"].to_numpy()
        for d, a in zip(day[significant], ar[significant], strict=True):
            ax.annotate(
                "*", (d, a), ha="center", va="bottom" if a >= 0 else "top", fontsize=12, color=color
            )
    ax.grid(alpha=0.3, axis="y")
    _decorate(
        fig,
        ax,
        result,
        event_id,
        "Abnormal return (%)",
        f"Daily AR (* beyond the {CONFIDENCE:.0%} bound)",
    )
    return fig


PLOTS = {"car": plot_car, "ar": plot_ar}
