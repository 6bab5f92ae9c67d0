"""The long-horizon figure ``bhar``: the mean buy-and-hold abnormal return path.

Drawn from :attr:`eventstudy.measures.long_horizon.LongHorizon.path`: for the longest window of
``study.bhar_windows``, the mean over pairs of the running BHAR on each relative day,
with the band ``mean ± t(0.975, N - 1) · s / √N`` (``s`` the cross-sectional standard
deviation of the running BHARs that day), over the pairs that have the whole window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.bands import CONFIDENCE
from eventstudy.outputs.plots.style import (
    EVENT_SIZE,
    GRID,
    INK,
    _axes,
    _band,
    _event_time_axis,
    _footer,
    _header,
    _new_figure,
    _reference_lines,
    _study_title,
    plural,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult


def plot_bhar(result: RunResult) -> Figure:
    """Mean BHAR path over the longest BHAR window, with a 95% band.

    Raises
    ------
    EventStudyError
        If the run has no long-horizon results (no ``bhar_windows``).
    """
    from eventstudy.core.errors import EventStudyError

    if result.long_horizon is None:
        raise EventStudyError("the run has no bhar_windows: set the study key (or --bhar)")
    path = result.long_horizon.path.set_index("rel_day")
    start, end = int(path["window_start"].iloc[0]), int(path["window_end"].iloc[0])
    n = int(path["n"].iloc[0])
    fig = _new_figure(*EVENT_SIZE)
    top = _header(
        fig,
        _study_title(result),
        f"Mean buy-and-hold abnormal return over [{start:+d}, {end:+d}] of {plural(n, 'pair')}, "
        f"with a {CONFIDENCE:.0%} band",
    )
    ax = _axes(fig, 0.85, 0.8, 0.2, top + 0.1)
    _band(ax, path["lower"], path["upper"], INK, 0.14, f"{CONFIDENCE:.0%} band")
    days = path.index.to_numpy()
    ax.plot(days, path["mean_bhar"].to_numpy() * 100, color=INK, lw=2.0, label="mean BHAR")
    ax.grid(color=GRID, lw=0.6)
    _reference_lines(ax)
    _event_time_axis(ax, days)
    ax.set_ylabel("Mean BHAR (%)", fontsize=9.5)
    ax.legend(loc="upper left", fontsize=8.5, frameon=False)
    _footer(
        fig,
        result,
        f"{plural(n, 'pair')} with the whole window (the others are named in skipped.csv); "
        "pairs that share a date are correlated, which the band ignores",
    )
    return fig
