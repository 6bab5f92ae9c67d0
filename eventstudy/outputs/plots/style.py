"""The house style of every figure: sizes, colours, header, footer, ticks, bars.

Figures are built with matplotlib's object API (no pyplot state); matplotlib is
imported only when a figure is made.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

MANY_SECURITIES = 12
"""Above this many securities an event figure draws the mean and a quantile band."""
DPI = 200
"""Resolution of the PNG figures: sharp on high-density screens and in print
(``--svg`` writes vector files besides)."""
EVENT_SIZE = (9.0, 5.25)
"""Size in inches of the per-event figures and the CAAR figure (1800 x 1050 px)."""
COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#17becf",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#393b79",
    "#637939",
)
INK, MUTED, GRID = "#222222", "#666666", "#d9d9d9"


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, facecolor="white")


def _axes(fig: Figure, left: float, bottom: float, right: float, top: float) -> Axes:
    """Add axes at margins given in inches from each edge, in the house style."""
    w, h = fig.get_size_inches()
    ax = fig.add_axes((left / w, bottom / h, 1 - (left + right) / w, 1 - (bottom + top) / h))
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(MUTED)
    ax.tick_params(labelsize=9, colors=INK, color=MUTED)
    ax.set_axisbelow(True)
    return ax


def _wrap(text: str, width: int, lines: int = 2) -> str:
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], textwrap.shorten(" ".join(wrapped[lines - 1 :]), width)]
    return "\n".join(wrapped)


def _header(fig: Figure, title: str, subtitle: str) -> float:
    """Bold title (up to two lines) and a subtitle, top left; returns their height (in)."""
    w, h = fig.get_size_inches()
    title = _wrap(title, int(w * 10.5))
    lines = title.count("\n") + 1
    fig.text(0.1 / w, 1 - 0.1 / h, title, fontsize=11.5, weight="bold", color=INK, va="top")
    fig.text(0.1 / w, 1 - (0.14 + 0.2 * lines) / h, subtitle, fontsize=9, color=MUTED, va="top")
    return 0.36 + 0.2 * lines


def _top_legend(ax: Axes, n: int, ncols: int = 6) -> None:
    """Legend in one or more rows just above the axes, right-aligned (never on data)."""
    if n:
        ax.legend(
            loc="lower right",
            bbox_to_anchor=(1, 1.01),
            ncols=min(n, ncols),
            frameon=False,
            fontsize=8.5,
            borderaxespad=0,
            handlelength=1.8,
            columnspacing=1.2,
        )


def _legend_height(n: int, ncols: int = 6) -> float:
    return 0.22 * -(-n // ncols) + 0.08 if n else 0.0


def _footer(fig: Figure, result: RunResult, text: str) -> None:
    source = "SYNTHETIC demo data" if result.synthetic else f"prices: {result.prices.source}"
    w, h = fig.get_size_inches()
    fig.text(
        0.1 / w,
        0.06 / h,
        f"{text} · {source}",
        fontsize=7.5,
        color=MUTED,
        ha="left",
        va="bottom",
    )
    if result.synthetic:
        fig.text(
            0.5,
            0.5,
            "SYNTHETIC DATA",
            fontsize=44,
            color="grey",
            alpha=0.16,
            ha="center",
            va="center",
            rotation=25,
            weight="bold",
            zorder=0,
        )


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 event"``, ``"2 events"``, ``"1,250 securities"`` (``words``: the plural)."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def window_label(start: int, end: int) -> str:
    """``[0, +1]``, ``[-5, +5]``: a window of relative days (0 unsigned)."""
    return "[" + ", ".join(f"{d:+d}" if d else "0" for d in (int(start), int(end))) + "]"


def p_text(p: float) -> str:
    """A p-value as text: ``< 0.0001``, 4 decimals below 0.001, else 3; ``n/a`` if NaN."""
    if not np.isfinite(p):
        return "n/a"
    if p < 0.0001:
        return "< 0.0001"
    return f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def _round_ticks(lo: int, hi: int) -> list[int]:
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 250) if (hi - lo) / s <= 8)
    return [d for d in range(lo - lo % step, hi + 1, step) if lo <= d <= hi]


def _event_ticks(ax: Axes, days: np.ndarray, dates: list[str]) -> None:
    """Ticks at round relative days, labelled with the day and its session date."""
    lo, hi = int(days.min()), int(days.max())
    ticks = _round_ticks(lo, hi)
    by_day = dict(zip(days.tolist(), dates, strict=True))
    labels = []
    for d in ticks:
        when = pd.Timestamp(by_day[d]).strftime("%d %b") if by_day.get(d) else ""
        labels.append(f"{d:+d}\n{when}" if d else f"0\n{when}")
    ax.set_xticks(ticks, labels)
    ax.set_xlim(lo - 0.6, hi + 0.6)


def _event_time_axis(ax: Axes, day: np.ndarray) -> None:
    """Round ticks over the relative days of a study figure, labelled as event time."""
    ax.set_xticks(_round_ticks(int(day.min()), int(day.max())))
    ax.set_xlim(day.min() - 0.6, day.max() + 0.6)
    ax.set_xlabel("Trading days relative to each pair's day 0 (event time)", fontsize=9.5)


DAY0 = {"color": INK, "lw": 1.2, "ls": "--", "zorder": 1}
"""The day-0 line of every event-time figure."""


def _reference_lines(ax: Axes) -> None:
    ax.axvline(0, **DAY0)
    ax.axhline(0, color=MUTED, lw=0.8, zorder=1)


def _band(
    ax: Axes, lower: pd.Series, upper: pd.Series, color: str, alpha: float, label: str
) -> None:
    """Shade between two series of returns indexed by relative day, drawn in %, with
    thin dashed edges (:func:`edged_band`)."""
    edged_band(ax, lower.index.to_numpy(), lower * 100, upper * 100, color, alpha, label)


def edged_band(
    ax: Axes,
    x: np.ndarray,
    lower: np.ndarray | pd.Series,
    upper: np.ndarray | pd.Series,
    color: str,
    alpha: float = 0.1,
    label: str | None = None,
) -> None:
    """A light band with dashed edges in its colour: several bands stay apart where they
    overlap (the edges show where each ends, the fills never darken to an opaque mix)."""
    ax.fill_between(x, lower, upper, color=color, alpha=alpha, lw=0, label=label)
    for edge in (lower, upper):
        ax.plot(x, edge, color=color, lw=0.7, ls=(0, (3, 2)), alpha=0.8)


def _quarter(inches: float) -> float:
    """Round a size up to a quarter inch, so that the pixel size is exact."""
    return float(np.ceil(inches * 4) / 4)


def _study_title(result: RunResult) -> str:
    s = result.study.study
    return s.title or s.name


def _bars(
    ax: Axes, x: np.ndarray, heights: np.ndarray, width: float, color: str, label: str
) -> PolyCollection:
    """Bars from 0 to ``heights`` centred on ``x``, as one collection.

    One artist instead of one ``Rectangle`` per bar (what ``ax.bar`` makes) draws
    several times faster. Rectangle ``i`` has corners ``(x_i ± width/2, 0)`` and
    ``(x_i ± width/2, heights_i)``; NaN heights give no bar.
    """
    from matplotlib.collections import PolyCollection

    keep = np.isfinite(heights)
    x, h = x[keep], heights[keep]
    left, right, zero = x - width / 2, x + width / 2, np.zeros_like(h)
    verts = np.stack(
        [np.column_stack(p) for p in ((left, zero), (left, h), (right, h), (right, zero))],
        axis=1,
    )
    bars = PolyCollection(verts, facecolors=color, edgecolors="none", label=label)
    ax.add_collection(bars, autolim=True)
    ax.autoscale_view()
    return bars
