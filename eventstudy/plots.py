"""Figures of a study: per-event CAR and AR, across-event CAAR, heat map, timeline.

Figures are built with matplotlib's object API (no pyplot state), so they work the
same in scripts, notebooks and the CLI, and share one style: a bold title (the event's
or the study's), a subtitle saying what is drawn, axis labels with units, a footer with
day 0 and the data source, and a SYNTHETIC DATA watermark on demo data.

==============  =========  ===========================================================
kind            level      what
==============  =========  ===========================================================
``car``         event      CAR path per security with 95% bands (:func:`plot_car`)
``ar``          event      daily AR bars, ``*`` beyond the 95% bound (:func:`plot_ar`)
``caar``        study      mean CAR over all pairs with a 95% band (:func:`plot_caar`)
``heatmap``     study      event x security CAR[0,+1] with stars (:func:`plot_heatmap`)
``timeline``    study      prices normalised to 100 with the events (:func:`plot_timeline`)
==============  =========  ===========================================================

With more than :data:`MANY_SECURITIES` securities an event figure draws the
cross-sectional mean with a 10-90% quantile band instead of one line per security.
:func:`save_figures` draws every figure of a run, in worker processes
(:class:`FigureJob`), and writes it atomically.
"""

from __future__ import annotations

import importlib
import io
import multiprocessing
import os
import signal
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from eventstudy import output

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    from eventstudy.results import StudyResult

CONFIDENCE = 0.95
"""Level of every confidence band and significance mark in the figures."""
MANY_SECURITIES = 12
"""Above this many securities an event figure draws the mean and a quantile band."""
QUANTILES = (0.10, 0.90)
"""The quantile band drawn when there are too many securities for one line each."""
DPI = 100
EVENT_SIZE = (9.0, 5.25)
"""Size in inches of the per-event figures and the CAAR figure (900 x 525 px)."""
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
EVENT_KINDS = ("car", "ar")
STUDY_KINDS = ("caar", "heatmap", "timeline")
MIME = {"png": "image/png", "svg": "image/svg+xml"}


# ----------------------------------------------------------------------------------
# Style
# ----------------------------------------------------------------------------------


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


def _footer(fig: Figure, result: StudyResult, text: str) -> None:
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


def _reference_lines(ax: Axes) -> None:
    ax.axvline(0, color=INK, lw=1, ls="--", zorder=1)
    ax.axhline(0, color=MUTED, lw=0.8, zorder=1)


def _event_header(fig: Figure, result: StudyResult, event_id: str, what: str) -> float:
    event = result.study.event(event_id)
    when = f"{event.date:%Y-%m-%d}"
    if event.time is not None:
        when += f" {event.time:%H:%M} {result.study.timezone_for(event)}"
    return _header(fig, event.title, f"{what} · news {when} · {event_id}")


def _day0_note(result: StudyResult, event_id: str) -> str:
    groups: dict[str, list[str]] = {}
    for a in result.alignments:
        if a.event_id == event_id:
            groups.setdefault(f"{a.day0:%Y-%m-%d}", []).append(a.ticker)
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


# ----------------------------------------------------------------------------------
# Numbers behind the figures (also what the tests compare with the CSV files)
# ----------------------------------------------------------------------------------


def _critical(frame: pd.DataFrame, result: StudyResult) -> np.ndarray:
    """Two-sided t critical values per row, df = n_est - 2 of the row's pair."""
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    keys = pd.MultiIndex.from_arrays([frame["event_id"], frame["ticker"]])
    df = n_est.reindex(keys).to_numpy(dtype="float64") - 2
    return special.stdtrit(df, 0.5 + CONFIDENCE / 2)


def cross_section(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Cross-sectional mean of ``column`` per relative day, with a 95% band.

    Parameters
    ----------
    frame
        Rows of ``abnormal_returns.csv`` (any subset of pairs).
    column
        ``"car"`` (gives the CAAR) or ``"ar"`` (gives the AAR).

    Returns
    -------
    DataFrame
        Indexed by ``rel_day``: ``n`` (pairs with a value that day), ``mean``, ``sd``,
        ``se``, ``lower``, ``upper`` (the 95% band) and the quantiles ``q10``, ``q90``.

    Notes
    -----
    The pairs are equally weighted. With :math:`N_\\tau` pairs that have a value on
    day :math:`\\tau`,

    .. math::

        \\overline{X}_\\tau = \\frac{1}{N_\\tau}\\sum_i X_{i\\tau}, \\qquad
        s_\\tau^2 = \\frac{1}{N_\\tau - 1}\\sum_i (X_{i\\tau} - \\overline{X}_\\tau)^2,

    and the band is :math:`\\overline{X}_\\tau \\pm t_{0.975,\\,N_\\tau-1}\\,
    s_\\tau/\\sqrt{N_\\tau}` (the cross-sectional standard error, which needs no
    model of each pair's variance but assumes independent pairs: pairs that share a
    calendar day 0 are correlated and make the band too narrow).
    """
    grouped = frame.groupby("rel_day", sort=True)[column]
    stats = pd.DataFrame(
        {
            "n": grouped.count(),
            "mean": grouped.mean(),
            "sd": grouped.std(ddof=1),
            "q10": grouped.quantile(QUANTILES[0]),
            "q90": grouped.quantile(QUANTILES[1]),
        }
    )
    n = stats["n"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        stats["se"] = stats["sd"] / np.sqrt(n)
        crit = special.stdtrit(np.where(n > 1, n - 1, np.nan), 0.5 + CONFIDENCE / 2)
    stats["lower"] = stats["mean"] - crit * stats["se"]
    stats["upper"] = stats["mean"] + crit * stats["se"]
    return stats


def caar(result: StudyResult) -> pd.DataFrame:
    """The CAAR path of the study: :func:`cross_section` of ``car`` over all pairs."""
    return cross_section(result.abnormal_returns, "car")


def default_window(result: StudyResult) -> tuple[int, int]:
    """``(0, 1)`` if the study has that CAR window, else its first window."""
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    return (0, 1) if (0, 1) in windows else windows[0]


def car_matrix(
    result: StudyResult, window: tuple[int, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CAR (in %) and p-values of one window as event x security frames.

    Rows are the events run (file order), columns the securities (first appearance);
    NaN where a pair was skipped or is not part of the event.
    """
    start, end = window or default_window(result)
    car = result.car_window(start, end)
    events = list(result.event_ids)
    tickers = list(dict.fromkeys(a.ticker for a in result.alignments))
    values = car.pivot(index="event_id", columns="ticker", values="car") * 100
    pvalues = car.pivot(index="event_id", columns="ticker", values="car_p")
    return values.reindex(index=events, columns=tickers), pvalues.reindex(
        index=events, columns=tickers
    )


def normalised_prices(result: StudyResult) -> tuple[pd.DataFrame, list[str]]:
    """Adjusted closes of the study's securities and benchmarks, first price = 100.

    Returns the frame (one column per ticker, securities first) and the benchmarks'
    names. Each series is divided by its own first price in the table.
    """
    prices = result.prices.adj_close
    securities = list(dict.fromkeys(a.ticker for a in result.alignments))
    benchmarks = list(dict.fromkeys(result.models["benchmark"]))
    columns = [t for t in [*securities, *benchmarks] if t in prices.columns]
    columns = list(dict.fromkeys(columns))
    frame = prices[columns]
    first = frame.apply(lambda s: s.dropna().iloc[0] if s.notna().any() else np.nan)
    bench = [b for b in benchmarks if b in columns and b not in securities]
    return frame / first * 100, bench


def _events(result: StudyResult) -> list[Any]:
    return [result.study.event(e) for e in result.event_ids]


# ----------------------------------------------------------------------------------
# Per-event figures
# ----------------------------------------------------------------------------------


def _event_frame(result: StudyResult, event_id: str) -> pd.DataFrame:
    ar = result.abnormal_returns
    return ar[ar["event_id"] == event_id]


def _event_layout(
    result: StudyResult, event_id: str, *, many_text: str, few_text: str, many_legend: int
) -> tuple[pd.DataFrame, Figure, Axes, list[str], bool, int]:
    """The event's rows, a figure with its header, the axes, its tickers, whether it has
    more than :data:`MANY_SECURITIES` securities (``{n}`` in ``many_text`` = their count)
    and the number of legend entries.
    """
    frame = _event_frame(result, event_id)
    fig = _new_figure(*EVENT_SIZE)
    tickers = list(dict.fromkeys(frame["ticker"]))
    many = len(tickers) > MANY_SECURITIES
    what = many_text.format(n=len(tickers)) if many else few_text
    n_legend = many_legend if many else len(tickers)
    top = _event_header(fig, result, event_id, what) + _legend_height(n_legend)
    return frame, fig, _axes(fig, 0.85, 0.95, 0.2, top + 0.1), tickers, many, n_legend


def plot_car(result: StudyResult, event_id: str) -> Figure:
    """CAR paths over the event window, one line per security, with 95% bands.

    The band at day tau is ``CAR(start, tau) ± t_{0.975, n-2} · se`` with the
    MacKinlay (1997) standard error of the running CAR (estimation error included).
    With more than :data:`MANY_SECURITIES` securities the figure shows the mean CAR
    with its cross-sectional 95% band (:func:`cross_section`) and the 10-90%
    quantile band of the securities' CARs instead.
    """
    frame, fig, ax, tickers, many, n_legend = _event_layout(
        result,
        event_id,
        many_text=f"mean CAR of {{n}} securities, {CONFIDENCE:.0%} band and 10-90% range",
        few_text=f"CAR per security with {CONFIDENCE:.0%} bands (MacKinlay s.e.)",
        many_legend=3,
    )
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
            ax.fill_between(day, car - half, car + half, color=color, alpha=0.13, lw=0)
            ax.plot(day, car, color=color, lw=1.8, marker="o", ms=3, label=ticker)
    ax.grid(color=GRID, lw=0.6)
    _reference_lines(ax)
    xlabel, dates = _date_label(frame)
    _event_ticks(ax, np.sort(frame["rel_day"].unique()), dates)
    ax.set_xlabel(xlabel, fontsize=9.5)
    ax.set_ylabel("Cumulative abnormal return (%)", fontsize=9.5)
    _top_legend(ax, n_legend)
    _footer(fig, result, _day0_note(result, event_id))
    return fig


def _mean_and_band(ax: Axes, stats: pd.DataFrame, n: int, what: str) -> None:
    day = stats.index.to_numpy()
    ax.fill_between(
        day,
        stats["q10"] * 100,
        stats["q90"] * 100,
        color=COLORS[0],
        alpha=0.12,
        lw=0,
        label=f"10-90% range of {n} securities",
    )
    ax.fill_between(
        day,
        stats["lower"] * 100,
        stats["upper"] * 100,
        color=COLORS[0],
        alpha=0.3,
        lw=0,
        label=f"{CONFIDENCE:.0%} band of the mean (cross-sectional s.e.)",
    )
    ax.plot(day, stats["mean"] * 100, color=COLORS[0], lw=2, marker="o", ms=3, label=f"mean {what}")


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


def plot_ar(result: StudyResult, event_id: str) -> Figure:
    """Daily abnormal returns as grouped bars; ``*`` marks |AR| beyond the 95% bound.

    The bound of a pair's AR is ``t_{0.975, n-2}`` times its prediction-error
    standard error. With more than :data:`MANY_SECURITIES` securities the figure
    shows the mean AR per day with the 10-90% quantile range of the securities' ARs;
    ``*`` then marks a mean beyond its cross-sectional 95% bound.
    """
    frame, fig, ax, tickers, many, n_legend = _event_layout(
        result,
        event_id,
        many_text=f"mean daily AR with the 10-90% range (* beyond the {CONFIDENCE:.0%} bound)",
        few_text=f"daily AR per security (* beyond the {CONFIDENCE:.0%} bound)",
        many_legend=2,
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
        significant = (stats["lower"] > 0) | (stats["upper"] < 0)
        marks += [
            (d, m, COLORS[0]) for d, m in zip(day[significant], mean[significant], strict=True)
        ]
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
            with np.errstate(invalid="ignore"):
                significant = np.abs(rows["ar"].to_numpy()) > crit[mask] * rows["ar_se"].to_numpy()
            marks += [(d, a, color) for d, a in zip(day[significant], ar[significant], strict=True)]
    for d, a, color in marks:
        ax.text(d, a, "*", ha="center", va="bottom" if a >= 0 else "top", fontsize=12, color=color)
    ax.grid(color=GRID, lw=0.6, axis="y")
    _reference_lines(ax)
    xlabel, dates = _date_label(frame)
    _event_ticks(ax, np.sort(frame["rel_day"].unique()), dates)
    ax.set_xlabel(xlabel, fontsize=9.5)
    ax.set_ylabel("Abnormal return (%)", fontsize=9.5)
    ax.margins(y=0.08)
    _top_legend(ax, n_legend)
    _footer(fig, result, _day0_note(result, event_id))
    return fig


# ----------------------------------------------------------------------------------
# Study figures
# ----------------------------------------------------------------------------------


def _study_title(result: StudyResult) -> str:
    s = result.study.study
    return s.title or s.name


def plot_caar(result: StudyResult) -> Figure:
    """Cumulative average abnormal return over all estimated pairs, with a 95% band.

    CAAR(tau) is the equally weighted mean of the pairs' running CARs (the ``car``
    column of ``abnormal_returns.csv``); the band is ``CAAR ± t_{0.975, N-1} · s/√N``
    with ``s`` the cross-sectional standard deviation of the CARs on that day (see
    :func:`cross_section` for the formula). Dashed lines show the mean CAR of each
    security over its events when there are at most :data:`MANY_SECURITIES`.
    """
    frame = result.abnormal_returns
    stats = cross_section(frame, "car")
    tickers = list(dict.fromkeys(frame["ticker"]))
    per_ticker = len(tickers) <= MANY_SECURITIES
    n_pairs = frame.groupby(["event_id", "ticker"]).ngroups
    n_events = frame["event_id"].nunique()
    fig = _new_figure(*EVENT_SIZE)
    n_legend = 2 + (len(tickers) if per_ticker else 0)
    top = _header(
        fig,
        _study_title(result),
        f"CAAR: mean CAR of {n_pairs} (event, security) pairs from {n_events} events, "
        f"equally weighted, with a {CONFIDENCE:.0%} band",
    )
    ax = _axes(fig, 0.85, 0.8, 0.2, top + _legend_height(n_legend, 4) + 0.1)
    day = stats.index.to_numpy()
    ax.fill_between(
        day,
        stats["lower"] * 100,
        stats["upper"] * 100,
        color=INK,
        alpha=0.14,
        lw=0,
        label=f"{CONFIDENCE:.0%} band (cross-sectional s.e.)",
    )
    ax.plot(day, stats["mean"] * 100, color=INK, lw=2.2, marker="o", ms=3.5, label="CAAR")
    if per_ticker:
        by_ticker = frame.groupby(["ticker", "rel_day"], sort=False)["car"].mean()
        for color, ticker in zip(cycle(COLORS), tickers, strict=False):
            path = by_ticker.loc[ticker]
            n = frame.loc[frame["ticker"] == ticker, "event_id"].nunique()
            ax.plot(
                path.index.to_numpy(),
                path.to_numpy() * 100,
                color=color,
                lw=1.1,
                ls="--",
                label=f"{ticker} ({n} events)",
            )
    ax.grid(color=GRID, lw=0.6)
    _reference_lines(ax)
    ax.set_xticks(_round_ticks(int(day.min()), int(day.max())))
    ax.set_xlim(day.min() - 0.6, day.max() + 0.6)
    ax.set_xlabel("Trading days relative to each pair's day 0 (event time)", fontsize=9.5)
    ax.set_ylabel("Cumulative average abnormal return (%)", fontsize=9.5)
    _top_legend(ax, n_legend, 4)
    skipped = len(result.skipped)
    dates = result.car.drop_duplicates(["event_id", "ticker"])["day0"].nunique()
    note = (
        f"{n_pairs} pairs on {dates} distinct day-0 dates ({skipped} skipped); pairs that "
        "share a date are correlated, which the band ignores"
    )
    _footer(fig, result, note)
    return fig


def _round_ticks(lo: int, hi: int) -> list[int]:
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 250) if (hi - lo) / s <= 8)
    return [d for d in range(lo - lo % step, hi + 1, step) if lo <= d <= hi]


HEATMAP_SECURITIES = 30
"""The heat map shows at most this many securities (those with the smallest mean p)."""


def plot_heatmap(result: StudyResult, window: tuple[int, int] | None = None) -> Figure:
    """Event x security heat map of CAR over one window (default ``[0, +1]``).

    A study of more than :data:`HEATMAP_SECURITIES` securities shows those with the
    smallest mean p-value across events (in study order) and says so.

    Each cell shows the CAR in % with stars for its two-sided MacKinlay t-test
    (``*`` p < 0.10, ``**`` p < 0.05, ``***`` p < 0.01); grey cells are pairs that
    were skipped (labelled) or are not part of the event. The colour scale is
    symmetric around zero (red: negative, blue: positive).
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    from eventstudy.results import stars

    start, end = window or default_window(result)
    values, pvalues = car_matrix(result, (start, end))
    every = values.shape[1]
    if every > HEATMAP_SECURITIES:  # the most significant securities, in study order
        keep = pvalues.mean(axis=0).sort_values(kind="stable").index[:HEATMAP_SECURITIES]
        chosen = set(keep)
        columns = [t for t in values.columns if t in chosen]
        values, pvalues = values[columns], pvalues[columns]
    skipped = set(zip(result.skipped["event_id"], result.skipped["ticker"], strict=True))
    n_rows, n_cols = values.shape
    labels = [f"{e}  {result.study.event(e).date:%Y-%m-%d}" for e in values.index]
    left = 0.3 + 0.068 * max((len(s) for s in labels), default=10)
    cell_w = 0.85 if n_cols <= 12 else 0.6
    width = _quarter(max(left + cell_w * n_cols + 1.3, 7.5))
    height = _quarter(1.45 + 0.3 * n_rows)
    fig = _new_figure(width, height)
    top = _header(
        fig,
        _study_title(result),
        f"CAR[{start:+d},{end:+d}] in % per event and security · * p<0.10, ** p<0.05, "
        "*** p<0.01 (MacKinlay t)"
        + (
            f" · the {n_cols} of {every} securities with the smallest mean p; all in car.csv"
            if every > n_cols
            else ""
        ),
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
    _footer(fig, result, "Rows: events (news date) in file order")
    return fig


def _quarter(inches: float) -> float:
    """Round a size up to a quarter inch, so that the pixel size is exact."""
    return float(np.ceil(inches * 4) / 4)


def plot_timeline(result: StudyResult) -> Figure:
    """Each security's adjusted close (first price = 100, log scale) with the events.

    Every event is a numbered vertical line at its news date, keyed below the plot,
    with a circle on each of its securities' lines at that security's day 0.
    Benchmarks are dashed grey. With more than :data:`MANY_SECURITIES` securities
    the figure shows their median and the 10-90% quantile band instead.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    prices, benchmarks = normalised_prices(result)
    securities = [c for c in prices.columns if c not in benchmarks]
    many = len(securities) > MANY_SECURITIES
    events = [e for e in _events(result) if any(a.event_id == e.id for a in result.alignments)]
    key_cols = 2
    key_rows = -(-len(events) // key_cols)
    key_height = 0.13 * key_rows
    n_legend = (2 if many else len(securities)) + len(benchmarks)
    width = 11.0
    fig = _new_figure(width, _quarter(4.6 + key_height + _legend_height(n_legend)))
    top = _header(
        fig,
        _study_title(result),
        (
            f"Median and 10-90% range of {len(securities)} securities' adjusted closes"
            if many
            else "Adjusted close of each security"
        )
        + ", first price = 100; numbered lines: the study's events (news date)"
        + ("" if many else "; circles: each security's day 0"),
    )
    bottom = 0.3 + key_height + 0.55
    ax = _axes(fig, 0.75, bottom, 0.25, top + _legend_height(n_legend) + 0.1)
    ax.set_yscale("log")
    dates = prices.index
    colors = dict(zip(securities, cycle(COLORS), strict=False))
    if many:
        block = prices[securities]
        ax.fill_between(
            dates,
            block.quantile(QUANTILES[0], axis=1),
            block.quantile(QUANTILES[1], axis=1),
            color=COLORS[0],
            alpha=0.2,
            lw=0,
            label=f"10-90% range of {len(securities)} securities",
        )
        ax.plot(dates, block.median(axis=1), color=COLORS[0], lw=1.4, label="median")
    else:
        for ticker in securities:
            series = prices[ticker].dropna()
            ax.plot(series.index, series.to_numpy(), color=colors[ticker], lw=1.1, label=ticker)
    for ticker in benchmarks:
        series = prices[ticker].dropna()
        ax.plot(
            series.index,
            series.to_numpy(),
            color=MUTED,
            lw=0.9,
            ls="--",
            label=f"{ticker} (benchmark)",
        )
    low, high = np.nanmin(prices.to_numpy()), np.nanmax(prices.to_numpy())
    subs = (1.0, 2.0, 5.0) if high / low > 4 else (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5)
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(color=GRID, lw=0.6, which="major")
    ax.set_xlim(dates.min(), dates.max())
    if not many:  # a circle at each pair's day 0, one artist per security
        for ticker in securities:
            days = [a.day0 for a in result.alignments if a.ticker == ticker]
            at = prices[ticker].reindex(days).dropna()
            ax.plot(
                at.index,
                at.to_numpy(),
                ls="none",
                marker="o",
                ms=5,
                mfc="white",
                mec=colors[ticker],
                mew=1.4,
                zorder=3,
            )
    # Numbered event lines, labels staggered so that neighbours do not overlap.
    span = max((dates.max() - dates.min()).days, 1)
    gap = 0.28 / (ax.get_position().width * width) * span  # about 0.28 inch per label
    last: list[float] = []
    for number, event in enumerate(events, start=1):
        x = pd.Timestamp(event.date)
        offset = (x - dates.min()).days
        row = next((r for r, end in enumerate(last) if offset - end >= gap), len(last))
        if row == len(last):
            last.append(offset)
        last[row] = offset
        ax.axvline(x, color=MUTED, lw=0.6, ls=":", zorder=1)
        ax.annotate(
            str(number),
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, -4 - 13 * (row % 6)),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7.5,
            color=INK,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": MUTED, "lw": 0.6},
        )
    _top_legend(ax, n_legend)
    ax.set_ylabel(f"Adjusted close, {dates.min():%Y-%m-%d} = 100 (log scale)", fontsize=9.5)
    ax.set_xlabel("Date", fontsize=9.5)
    entries = [
        f"{i:>2}. {e.date:%Y-%m-%d}  {textwrap.shorten(e.id + ': ' + e.title, 64)}"
        for i, e in enumerate(events, start=1)
    ]
    h = fig.get_size_inches()[1]
    for col in range(key_cols):
        lines = entries[col * key_rows : (col + 1) * key_rows]
        fig.text(
            (0.75 + col * (width - 1.0) / key_cols) / width,
            (0.3 + key_height) / h,
            "\n".join(lines),
            fontsize=7.5,
            color=INK,
            va="top",
            linespacing=1.3,
        )
    _footer(fig, result, f"{len(events)} events, {len(securities)} securities")
    return fig


# ----------------------------------------------------------------------------------
# Dispatch and saving
# ----------------------------------------------------------------------------------

PLOTS: dict[str, Callable[..., Figure]] = {
    "car": plot_car,
    "ar": plot_ar,
    "caar": plot_caar,
    "heatmap": plot_heatmap,
    "timeline": plot_timeline,
}


def figure(result: StudyResult, kind: str, event_id: str | None = None, **options: Any) -> Figure:
    """The figure of one kind: per event (``car``, ``ar``) or per study (the others)."""
    from eventstudy.errors import EventStudyError

    if kind not in PLOTS:
        raise EventStudyError(f"unknown plot kind '{kind}' (choose from {', '.join(PLOTS)})")
    if kind in EVENT_KINDS:
        if event_id is None:
            raise EventStudyError(f"plot kind '{kind}' needs an event id")
        result.study.event(event_id)  # a clear error for an unknown id
        if not (result.abnormal_returns["event_id"] == event_id).any():
            raise EventStudyError(f"event '{event_id}' has no estimated pair to plot")
        return PLOTS[kind](result, event_id, **options)
    if result.abnormal_returns.empty:
        raise EventStudyError("no estimated pair to plot")
    return PLOTS[kind](result, **options)


PNG_COMPRESSION = 3
"""zlib level of the PNGs: half the encoding time of the default 6, files ~3% larger."""


SVG_SALT = "eventstudy"
"""Salt of the ids in SVG files unless :rc:`svg.hashsalt` is set (matplotlib's default,
a random salt, gives different files on every run)."""


def render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes; reruns give the same bytes (SVG: no timestamp,
    ids salted with :data:`SVG_SALT`)."""
    import matplotlib as mpl

    buffer = io.BytesIO()
    if fmt == "svg":
        with mpl.rc_context({"svg.hashsalt": mpl.rcParams["svg.hashsalt"] or SVG_SALT}):
            fig.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None})
    else:
        fig.savefig(buffer, format=fmt, dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESSION})
    return buffer.getvalue()


@dataclass
class Figures:
    """What :func:`save_figures` wrote.

    Attributes
    ----------
    paths
        File role (``"caar.png"``, ``"<event_id>/car.png"`` ...) to path.
    images
        Figure name (``"caar"``, ``"<event_id>/car"`` ...) to ``(mime type, bytes)`` of
        the first format written, for embedding in the report.
    """

    paths: dict[str, Path] = field(default_factory=dict)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def figure_names(result: StudyResult) -> Iterator[tuple[str, str, str | None]]:
    """``(name, kind, event_id)`` of every figure a run draws, in drawing order."""
    if result.abnormal_returns.empty:
        return
    for kind in STUDY_KINDS:
        yield kind, kind, None
    estimated = set(result.abnormal_returns["event_id"].unique())  # not row by row
    for event_id in (e for e in result.event_ids if e in estimated):
        for kind in EVENT_KINDS:
            yield f"{event_id}/{kind}", kind, event_id


def _draw(
    result: StudyResult, kind: str, event_id: str | None, formats: tuple[str, ...]
) -> list[bytes]:
    """One figure of ``result`` rendered in each of ``formats``."""
    fig = figure(result, kind, event_id)
    return [render(fig, fmt) for fmt in formats]


_Shown = tuple[str, type[Warning], str, int]
"""A warning shown in a worker: message, category, file and line."""
_worker: dict[str, StudyResult] = {}
"""In a figure worker process, ``"result"``: the run it draws (see :func:`_start_worker`)."""


def _start_worker(result: StudyResult, parent: int) -> None:
    """Set up a forked figure worker of process ``parent`` to draw ``result``.

    Ctrl-C reaches the whole process group: the parent handles it (cancels what has not
    started and waits for the rest), so the workers ignore it. A thread of the parent
    (the CLI's progress bar, a notebook kernel's) may hold the lock of ``sys.stdout``
    or ``sys.stderr`` at the fork, which would hang the worker on its first write or
    on the flush at exit; the workers never write to them (the parent shows their
    warnings, see :func:`_draw_in_worker`), so they get fresh ones on ``os.devnull``.
    A worker whose parent was killed would wait for work forever: it exits instead
    (:func:`_exit_with_parent`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open until exit)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _worker["result"] = result


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process once process ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _draw_in_worker(
    kind: str, event_id: str | None, formats: tuple[str, ...]
) -> tuple[list[bytes], list[_Shown]]:
    """:func:`_draw` in a worker, with the warnings it showed, for the parent to show.

    The warning filters are the parent's (forked), so a warning is shown, ignored or
    raised as an error here just as in the parent; only its display is left to the
    parent (:func:`warnings.showwarning`, which the CLI formats as one line).
    """
    shown: list[_Shown] = []

    def keep(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, *_: object
    ) -> None:
        shown.append((str(message), category, filename, lineno))

    with warnings.catch_warnings():
        warnings.showwarning = keep
        data = _draw(_worker["result"], kind, event_id, formats)
    return data, shown


def figure_workers(n_figures: int, workers: int | None = None) -> int:
    """How many worker processes draw ``n_figures`` figures.

    Parameters
    ----------
    n_figures
        Figures to draw.
    workers
        Processes wanted; default :func:`os.cpu_count`.

    Returns
    -------
    int
        ``workers``, at most one per figure and at least 1 (this process alone). Always
        1 where processes cannot be forked safely: without the ``fork`` start method
        (Windows), on macOS (system libraries are not fork-safe) and in a daemonic
        process (a :class:`multiprocessing.Pool` worker may not have children).
    """
    if (
        sys.platform == "darwin"
        or "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon
    ):
        return 1
    wanted = workers if workers is not None else os.cpu_count() or 1
    return max(1, min(wanted, n_figures))


class FigureJob:
    """Every figure of a run, drawn by worker processes while the caller does other work.

    Creating the job starts the drawing; :meth:`finish` writes the figures in drawing
    order as they come in. Use it as a context manager, so that the workers are shut
    down however the block ends::

        with FigureJob(result, folder) as job:
            ...  # anything else, while the workers draw
            figures = job.finish(progress)

    Parameters
    ----------
    result
        The run.
    folder
        Where :meth:`finish` writes the files (see :func:`save_figures`).
    formats
        Figure formats, among :data:`MIME`.
    workers
        Worker processes (see :func:`figure_workers`; default one per CPU). With one,
        or if no process can be forked, :meth:`finish` draws each figure in this
        process instead.

    Notes
    -----
    The workers are forked: they start in milliseconds with the run, the imported
    modules and matplotlib's settings of this process, and only the rendered bytes
    come back, so the files are byte for byte those of a serial run. They draw a
    figure at a time in drawing order; this process writes every file (atomically,
    with :func:`eventstudy.output.write_atomic`).
    """

    def __init__(
        self,
        result: StudyResult,
        folder: Path,
        *,
        formats: tuple[str, ...] = ("png",),
        workers: int | None = None,
    ) -> None:
        from eventstudy.errors import EventStudyError

        unknown = [f for f in formats if f not in MIME]
        if unknown or not formats:
            raise EventStudyError(f"figure formats must be among {', '.join(MIME)}, not {unknown}")
        self.result = result
        self.folder = folder
        self.formats = tuple(sorted(set(formats), key=lambda f: f != "png"))
        self.names = list(figure_names(result))
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[Future[tuple[list[bytes], list[_Shown]]]] = []
        n_workers = figure_workers(len(self.names), workers)
        if n_workers > 1:
            for module in ("matplotlib.figure", "matplotlib.backends.backend_agg"):
                importlib.import_module(module)  # once here, not in every worker
            self._pool = ProcessPoolExecutor(
                n_workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(result, os.getpid()),
            )
            try:  # the first submit forks the workers
                self._pending = [
                    self._pool.submit(_draw_in_worker, kind, event_id, self.formats)
                    for _, kind, event_id in self.names
                ]
            except OSError:  # cannot fork (a process or memory limit): draw here instead
                self.close()
                self._pending = []
            except BaseException:
                self.close()
                raise

    def __enter__(self) -> FigureJob:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel the figures not started yet and wait for the workers to exit."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _rendered(self) -> Iterator[list[bytes]]:
        """Each figure's bytes per format, in drawing order (waiting for the workers)."""
        if not self._pending:
            for _, kind, event_id in self.names:
                yield _draw(self.result, kind, event_id, self.formats)
            return
        for future in self._pending:
            data, shown = future.result()
            for warning in shown:
                warnings.showwarning(*warning)
            yield data

    def finish(self, progress: Callable[[str, int, int], None] | None = None) -> Figures:
        """Write every figure into the folder in each format and shut the workers down.

        ``progress(name, done, total)`` is called after each figure is written, in
        drawing order.
        """
        done = Figures()
        total = len(self.names)
        rendered = zip(self.names, self._rendered(), strict=True)
        for i, ((name, _, _), data) in enumerate(rendered, start=1):
            for fmt, blob in zip(self.formats, data, strict=True):
                path = self.folder / f"{name}.{fmt}"
                done.paths[f"{name}.{fmt}"] = output.write_atomic(
                    path, lambda f, b=blob: f.write(b)
                )
                done.images.setdefault(name, (MIME[fmt], blob))
            if progress is not None:
                progress(name, i, total)
        self.close()
        return done


def save_figures(
    result: StudyResult,
    folder: Path,
    *,
    formats: tuple[str, ...] = ("png",),
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> Figures:
    """Draw every figure of a run and write it into ``folder`` in each format.

    Parameters
    ----------
    result
        The run.
    folder
        Study figures go to ``folder/<kind>.<fmt>``, event figures to
        ``folder/<event_id>/<kind>.<fmt>``; every file is written atomically.
    formats
        Figure formats, among :data:`MIME`.
    progress
        Called as ``progress(name, done, total)`` after each figure, in drawing order.
    workers
        Processes that draw the figures (default one per CPU; see :class:`FigureJob`).

    Returns
    -------
    Figures
        The files written and the bytes of each figure.
    """
    with FigureJob(result, folder, formats=formats, workers=workers) as job:
        return job.finish(progress)


def stale_figures(result: StudyResult, folder: Path, formats: tuple[str, ...] | None) -> list[Path]:
    """Figure files in ``folder`` left by an earlier run that this run will not rewrite.

    Only the names this toolkit writes are considered: ``<kind>.<fmt>`` of the study
    figures and ``<event_id>/<kind>.<fmt>`` of every event in the events file, in every
    format of :data:`MIME`. ``formats`` are the formats this run draws (None: no
    figures); what it draws is kept, everything else of those names that exists is
    returned, so that a folder never mixes figures of different runs.
    """
    drawn = {
        folder / f"{name}.{fmt}" for name, _, _ in figure_names(result) for fmt in formats or ()
    }
    names = [*STUDY_KINDS, *(f"{e.id}/{kind}" for e in result.study.events for kind in EVENT_KINDS)]
    candidates = (folder / f"{name}.{fmt}" for name in names for fmt in MIME)
    return [path for path in candidates if path not in drawn and path.is_file()]
