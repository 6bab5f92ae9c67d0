"""The intraday figure: each security's CAR path against clock time around the news.

The x axis runs over bars (so the nights and weekends between sessions take no room);
each session break is a dotted line labelled with the new session's date, the news
time is a dashed line (at bar 0's start when the news came outside the bars, with the
reason in the subtitle), and each path has its 95% band from the MacKinlay (1997)
standard error of the running CAR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.plots.style import (
    COLORS,
    EVENT_SIZE,
    INK,
    MUTED,
    _axes,
    _footer,
    _header,
    _new_figure,
    _top_legend,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.intraday.record import IntradayRecord

Z95 = 1.959963984540054


def news_offset(result: IntradayRecord, event_id: str) -> float:
    """Where the news falls, in bars from bar 0's start (0 when outside the bars)."""
    for a in result.alignments:
        if (
            a.event_id == event_id
            and not a.shifted
            and a.news_time[:4].isdigit()
            and "T" in a.news_time
        ):
            news = pd.Timestamp(a.news_time)
            minutes = {"1h": 60, "30m": 30, "15m": 15, "5m": 5, "1m": 1}[a.interval]  # type: ignore[attr-defined]
            return float((news - a.bar0).total_seconds() / 60 / minutes)  # type: ignore[attr-defined]
    return 0.0


def event_car_figure(result: IntradayRecord, event_id: str) -> Figure:
    """CAR paths (%) of the event's securities against bar clock time."""
    rows = result.abnormal_returns[result.abnormal_returns["event_id"] == event_id]
    event = result.study.event(event_id)
    s = result.study.study
    fig = _new_figure(*EVENT_SIZE)
    tickers = list(dict.fromkeys(rows["ticker"]))
    shifted = [a for a in result.alignments if a.event_id == event_id and a.shifted]
    subtitle = f"{s.interval} bars, {s.session} session; CAR with 95% band"
    if shifted:
        a = shifted[0]
        news = a.news_time[11:16] or a.news_time
        subtitle += f"; news {news} outside the bars: bar 0 = first bar after, {a.bar0:%d %b %H:%M}"  # type: ignore[attr-defined]
    top = _header(fig, f"{event.title} ({event_id})", subtitle)
    ax = _axes(fig, 0.7, 0.95, 0.25, top + 0.3)
    for k, ticker in enumerate(tickers):
        own = rows[rows["ticker"] == ticker].sort_values("rel_bar")
        x = own["rel_bar"].to_numpy() + 1.0  # the CAR after bar t is known at its end
        car = own["car"].to_numpy() * 100
        band = Z95 * own["car_se"].to_numpy() * 100
        color = COLORS[k % len(COLORS)]
        ax.plot(np.r_[x[0] - 1, x], np.r_[0.0, car], color=color, lw=1.6, label=ticker)
        ax.fill_between(x, car - band, car + band, color=color, alpha=0.12, lw=0)
    first = rows[rows["ticker"] == tickers[0]].sort_values("rel_bar") if tickers else rows
    if len(first):
        stamps = [pd.Timestamp(t) for t in first["timestamp"]]
        bars = first["rel_bar"].to_numpy()
        for bar, when, night in zip(bars, stamps, first["overnight"].to_numpy(), strict=True):
            if night:
                ax.axvline(bar, color=MUTED, lw=0.8, ls=":", zorder=1)
                ax.text(bar, 1.0, f" {when:%d %b}", transform=ax.get_xaxis_transform(),
                        fontsize=7.5, color=MUTED, va="top")  # fmt: skip
        step = max(1, len(bars) // 8)
        ticks = bars[::step]
        labels = [f"{b:+d}\n{t:%H:%M}" for b, t in zip(ticks, stamps[::step], strict=True)]
        ax.set_xticks(ticks, labels)
    ax.axvline(news_offset(result, event_id), color=INK, lw=1, ls="--", zorder=2, label="news")
    ax.axhline(0, color=MUTED, lw=0.8, zorder=1)
    ax.set_xlabel("Bars relative to bar 0 (bar starts, exchange-local clock)", fontsize=9)
    ax.set_ylabel("CAR (%)", fontsize=9.5)
    _top_legend(ax, len(tickers) + 1)
    _footer(fig, result, f"eventstudy · {s.name}")  # type: ignore[arg-type]
    return fig
