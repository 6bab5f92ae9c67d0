"""``<event_id>/volatility.png``: Beaver's U per day and security against 1 (no effect)."""

from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from eventstudy.outputs.bands import CONFIDENCE
from eventstudy.outputs.plots.event import _day0_note, _event_axes_labels, _event_layout
from eventstudy.outputs.plots.numbers import event_rows
from eventstudy.outputs.plots.style import COLORS, GRID, MUTED, _footer, _top_legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult


SWAMP = 8.0
"""A peak U above this many critical values puts the figure on a symmetric log scale."""


def plot_volatility(result: RunResult, event_id: str) -> Figure:
    """Beaver's (1968) ``U_t = AR_t^2 / s^2`` per event day, one line per security.

    ``U`` is about 1 on a normal day (dashed line); a variance k times the estimation
    window's lifts it to about k (:mod:`eventstudy.measures.volatility`). The dotted
    line is the 5% critical value of one day's U, the 95% quantile of F(1, n - 2) (U is
    F-distributed under normal returns; n the median estimation days of the pairs).
    When the peak is above :data:`SWAMP` critical values the y axis is a symmetric log
    scale (linear below 1), so that the other days stay readable. With more than
    :data:`~eventstudy.outputs.plots.style.MANY_SECURITIES` securities the mean U of the
    securities per day is drawn instead.
    """
    frame, fig, ax, tickers, many, n_legend = _event_layout(
        result,
        event_id,
        many_text="mean Beaver U = AR²/s² of {n} securities (1 = normal variance)",
        few_text="Beaver U = AR²/s² per security (1 = normal variance)",
        many_legend=3,
        few_extra=2,
    )
    u = event_rows(result.volatility()[0], event_id)
    if many:
        mean = u.groupby("rel_day")["u"].mean()
        ax.plot(mean.index, mean.to_numpy(), color=COLORS[0], lw=1.6, marker="o", ms=3,
                label=f"mean U of {len(tickers)}")  # fmt: skip
    else:
        for color, ticker in zip(cycle(COLORS), tickers, strict=False):
            rows = u[u["ticker"] == ticker]
            ax.plot(rows["rel_day"], rows["u"], color=color, lw=1.4, marker="o", ms=3,
                    label=ticker)  # fmt: skip
    ax.axhline(1.0, color=MUTED, lw=1.1, ls="--", label="U = 1 (normal variance)")
    df = float(event_rows(result.models, event_id)["n_est"].median()) - 2
    crit = float(special.fdtri(1, df, CONFIDENCE)) if df > 0 else float("nan")
    if np.isfinite(crit):
        what = f"{1 - CONFIDENCE:.0%} critical value F(1, {df:.0f}) = {crit:.2f}"
        ax.axhline(crit, color=COLORS[1], lw=1.1, ls=":", label=what)
    ax.grid(color=GRID, lw=0.6, axis="y")
    peak = float(np.nanmax(u["u"].to_numpy(dtype="float64"), initial=0.0))
    log = np.isfinite(crit) and peak > SWAMP * crit
    _event_axes_labels(
        ax, frame, "Beaver U = AR²/s² (symmetric log scale)" if log else "Beaver U = AR²/s²"
    )
    if log:  # the spike would flatten every other day onto the axis
        ax.set_yscale("symlog", linthresh=1.0, linscale=0.6)
    ax.set_ylim(bottom=0)
    _top_legend(ax, n_legend)
    _footer(fig, result, _day0_note(result, event_id))
    return fig
