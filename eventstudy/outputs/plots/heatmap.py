"""The event x security heat map of one CAR window (``heatmap``)."""

from __future__ import annotations

from string import ascii_lowercase
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.plots.numbers import car_matrix, default_window, smallest_p
from eventstudy.outputs.plots.style import (
    INK,
    MUTED,
    _axes,
    _footer,
    _header,
    _new_figure,
    _quarter,
    _study_title,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

HEATMAP_EVENTS = 30
"""The heat map shows at most this many events (those with the smallest CAR p)."""
HEATMAP_SECURITIES = 30
"""The heat map shows at most this many securities (those with the smallest mean p)."""


def heatmap_cells(
    result: RunResult, window: tuple[int, int]
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """CAR (%) and p of the cells the heat map shows, and the events and securities
    there were to choose from.

    Above :data:`HEATMAP_EVENTS` events the rows are those with the smallest CAR p
    over their securities; above :data:`HEATMAP_SECURITIES` securities the columns are
    those with the smallest mean p over the rows shown. Both keep the study's order.
    """
    car = result.car_window(*window)
    estimated = set(car["event_id"].unique())
    events = [e for e in result.event_ids if e in estimated] if len(car) else []
    every_event = len(events)
    rows = smallest_p(car.groupby("event_id", sort=False)["car_p"].min(), events, HEATMAP_EVENTS)
    values, pvalues = car_matrix(result, window, rows if every_event > len(rows) else None)
    every_security = values.shape[1]
    if every_security > HEATMAP_SECURITIES:
        columns = smallest_p(pvalues.mean(axis=0), list(values.columns), HEATMAP_SECURITIES)
        values, pvalues = values[columns], pvalues[columns]
    if every_event == len(rows):  # every event: keep the ones without an estimate too
        every_event = len(values)
    return values, pvalues, every_event, every_security


def day0_labels(result: RunResult, events: list[str]) -> tuple[list[str], list[str]]:
    """Each event's day 0 as in ``car.csv`` (``first..last`` when its securities differ)
    and a tag (``[a]``, ``[b]`` ...) shared by the rows with the same day 0 ("" if
    unique).
    """
    rows = result.car[result.car["event_id"].isin(events)]
    day0 = rows["day0"].astype(str).groupby(rows["event_id"]).agg(["min", "max"])
    text = [
        "" if e not in day0.index else
        day0.at[e, "min"] if day0.at[e, "min"] == day0.at[e, "max"] else
        f"{day0.at[e, 'min']}..{day0.at[e, 'max']}"
        for e in events
    ]  # fmt: skip
    shared = [d for d, n in pd.Series(text).value_counts(sort=False).items() if n > 1 and d]
    letters = dict(zip(shared, _tags(len(shared)), strict=True))
    return text, [f"[{letters[d]}]" if d in letters else "" for d in text]


def _tags(n: int) -> list[str]:
    """``a`` ... ``z``, then ``aa``, ``ab`` ..."""
    letters = list(ascii_lowercase)
    return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(n)]


def plot_heatmap(result: RunResult, window: tuple[int, int] | None = None) -> Figure:
    """Event x security heat map of CAR over one window (default ``[0, +1]``).

    At most :data:`HEATMAP_EVENTS` x :data:`HEATMAP_SECURITIES` cells: the events with
    the smallest CAR p and, among their securities, those with the smallest mean p
    (see :func:`heatmap_cells`), in study order; the subtitle says so. Rows are
    labelled with the event's day 0 (the date of ``car.csv``, not the news date);
    rows that share a day 0 carry the same tag (``[a]`` ...), since their CARs are
    correlated.

    Each cell shows the CAR in % with stars for its two-sided MacKinlay t-test
    (``*`` p < 0.10, ``**`` p < 0.05, ``***`` p < 0.01); grey cells are pairs that
    were skipped (labelled) or are not part of the event. The colour scale is
    symmetric around zero (red: negative, blue: positive).
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    from eventstudy.pipeline.summary import stars

    start, end = window or default_window(result)
    values, pvalues, every_event, every = heatmap_cells(result, (start, end))
    skipped = set(zip(result.skipped["event_id"], result.skipped["ticker"], strict=True))
    n_rows, n_cols = values.shape
    day0, tags = day0_labels(result, list(values.index))
    labels = [
        f"{e}  {d}{'  ' + t if t else ''}" for e, d, t in zip(values.index, day0, tags, strict=True)
    ]
    left = 0.3 + 0.068 * max((len(s) for s in labels), default=10)
    cell_w = 0.85 if n_cols <= 12 else 0.6
    width = _quarter(max(left + cell_w * n_cols + 1.3, 7.5))
    height = _quarter(1.45 + 0.3 * n_rows)
    fig = _new_figure(width, height)
    capped = []
    if every_event > n_rows:
        capped.append(f"{n_rows} of {every_event:,} events, the smallest p")
    if every > n_cols:
        capped.append(f"the {n_cols} of {every:,} securities with the smallest mean p")
    top = _header(
        fig,
        _study_title(result),
        f"CAR[{start:+d},{end:+d}] in % per event and security · * p<0.10, ** p<0.05, "
        "*** p<0.01 (MacKinlay t)"
        + "".join(f" · {c}" for c in capped)
        + ("; all in car.csv" if capped else ""),
    )
    grid_w = min(cell_w * n_cols, width - left - 1.3)
    ax = _axes(fig, left, 0.4, width - left - grid_w, top + 0.35)
    array = values.to_numpy(dtype="float64")
    data = np.ma.masked_invalid(array)
    limit = max(float(np.abs(data).max()) if data.count() else 1.0, 1.0)
    cmap = mpl.colormaps["RdBu"].with_extremes(bad="#ececec")
    image = ax.imshow(
        data,
        cmap=cmap,
        norm=Normalize(-limit, limit),
        aspect="auto",
        interpolation="nearest",
    )
    size = 8.5 if n_cols <= 12 else 7
    for (i, j), v in np.ndenumerate(array):
        if np.isnan(v):
            if (values.index[i], values.columns[j]) in skipped:
                ax.text(j, i, "skipped", ha="center", va="center", fontsize=7, color=MUTED)
            continue
        mark = stars(float(pvalues.iat[i, j]))
        color = "white" if abs(v) > 0.6 * limit else INK
        ax.text(j, i, f"{v:+.1f}{mark}", ha="center", va="center", fontsize=size, color=color)
    ax.set_xticks(range(n_cols), list(values.columns))
    ax.set_yticks(range(n_rows), labels)
    ax.tick_params(length=0, labelsize=9)
    ax.xaxis.tick_top()
    ax.spines[:].set_visible(False)
    ax.set_xticks(np.arange(-0.5, n_cols), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    w = fig.get_size_inches()[0]
    box = ax.get_position()
    cax = fig.add_axes((box.x1 + 0.3 / w, box.y0, 0.14 / w, box.height))
    bar = fig.colorbar(image, cax=cax)
    bar.set_label(f"CAR[{start:+d},{end:+d}] (%)", fontsize=9)
    bar.ax.tick_params(labelsize=8)
    bar.outline.set_visible(False)
    note = "Rows: events, with day 0 as in car.csv"
    if any(tags):
        note += "; [a], [b] ...: rows that share a day 0"
    _footer(fig, result, note)
    return fig
