"""What ``eventstudy list`` prints: every event with day 0 (or bar 0) of each security."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.core.study import Study


def describe(study_path: Path, show: Callable[[str], None]) -> None:
    """Every event with day 0 (or bar 0) of each of its securities, why, and overlaps."""
    from eventstudy.sessions.confounders import neighbours
    from eventstudy.sessions.pairs import align_study
    from eventstudy.study import load_study

    study = load_study(study_path)
    if study.study.interval != "1d":  # bar 0 of an intraday study
        describe_bars(study, show)
        return
    pairs = align_study(study, [e.id for e in study.events])
    window = study.study.event_window
    by_event: dict[str, list[str]] = {}
    near = neighbours(study, pairs)
    for row, p in enumerate(pairs):
        a = p.alignment
        mark = " (shifted)" if a.shifted else ""
        overlaps = [f"{other} ({offset:+d})" for other, offset in near.near(row, window)]
        by_event.setdefault(p.event_id, []).append(
            f"    {p.ticker:<8} {a.exchange}  day 0 {a.day0:%Y-%m-%d}{mark}: {a.reason}"
            + (f"  [benchmark {p.benchmark}]" if p.benchmark != study.study.benchmark else "")
            + (
                f"\n      overlaps in [{window[0]}, {window[1]}]: {', '.join(overlaps)}"
                if overlaps
                else ""
            )
        )
    show_events(study, study.events, by_event, show)


def show_events(
    study: Study, events: list[Event], lines: dict[str, list[str]], show: Callable[[str], None]
) -> None:
    """Each event's header (id, role, category, date and time, title), then its ``lines``."""
    for event in events:
        when = f"{event.date:%Y-%m-%d}"
        if event.time is not None:
            when += f" {event.time:%H:%M} {study.timezone_for(event)}"
        role = " (confounder)" if event.role == "confounder" else ""
        show(f"{event.id}{role}  [{event.category or '-'}]  {when}")
        show(f"  {event.title}")
        for line in lines.get(event.id, []):
            show(line)


def describe_bars(study: Study, show: Callable[[str], None]) -> None:
    """Every event with bar 0 of each of its securities, and why (shifts marked)."""
    from eventstudy.intraday.stacking import align_bars, build_grids

    events = study.events
    s = study.study
    pairs = align_bars(study, events, build_grids(study, events))
    show(f"interval {s.interval}, session {s.session}: bar 0 is the bar holding the news time")
    by_event: dict[str, list[str]] = {}
    for p in pairs:
        a = p.alignment
        mark = " (shifted)" if a.shifted else ""
        by_event.setdefault(p.event_id, []).append(
            f"    {p.ticker:<8} {a.exchange}  bar 0 {a.bar0:%Y-%m-%d %H:%M %Z}{mark}: {a.reason}"  # type: ignore[attr-defined]
            + (f"  [benchmark {p.benchmark}]" if p.benchmark != s.benchmark else "")
        )
    show_events(study, events, by_event, show)
