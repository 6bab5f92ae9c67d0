"""The distribution of the CARs of a study (``car_distribution``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.outputs.plots.numbers import default_window
from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    GRID,
    INK,
    _axes,
    _bars,
    _footer,
    _header,
    _legend_height,
    _new_figure,
    _study_title,
    _top_legend,
    window_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

T_FIT_MIN = 20
"""The Student-t reference is fitted only to at least this many CARs."""
T_DF_MAX = 100.0
"""A fitted t with more degrees of freedom is drawn as the normal alone (they coincide)."""


@dataclass(frozen=True)
class Distribution:
    """The histogram and the two reference densities of one window's CARs (in %).

    Attributes
    ----------
    window
        The CAR window.
    values
        The finite CARs, in %.
    edges, counts
        The histogram: ``clip(√n, 10, 60)`` equal bins.
    normal
        Mean and standard deviation (ddof 1) of ``values``; None without spread.
    t
        ``(df, loc, scale)`` of :func:`scipy.stats.t.fit` (maximum likelihood); None
        with fewer than :data:`T_FIT_MIN` CARs or no spread, or when the fitted df is
        above :data:`T_DF_MAX` (the t is then the normal).
    """

    window: tuple[int, int]
    values: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    normal: tuple[float, float] | None
    t: tuple[float, float, float] | None


def car_distribution(result: RunResult, window: tuple[int, int] | None = None) -> Distribution:
    """The :class:`Distribution` of one window's CARs (default ``[0, +1]``)."""
    start, end = window or default_window(result)
    car = result.car_window(start, end)["car"].to_numpy(dtype="float64") * 100
    values = car[np.isfinite(car)]
    n_bins = int(np.clip(np.sqrt(len(values)), 10, 60))
    counts, edges = np.histogram(values, bins=n_bins)
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    spread = bool(np.isfinite(sd) and sd > 0)
    fit = None
    if len(values) >= T_FIT_MIN and spread:
        with np.errstate(all="ignore"):
            from scipy import stats  # here: scipy.stats takes ~0.8 s to import

            df, loc, scale = stats.t.fit(values)
        fit = (float(df), float(loc), float(scale)) if df <= T_DF_MAX else None
    normal = (float(values.mean()), sd) if spread else None
    return Distribution((start, end), values, edges, counts, normal, fit)


def plot_car_distribution(result: RunResult, window: tuple[int, int] | None = None) -> Figure:
    """Histogram of the pairs' CARs over one window (default ``[0, +1]``), in %.

    Two reference curves are scaled to the counts (density x n x bin width): the
    normal with the CARs' mean and standard deviation, and a Student t fitted to them
    by maximum likelihood (:func:`car_distribution`), whose fitted degrees of freedom
    say how heavy the tails are (a normal has df = inf). The cross-sectional tests of
    tests.csv assume the mean of these CARs is close to normal.
    """
    data = car_distribution(result, window)
    start, end = data.window
    values, edges, counts = data.values, data.edges, data.counts
    n = len(values)
    fig = _new_figure(*EVENT_SIZE)
    n_legend = 1 + (data.normal is not None) + (data.t is not None)
    drawn = (
        "histogram"
        + (", normal" if data.normal else "")
        + (" and Student-t references" if data.t else " reference" if data.normal else "")
    )
    top = _header(
        fig,
        _study_title(result),
        f"CAR{window_label(start, end)} of n = {n:,} (event, security) pairs: {drawn}, "
        "scaled to the counts",
    )
    ax = _axes(fig, 0.85, 0.8, 0.2, top + _legend_height(n_legend, 3) + 0.1)
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    centres = (edges[:-1] + edges[1:]) / 2
    _bars(ax, centres, counts.astype("float64"), width * 0.92, COLORS[0], f"{n:,} CARs")
    grid = np.linspace(edges[0], edges[-1], 400)
    from scipy import stats

    if data.normal is not None:
        mean, sd = data.normal
        density = stats.norm.pdf(grid, mean, sd) * n * width
        ax.plot(grid, density, color=INK, lw=1.5, label=f"normal (mean {mean:+.2f}%, sd {sd:.2f}%)")
    if data.t is not None:
        df, loc, scale = data.t
        density = stats.t.pdf(grid, df, loc, scale) * n * width
        ax.plot(grid, density, color=COLORS[1], lw=1.5, ls="--", label=f"Student t (df {df:.1f})")
    ax.axvline(0, color=INK, lw=1, ls=":", zorder=1)
    ax.grid(color=GRID, lw=0.6, axis="y")
    ax.set_xlabel(f"CAR{window_label(start, end)} (%)", fontsize=9.5)
    ax.set_ylabel("Pairs per bin", fontsize=9.5)
    ax.margins(y=0.05)
    _top_legend(ax, n_legend, 3)
    missing = len(result.car_window(start, end)) - n
    note = f"{len(counts)} bins of {width:.2f} pp"
    if data.t is None:
        note += (
            f"; no t reference: it needs at least {T_FIT_MIN} CARs that differ"
            if n < T_FIT_MIN
            else f"; no t reference: its fitted df is above {T_DF_MAX:.0f} (normal tails)"
        )
    if missing:
        note += f"; {missing} pairs without a CAR not drawn"
    _footer(fig, result, note + f"; {len(result.skipped)} skipped pairs in skipped.csv")
    return fig
