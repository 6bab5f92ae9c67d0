"""The top of each event page: title, time, source, day 0 per security, CARs, figures.

Only the events of :func:`eventstudy.outputs.report.figures.section_events` get a page
(:mod:`eventstudy.outputs.report.event_pages`); the rows their sections need are picked
from the study tables once, for all of them together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import DASH, count, esc, table, url_link
from eventstudy.outputs.report.tables import EVENT_ROW_LIMIT, car_table

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.outputs.report.figures import Embedder
    from eventstudy.pipeline.results import RunResult
    from eventstudy.sessions.calendar import Alignment


EVENT_FIGURES = (
    ("car", "CAR paths from day 0 (0 at day -1) with 95% bands"),
    ("ar", "daily abnormal returns"),
    ("volume", "abnormal log volume with the 95% bound and the CAV"),
    ("volatility", "Beaver's U per day against 1 and its 5% critical value"),
)
"""The figures of an event's section, in order (those the run drew)."""


def _when(result: RunResult, event: Event) -> str:
    when = f"{event.date:%Y-%m-%d}"
    if event.time is not None:
        return when + f" {event.time:%H:%M} ({result.study.timezone_for(event)})"
    return when + " (no time given: treated as known before the open)"


def heading(event: Event, tickers: list[str]) -> str:
    """An event section's title (escaped): its securities, date and title, then its
    characteristics (the numeric or short attributes) as ``name = value``."""
    names = ", ".join(tickers[:5]) + (
        f" and {count(len(tickers) - 5)} more" if len(tickers) > 5 else ""
    )
    traits = [
        f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
        for k, v in event.attributes.items()
        if isinstance(v, int | float) or (isinstance(v, str) and len(v) <= 30)
    ]
    title = " · ".join(p for p in (names, f"{event.date:%Y-%m-%d}", event.title) if p)
    extra = f" <small class=meta>{esc('; '.join(traits))}</small>" if traits else ""
    return esc(title) + extra


def _tickers(mine: list[Alignment], estimated: set[str]) -> list[str]:
    """The event's estimated securities in file order (all of them when none is)."""
    return [a.ticker for a in mine if a.ticker in estimated or not estimated]


def _alignment_table(mine: list[Alignment], estimated: set[str], skipped: dict[str, str]) -> str:
    rows = []
    for a in mine[:EVENT_ROW_LIMIT]:
        if a.ticker in estimated:
            status = "estimated"
        elif a.ticker in skipped:
            status = f"<span class=sig>skipped</span>: {esc(skipped[a.ticker])}"
        else:
            status = "not run"
        rows.append(
            [
                esc(a.ticker),
                esc(a.exchange),
                esc(a.news_time),
                f"<b>{a.day0:%Y-%m-%d}</b>",
                "yes" if a.shifted else "no",
                esc(a.reason),
                status,
            ]
        )
    html = table(["Security", "Exchange", "News time", "Day 0", "Shifted", "Why", "Status"], rows)
    if len(mine) > EVENT_ROW_LIMIT:
        html += (
            f"<p class=meta>Showing {EVENT_ROW_LIMIT} of {count(len(mine))} securities; "
            "manifest.json records every day 0.</p>"
        )
    return html


def event_sections(
    result: RunResult, events: list[str], figures: Callable[[str], Embedder]
) -> dict[str, str]:
    """The section of each of ``events`` (by id, in the given order); ``figures(event_id)``
    embeds that event's figures."""
    chosen = set(events)
    by_id = {e.id: e for e in result.study.events if e.id in chosen}
    alignments: dict[str, list[Alignment]] = {e: [] for e in events}
    for a in result.alignments:  # alignments and events are lists of objects: one pass each
        if a.event_id in chosen:
            alignments[a.event_id].append(a)
    skipped = result.skipped[result.skipped["event_id"].isin(events)]
    models = result.models[result.models["event_id"].isin(events)]
    car = result.car[result.car["event_id"].isin(events)]
    skipped_by = {
        e: dict(zip(g["ticker"], g["reason"], strict=True)) for e, g in skipped.groupby("event_id")
    }
    estimated_by = {e: set(g) for e, g in models.groupby("event_id")["ticker"]}
    car_by = dict(tuple(car.groupby("event_id", sort=False)))
    parts = {}
    for event_id in events:
        event = by_id[event_id]
        rows = car_by.get(event_id)
        cars = (
            car_table(rows, limit=EVENT_ROW_LIMIT)
            if rows is not None
            else "<p>No estimated pair.</p>"
        )
        notes = f"<p class=notes>{esc(event.notes)}</p>" if event.notes else ""
        drawn = "".join(
            figures(event_id).figure(f"{event_id}/{kind}", f"{event_id}: {caption}")
            for kind, caption in EVENT_FIGURES
        )
        alignment = _alignment_table(
            alignments[event_id], estimated_by.get(event_id, set()), skipped_by.get(event_id, {})
        )
        tickers = _tickers(alignments[event_id], estimated_by.get(event_id, set()))
        parts[event_id] = (
            f"<section class=event id='event-{esc(event_id)}'>"
            f"<h3>{heading(event, tickers)}</h3>"
            f"<p class=meta><code>{esc(event_id)}</code> · {esc(_when(result, event))}"
            f" · category: {esc(event.category) or DASH} · source: {url_link(event.source)}</p>"
            f"{notes}<h4>Day 0 per security</h4>{alignment}"
            f"<h4>CAR per window</h4>{cars}{drawn}</section>"
        )
    return parts
