"""Per-event figures: CAR paths with 95% bands (``car``) and AR bars (``ar``)."""

from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.bands import CONFIDENCE, cross_section
from eventstudy.outputs.plots.numbers import (
    ANCHOR,
    _critical,
    anchored,
    event_rows,
    headline,
)
from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    GRID,
    INK,
    MANY_SECURITIES,
    MUTED,
    _axes,
    _band,
    _bars,
    _event_ticks,
    _footer,
    _header,
    _legend_height,
    _new_figure,
    _reference_lines,
    _top_legend,
    edged_band,
    p_text,
    window_label,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult


def _event_header(fig: Figure, result: RunResult, event_id: str, what: str) -> float:
    event = result.study.event(event_id)
    when = f"{event.date:%Y-%m-%d}"
    if event.time is not None:
        when += f" {event.time:%H:%M} {result.study.timezone_for(event)}"
    return _header(fig, event.title, f"{what} · news {when} · {event_id}")


def _day0_note(result: RunResult, event_id: str) -> str:
    """Day 0 of the event's securities (from ``car.csv``), grouped by date."""
    rows = event_rows(result.car, event_id).drop_duplicates("ticker")
    groups = rows.groupby(rows["day0"].astype(str), sort=False)["ticker"].agg(list)
    parts = [
        f"{day} ({', '.join(t) if len(t) <= 6 else f'{len(t)} securities'})"
        for day, t in groups.items()
    ]
    return "Day 0: " + "; ".join(parts)


def _date_label(frame: pd.DataFrame) -> tuple[str, list[str]]:
    """x-axis label and the session dates of the first security."""
    first = frame["ticker"].iloc[0]
    dates = frame.loc[frame["ticker"] == first, "date"].tolist()
    same = frame.groupby("ticker", sort=False)["date"].apply(list).map(dates.__eq__).all()
    where = "session dates" if same else f"{first}'s session dates"
    return f"Trading days relative to day 0 ({where} below)", dates


def _event_layout(
    result: RunResult,
    event_id: str,
    *,
    many_text: str,
    few_text: str,
    many_legend: int,
    few_extra: int = 0,
) -> tuple[pd.DataFrame, Figure, Axes, list[str], bool, int]:
    """The event's rows, a figure with its header, the axes, its tickers, whether it has
    more than :data:`MANY_SECURITIES` securities (``{n}`` in ``many_text`` = their count,
    ``{start}`` in both texts = the first relative day) and the number of legend entries
    (``many_legend``, or one per security plus ``few_extra``).
    """
    frame = event_rows(result.abnormal_returns, event_id)
    fig = _new_figure(*EVENT_SIZE)
    tickers = list(dict.fromkeys(frame["ticker"]))
    many = len(tickers) > MANY_SECURITIES
    start = int(frame["rel_day"].min())
    what = (many_text if many else few_text).format(n=len(tickers), start=start)
    n_legend = many_legend if many else len(tickers) + few_extra
    top = _event_header(fig, result, event_id, what) + _legend_height(n_legend)
    return frame, fig, _axes(fig, 0.85, 0.95, 0.2, top + 0.1), tickers, many, n_legend


def _event_axes_labels(ax: Axes, frame: pd.DataFrame, ylabel: str) -> None:
    _reference_lines(ax)
    xlabel, dates = _date_label(frame)
    _event_ticks(ax, np.sort(frame["rel_day"].unique()), dates)
    ax.set_xlabel(xlabel, fontsize=9.5)
    ax.set_ylabel(ylabel, fontsize=9.5)


def plot_car(result: RunResult, event_id: str) -> Figure:
    """CAR paths over the event window, one line per security, with 95% bands.

    Every path is anchored at day -1 (:func:`~eventstudy.outputs.plots.numbers.anchored`):
    from day 0 on it is the CAR from day 0, so its value at day +1 is the CAR[0, +1] of
    ``car.csv``, and before day -1 it shows the drift into the event. The headline
    window's CAR and p of each security (the report's, ``[0, +1]`` when the study has
    it) are printed in the axes. The band at day tau is ``± t_{0.975, n-2} · se`` with
    the root of the summed prediction-error variances of the same days. With more than
    :data:`MANY_SECURITIES` securities the figure shows the mean anchored CAR with its
    cross-sectional 95% band (:func:`cross_section`) and the 10-90% quantile band of
    the securities' CARs instead.
    """
    frame, fig, ax, tickers, many, n_legend = _event_layout(
        result,
        event_id,
        many_text=(
            f"mean CAR of {{n}} securities from day 0 (0 at day {ANCHOR}), "
            f"{CONFIDENCE:.0%} band and 10-90% range"
        ),
        few_text=(
            f"CAR per security from day 0 (0 at day {ANCHOR}), {CONFIDENCE:.0%} bands "
            "(prediction-error s.e.)"
        ),
        many_legend=3,
    )
    frame = anchored(frame)
    if many:
        _mean_and_band(ax, cross_section(frame, "car"), len(tickers), "CAR")
    else:
        crit = _critical(frame, result)
        owner = frame["ticker"].to_numpy()
        for color, ticker in zip(cycle(COLORS), tickers, strict=False):
            mask = owner == ticker
            rows = frame[mask]
            day = rows["rel_day"].to_numpy()
            car = rows["car"].to_numpy() * 100
            half = rows["car_se"].to_numpy() * crit[mask] * 100
            edged_band(ax, day, car - half, car + half, color, 0.08)
            ax.plot(day, car, color=color, lw=1.8, marker="o", ms=3, label=ticker)
    ax.grid(color=GRID, lw=0.6)
    _event_axes_labels(ax, frame, "Cumulative abnormal return from day 0 (%)")
    _headline_box(ax, result, event_id)
    _top_legend(ax, n_legend)
    _footer(fig, result, _day0_note(result, event_id))
    return fig


HEADLINE_ROWS = 4
"""Securities named in an event figure's CAR box (smallest p first)."""


def _headline_box(ax: Axes, result: RunResult, event_id: str) -> None:
    """The headline window's CAR and p per security (or their mean), top left."""
    (a, b), rows = headline(result, event_id)
    if rows.empty:
        return
    label = f"CAR{window_label(a, b)}"
    if len(rows) > HEADLINE_ROWS:
        lines = [f"mean {label} {rows['car'].mean() * 100:+.1f}% of {len(rows)} securities"]
        lines += [
            f"{t} {c * 100:+.1f}% (p {p_text(p)})"
            for t, c, p in rows.head(2).itertuples(index=False)
        ]
    else:
        lines = [label] + [
            f"{t} {c * 100:+.1f}% (p {p_text(p)})" for t, c, p in rows.itertuples(index=False)
        ]
    ax.text(
        0.01, 0.98, "\n".join(lines), transform=ax.transAxes, va="top", ha="left", fontsize=8.5,
        color=INK, bbox={"facecolor": "white", "edgecolor": GRID, "alpha": 0.9, "pad": 3},
        zorder=5,
    )  # fmt: skip


def _mean_and_band(ax: Axes, stats: pd.DataFrame, n: int, what: str) -> None:
    day = stats.index.to_numpy()
    _band(ax, stats["q10"], stats["q90"], COLORS[4], 0.10, f"10-90% range of {n} securities")
    band = f"{CONFIDENCE:.0%} band of the mean (cross-sectional s.e.)"
    _band(ax, stats["lower"], stats["upper"], COLORS[0], 0.22, band)
    ax.plot(day, stats["mean"] * 100, color=COLORS[0], lw=2, marker="o", ms=3, label=f"mean {what}")


def _bound(ax: Axes, x: np.ndarray, half: np.ndarray, width: float, color: str) -> None:
    """The ±``half`` bound of bars centred on ``x``: dotted ticks as wide as the bars."""
    keep = np.isfinite(half)
    x, half = x[keep], half[keep]
    ax.hlines(
        np.r_[half, -half],
        np.r_[x, x] - width / 2,
        np.r_[x, x] + width / 2,
        colors=color,
        lw=1.1,
        linestyles=":",
        zorder=3,
    )


def plot_ar(result: RunResult, event_id: str) -> Figure:
    """Daily abnormal returns as grouped bars with the 95% bound; ``*`` marks bars beyond.

    The bound of a pair's AR is ``± t_{0.975, n-2}`` times its prediction-error
    standard error (``ar_se``), drawn as a dotted tick above and below each bar. With
    more than :data:`MANY_SECURITIES` securities the figure shows the mean AR per day
    with the 10-90% quantile range of the securities' ARs; the bound is then that of
    the mean, ``± t_{0.975, N-1} · s/√N`` (:func:`cross_section`), and ``*`` marks a
    mean beyond it. The headline window's CAR and p are printed as on :func:`plot_car`.
    """
    frame, fig, ax, tickers, many, n_legend = _event_layout(
        result,
        event_id,
        many_text=f"mean daily AR with the 10-90% range (* beyond the {CONFIDENCE:.0%} bound)",
        few_text=f"daily AR per security (* beyond the {CONFIDENCE:.0%} bound, dotted)",
        many_legend=3,
        few_extra=1,
    )
    marks: list[tuple[float, float, str]] = []
    if many:
        stats = cross_section(frame, "ar")
        day = stats.index.to_numpy()
        mean = stats["mean"].to_numpy() * 100
        _bars(ax, day, mean, 0.7, COLORS[0], f"mean AR of {len(tickers)}")
        ax.vlines(
            day,
            stats["q10"] * 100,
            stats["q90"] * 100,
            color=MUTED,
            lw=1.2,
            label="10-90% range",
        )
        _bound(ax, day, (stats["upper"] - stats["mean"]).to_numpy() * 100, 0.7, "#000000")
        significant = (stats["lower"] > 0) | (stats["upper"] < 0)
        marks += [
            (d, m, COLORS[0]) for d, m in zip(day[significant], mean[significant], strict=True)
        ]
        bound_label = f"±{CONFIDENCE:.0%} bound of the mean"
    else:
        crit = _critical(frame, result)
        owner = frame["ticker"].to_numpy()
        width = 0.8 / max(len(tickers), 1)
        for k, (color, ticker) in enumerate(zip(cycle(COLORS), tickers, strict=False)):
            mask = owner == ticker
            rows = frame[mask]
            day = rows["rel_day"].to_numpy() + (k - (len(tickers) - 1) / 2) * width
            ar = rows["ar"].to_numpy() * 100
            _bars(ax, day, ar, width, color, ticker)
            half = crit[mask] * rows["ar_se"].to_numpy()
            _bound(ax, day, half * 100, width, color)
            with np.errstate(invalid="ignore"):
                significant = np.abs(rows["ar"].to_numpy()) > half
            marks += [(d, a, color) for d, a in zip(day[significant], ar[significant], strict=True)]
        bound_label = f"±{CONFIDENCE:.0%} bound (t · s.e.)"
    ax.plot([], [], color=MUTED, lw=1.1, ls=":", label=bound_label)
    for d, a, color in marks:
        ax.text(d, a, "*", ha="center", va="bottom" if a >= 0 else "top", fontsize=12, color=color)
    ax.grid(color=GRID, lw=0.6, axis="y")
    _event_axes_labels(ax, frame, "Abnormal return (%)")
    ax.margins(y=0.08)
    _headline_box(ax, result, event_id)
    _top_legend(ax, n_legend)
    _footer(fig, result, _day0_note(result, event_id))
    return fig
