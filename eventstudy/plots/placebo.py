"""The placebo figure: how a study's CARs compare with CARs on days without news.

``placebo.png`` has one panel per security: the histogram of its placebo CARs over one
window (default [0, +1]) from :mod:`eventstudy.placebo`, with each study event marked
at its CAR and labelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.results import StudyResult

MAX_LABELS = 12
"""Events labelled per panel (the largest |CAR| first); the others are marked only."""


def plot_placebo(result: StudyResult, window: tuple[int, int] = (0, 1)) -> Figure:
    """Histogram of placebo CARs per security with the study's events marked.

    Raises
    ------
    ValueError
        If the run has no placebo study (``study.placebo`` / ``--placebo``).
    """
    from matplotlib.figure import Figure

    if result.placebo is None:
        raise ValueError("the run has no placebo study: run with placebo: N (or --placebo)")
    null = result.placebo.car
    null = null[(null["window_start"] == window[0]) & (null["window_end"] == window[1])]
    real = result.car_window(*window)
    tickers = list(dict.fromkeys(real["ticker"]))
    fig = Figure(figsize=(8.0, 2.6 * max(1, len(tickers)) + 0.6), dpi=110, facecolor="white")
    label = f"CAR[{window[0]:+d},{window[1]:+d}] %"
    for k, ticker in enumerate(tickers):
        ax = fig.add_subplot(len(tickers), 1, k + 1)
        cars = null.loc[null["ticker"] == ticker, "car"].dropna().to_numpy() * 100
        ax.hist(cars, bins=40, color="#9bb7d4", edgecolor="white")
        mine = real[real["ticker"] == ticker].dropna(subset=["car"])
        order = np.argsort(-np.abs(mine["car"].to_numpy()))
        for rank, i in enumerate(order):
            row = mine.iloc[i]
            x = float(row["car"]) * 100
            ax.axvline(x, color="#c0392b", linewidth=1.0)
            if rank < MAX_LABELS:
                ax.annotate(
                    str(row["event_id"]), (x, 1.0), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=7, color="#c0392b",
                )  # fmt: skip
        ax.set_title(f"{ticker}: {len(cars)} placebo days vs {len(mine)} events", fontsize=9)
        ax.set_ylabel("placebo days", fontsize=8)
        ax.tick_params(labelsize=7)
    if tickers:
        fig.axes[-1].set_xlabel(label, fontsize=8)
    synthetic = " (SYNTHETIC demo data)" if result.synthetic else ""
    fig.suptitle(f"How unusual is this move? {label} on placebo days{synthetic}", fontsize=10)
    fig.tight_layout()
    return fig
