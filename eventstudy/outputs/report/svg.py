"""Inline SVG figures whose values show on hover: paths with bands, a heat map, a timeline.

Every point and cell carries a ``<title>`` (the browser's own tooltip, also without
the script) and a ``data-tip`` with the same text (the page's tooltip). The PNG and
SVG files of :mod:`eventstudy.outputs.plots` stay as they are; these are drawn from
the same tables, small and light, for reading values off the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eventstudy.outputs.report.markup import esc

COLORS = ("#1f5aa6", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#4b5563")
"""Line colours, in order (black is the study's mean)."""
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 40


@dataclass(frozen=True)
class Path:
    """One line of a :func:`paths_svg`: values in percent per x, an optional band."""

    label: str
    x: Sequence[int]
    y: Sequence[float]
    lower: Sequence[float] | None = None
    upper: Sequence[float] | None = None
    color: str = "#222"


def _pct(value: float) -> str:
    return f"{value:+.2f}%".replace("-", "\u2212")


def _tipped(tag: str, attrs: str, tip: str) -> str:
    t = esc(tip)
    return f"<{tag} {attrs} data-tip='{t}'><title>{t}</title></{tag}>"


def _ticks(low: float, high: float, n: int = 5) -> list[float]:
    span = high - low or 1.0
    raw = span / n
    step = 10 ** np.floor(np.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    return [float(v) for v in np.arange(np.ceil(low / step) * step, high + step / 2, step)]


def paths_svg(paths: Sequence[Path], caption: str, xlabel: str = "Relative day") -> str:
    """Lines (CAR or CAAR paths, in percent) over relative days, with their bands."""
    xs = [v for p in paths for v in p.x]
    ys = [
        float(v)
        for p in paths
        for seq in (p.y, p.lower or (), p.upper or ())
        for v in seq
        if np.isfinite(v)
    ]
    if not xs or not ys:
        return ""
    x0, x1 = min(xs), max(xs)
    y0, y1 = min([*ys, 0.0]), max([*ys, 0.0])
    pad = (y1 - y0) * 0.06 or 1.0
    y0, y1 = y0 - pad, y1 + pad

    def sx(x: float) -> float:
        return LEFT + (x - x0) / ((x1 - x0) or 1) * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        return TOP + (y1 - y) / (y1 - y0) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f"<line x1={LEFT} x2={WIDTH - RIGHT} y1={sy(t):.1f} y2={sy(t):.1f} class=grid-line />"
        f"<text x={LEFT - 6} y={sy(t) + 4:.1f} text-anchor=end>{t:g}</text>"
        for t in _ticks(y0, y1)
    ]
    step = max(1, round((x1 - x0) / 10))
    parts += [
        f"<text x={sx(d):.1f} y={HEIGHT - BOTTOM + 16} text-anchor=middle>{d:+d}</text>"
        for d in range(x0, x1 + 1)
        if d % step == 0
    ]
    parts.append(f"<line x1={sx(0):.1f} x2={sx(0):.1f} y1={TOP} y2={HEIGHT - BOTTOM} class=zero />")
    parts.append(f"<line x1={LEFT} x2={WIDTH - RIGHT} y1={sy(0):.1f} y2={sy(0):.1f} class=zero />")
    for p in paths:
        if p.lower is not None and p.upper is not None:
            ok = [i for i in range(len(p.x)) if np.isfinite(p.lower[i]) and np.isfinite(p.upper[i])]
            ring = [(sx(p.x[i]), sy(p.upper[i])) for i in ok]
            ring += [(sx(p.x[i]), sy(p.lower[i])) for i in reversed(ok)]
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in ring)
            parts.append(f"<polygon points='{points}' fill='{p.color}' fill-opacity=.13 />")
        ok = [i for i in range(len(p.x)) if np.isfinite(p.y[i])]
        line = " ".join(f"{sx(p.x[i]):.1f},{sy(p.y[i]):.1f}" for i in ok)
        parts.append(f"<polyline points='{line}' fill=none stroke='{p.color}' stroke-width=2 />")
        for i in ok:
            band = (
                f" (95% band {_pct(p.lower[i])} to {_pct(p.upper[i])})"
                if p.lower is not None and p.upper is not None and np.isfinite(p.lower[i])
                else ""
            )
            tip = f"{p.label}, day {p.x[i]:+d}: {_pct(p.y[i])}{band}"
            attrs = f"cx={sx(p.x[i]):.1f} cy={sy(p.y[i]):.1f} r=4 fill='{p.color}'"
            parts.append(_tipped("circle", attrs, tip))
    legend = "".join(
        f"<span><i style='background:{p.color}'></i>{esc(p.label)}</span>" for p in paths
    )
    axis = (
        f"<text x={(LEFT + WIDTH - RIGHT) / 2} y={HEIGHT - 6} text-anchor=middle>{esc(xlabel)}"
        f"</text><text x=14 y={(TOP + HEIGHT - BOTTOM) / 2} text-anchor=middle "
        f"transform='rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})'>%</text>"
    )
    return (
        f"<figure class=chart><svg viewBox='0 0 {WIDTH} {HEIGHT}' role=img "
        f"aria-label='{esc(caption)}'>{''.join(parts)}{axis}</svg>"
        f"<div class=legend>{legend}</div><figcaption>{esc(caption)}</figcaption></figure>"
    )


def _heat(value: float, scale: float) -> str:
    if not np.isfinite(value):
        return "#eee"
    share = min(1.0, abs(value) / scale)
    low = (247, 247, 247)
    high = (178, 24, 43) if value < 0 else (33, 102, 172)
    r, g, b = (round(a + (z - a) * share) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(
    events: Sequence[str],
    tickers: Sequence[str],
    values: np.ndarray,
    stars: np.ndarray,
    tips: np.ndarray,
    caption: str,
) -> str:
    """Cells of ``values`` (percent, events x tickers) coloured red (down) to blue (up),
    with their stars and ``tips`` (the hover text of each cell)."""
    if not len(events) or not len(tickers):
        return ""
    cw, ch, left, top = 46, 18, 150, 60
    width, height = left + cw * len(tickers) + 8, top + ch * len(events) + 6
    finite = np.abs(values[np.isfinite(values)])
    scale = float(np.quantile(finite, 0.95)) if finite.size else 1.0
    parts = [
        f"<text x={left + cw * j + cw / 2} y={top - 8} text-anchor=start "
        f"transform='rotate(-45 {left + cw * j + cw / 2} {top - 8})'>{esc(t)}</text>"
        for j, t in enumerate(tickers)
    ]
    for i, event in enumerate(events):
        y = top + ch * i
        parts.append(f"<text x={left - 6} y={y + 13} text-anchor=end>{esc(event[:24])}</text>")
        for j in range(len(tickers)):
            x = left + cw * j
            fill = _heat(values[i, j], scale or 1.0)
            attrs = f"x={x} y={y} width={cw - 1} height={ch - 1} fill='{fill}'"
            parts.append(_tipped("rect", attrs, str(tips[i, j])))
            if stars[i, j]:
                parts.append(
                    f"<text x={x + cw / 2} y={y + 13} text-anchor=middle "
                    f"class=star>{stars[i, j]}</text>"
                )
    return (
        f"<figure class=chart><svg viewBox='0 0 {width} {height}' width={width} role=img "
        f"aria-label='{esc(caption)}'>{''.join(parts)}</svg>"
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def timeline_svg(start: int, end: int, marks: Sequence[tuple[int, str, str]], caption: str) -> str:
    """The event window ``[start, end]`` as a strip: day 0 and ``marks`` (relative day,
    label, hover text) of the other events inside it."""
    width, height, left, right = 640, 70, 20, 20

    def sx(d: float) -> float:
        return left + (d - start) / ((end - start) or 1) * (width - left - right)

    parts = [f"<line x1={left} x2={width - right} y1=30 y2=30 class=axis />"]
    parts += [
        f"<line x1={sx(d):.1f} x2={sx(d):.1f} y1=26 y2=34 class=axis />"
        f"<text x={sx(d):.1f} y=50 text-anchor=middle>{d:+d}</text>"
        for d in range(start, end + 1)
        if (end - start) <= 25 or d % 5 == 0
    ]
    parts.append(_tipped("circle", f"cx={sx(0):.1f} cy=30 r=7 fill='#222'", "day 0: this event"))
    for k, (day, label, tip) in enumerate(marks):
        color = COLORS[(k + 1) % len(COLORS)]
        attrs = f"x={sx(day) - 5:.1f} y={12 + 6 * (k % 3)} width=10 height=10 fill='{color}'"
        parts.append(_tipped("rect", attrs, f"day {day:+d}: {label}: {tip}"))
    return (
        f"<figure class=chart><svg viewBox='0 0 {width} {height}' role=img "
        f"aria-label='{esc(caption)}'>{''.join(parts)}</svg>"
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


STYLE = """
figure.chart svg { max-width: 100%; height: auto; font-size: 11px; fill: #444; }
figure.chart .grid-line { stroke: #e5e5e5; }
figure.chart .zero, figure.chart .axis { stroke: #999; stroke-dasharray: 3 3; }
figure.chart .axis { stroke-dasharray: none; }
figure.chart .star { fill: #111; font-size: 10px; pointer-events: none; }
.legend { font-size: .8rem; display: flex; flex-wrap: wrap; gap: .2rem .9rem; }
.legend i { display: inline-block; width: .8rem; height: .25rem; margin-right: .3rem;
  vertical-align: middle; }
"""
"""The figures' style (added to the page's)."""
