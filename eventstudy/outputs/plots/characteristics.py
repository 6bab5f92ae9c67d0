"""Figures of the CARs against the events' numeric characteristics: the CAAR per
decile of each (``caar_deciles``) and a binned scatter of the CAR against each
regressor with the fitted line (``binscatter``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.bands import CONFIDENCE, cross_section
from eventstudy.outputs.plots.numbers import default_window
from eventstudy.outputs.plots.style import (
    COLORS,
    GRID,
    INK,
    _axes,
    _event_time_axis,
    _footer,
    _header,
    _new_figure,
    _quarter,
    _study_title,
    edged_band,
    plural,
    window_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

PANELS = 4
"""Characteristics (or regressors) drawn at most, one panel each."""
DECILES = 10
BINS = 20
"""Equal-count bins of the binned scatter."""
FIELDS = {"event_id", "date", "time", "timezone", "title", "category", "role", "securities",
          "benchmark", "model", "source", "notes"}  # fmt: skip
"""The columns of :attr:`~eventstudy.measures.record.StudyRecord.events` that are not
attributes."""


def characteristics(result: RunResult) -> list[str]:
    """The numeric event attributes with at least :data:`DECILES` distinct values (at most
    :data:`PANELS`, in file order)."""
    events = result.events
    names = []
    for column in events.columns:
        if column in FIELDS:
            continue
        values = pd.to_numeric(events[column], errors="coerce")
        if values.notna().mean() >= 0.5 and values.nunique() >= DECILES:
            names.append(str(column))
    return names[:PANELS]


def regressors(result: RunResult) -> list[tuple[str, pd.Series, pd.Series, float, float]]:
    """``(name, x, CAR in %, slope in % per unit, its t)`` per numeric regressor.

    The regressors are the plain numeric terms of the study's first regression
    (``regressions:`` / ``--regress``), with the slope and t of that (multiple)
    regression; without one, the :func:`characteristics` against the headline window's
    CAR, each with its own least-squares slope and classical t.
    """
    fitted = result.regressions() if result.study.study.regressions else []
    out = []
    if fitted:
        model = fitted[0].model_result
        frame = model.model.data.frame
        y = pd.Series(np.asarray(model.model.endog, dtype="float64") * 100)
        rows = model.model.data.row_labels
        for term in model.params.index:
            if term in frame.columns and pd.api.types.is_numeric_dtype(frame[term]):
                x = pd.Series(frame.loc[rows, term].to_numpy(dtype="float64"))
                out.append(
                    (term, x, y, float(model.params[term]) * 100, float(model.tvalues[term]))
                )
        return out[:PANELS]
    a, b = default_window(result)
    car = result.car_window(a, b)[["event_id", "car"]]
    data = car.merge(result.events, on="event_id", how="left")
    for name in characteristics(result):
        x = pd.to_numeric(data[name], errors="coerce")
        keep = x.notna() & data["car"].notna()
        xs, ys = x[keep].to_numpy(dtype="float64"), data["car"][keep].to_numpy() * 100
        if len(xs) < 3 or np.ptp(xs) == 0:
            continue
        slope, intercept = np.polyfit(xs, ys, 1)
        resid = ys - (intercept + slope * xs)
        se = np.sqrt(resid @ resid / (len(xs) - 2) / ((xs - xs.mean()) @ (xs - xs.mean())))
        out.append((name, pd.Series(xs), pd.Series(ys), float(slope), float(slope / se)))
    return out


def _grid(fig_height_panels: int) -> tuple[int, int]:
    return (1, 1) if fig_height_panels == 1 else (int(np.ceil(fig_height_panels / 2)), 2)


def _panel_axes(fig: Figure, n: int, top: float, height: float) -> list:
    rows, cols = _grid(n)
    w = fig.get_size_inches()[0]
    cell_w, cell_h = (w - 0.3) / cols, (height - top - 0.45) / rows
    axes = []
    for k in range(n):
        r, c = divmod(k, cols)
        left = 0.3 + c * cell_w + 0.6
        right = w - (0.3 + (c + 1) * cell_w) + 0.15
        upper = top + r * cell_h + 0.35
        lower = height - (top + (r + 1) * cell_h) + 0.6
        axes.append(_axes(fig, left, lower, right, upper))
    return axes


def plot_caar_deciles(result: RunResult) -> Figure:
    """The CAAR of the pairs in each decile of each numeric characteristic.

    One panel per :func:`characteristics` column: ten CAAR paths, from the lowest
    decile (light) to the highest (dark), with the 95% cross-sectional band of the
    lowest and highest deciles (:func:`cross_section`). Deciles are of the events'
    values (ties share a decile).
    """
    from matplotlib import colormaps

    names = characteristics(result)
    frame = result.abnormal_returns
    events = result.events.set_index("event_id")
    n = max(len(names), 1)
    rows, _ = _grid(n)
    height = _quarter(1.0 + 3.0 * rows)
    fig = _new_figure(9.0, height)
    top = _header(
        fig,
        _study_title(result),
        f"CAAR per decile of each characteristic (light: lowest, dark: highest); "
        f"{CONFIDENCE:.0%} bands of the lowest and highest",
    )
    cmap = colormaps["viridis_r"]
    for ax, name in zip(_panel_axes(fig, n, top, height), names, strict=False):
        value = pd.to_numeric(events[name], errors="coerce")
        ranks = value.rank(method="min", pct=True)
        decile = np.ceil(ranks * DECILES).clip(1, DECILES)
        of_pair = frame["event_id"].map(decile).to_numpy()
        for d in range(1, DECILES + 1):
            stats = cross_section(frame[of_pair == d], "car")
            if stats.empty:
                continue
            color = cmap(0.1 + 0.8 * (d - 1) / (DECILES - 1))
            day = stats.index.to_numpy()
            if d in (1, DECILES):
                edged_band(ax, day, stats["lower"] * 100, stats["upper"] * 100, color, 0.1)
            label = {1: "lowest decile", DECILES: "highest decile"}.get(d)
            ax.plot(day, stats["mean"] * 100, color=color, lw=1.6 if label else 0.9, label=label)
        ax.axvline(0, color=INK, lw=1, ls="--", zorder=1)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.grid(color=GRID, lw=0.6)
        _event_time_axis(ax, np.sort(frame["rel_day"].unique()))
        ax.set_xlabel("Trading days relative to day 0", fontsize=8.5)
        ax.set_ylabel("CAAR (%)", fontsize=9)
        ax.set_title(name, fontsize=10, loc="left")
        ax.legend(fontsize=7.5, loc="upper left", frameon=False)
    _footer(fig, result, f"{plural(len(names), 'numeric characteristic')} of the events")
    return fig


def plot_binscatter(result: RunResult) -> Figure:
    """A binned scatter of the CAR against each regressor, with the fitted line.

    Per :func:`regressors` entry: the pairs in :data:`BINS` equal-count bins of the
    regressor, each bin's mean regressor and mean CAR with its 95% interval (mean ±
    1.96 s.e.), and the fitted line through the means with the regression's slope.
    """
    found = regressors(result)
    fitted = result.regressions() if result.study.study.regressions else []
    a, b = fitted[0].window if fitted else default_window(result)
    n = max(len(found), 1)
    rows, _ = _grid(n)
    height = _quarter(1.0 + 3.0 * rows)
    fig = _new_figure(9.0, height)
    top = _header(
        fig,
        _study_title(result),
        f"mean CAR{window_label(a, b)} per {BINS}-quantile bin of each regressor "
        f"({CONFIDENCE:.0%} intervals) and the fitted slope",
    )
    for ax, (name, x, y, slope, t) in zip(_panel_axes(fig, n, top, height), found, strict=False):
        bins = pd.qcut(x.rank(method="first"), min(BINS, len(x)), labels=False)
        grouped = pd.DataFrame({"x": x, "y": y, "bin": bins}).groupby("bin")
        mx, my = grouped["x"].mean(), grouped["y"].mean()
        se = grouped["y"].std(ddof=1) / np.sqrt(grouped["y"].count())
        ax.errorbar(mx, my, yerr=1.96 * se, fmt="o", color=COLORS[0], ms=4, lw=1, capsize=2,
                    label=f"bin mean, {CONFIDENCE:.0%} interval")  # fmt: skip
        line = np.array([mx.min(), mx.max()])
        ax.plot(line, y.mean() + slope * (line - x.mean()), color=COLORS[1], lw=1.6,
                label=f"fitted: {slope:+.3g} % per unit (t = {t:.1f})")  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.6)
        ax.grid(color=GRID, lw=0.6)
        ax.set_xlabel(name, fontsize=9)
        ax.set_ylabel(f"CAR{window_label(a, b)} (%)", fontsize=9)
        ax.legend(fontsize=7.5, loc="upper left", frameon=False)
    source = f"slopes of {fitted[0].formula}" if fitted else "one least-squares fit each"
    pairs = len(found[0][1]) if found else 0
    _footer(fig, result, f"{plural(pairs, 'pair')}; {source}")
    return fig
