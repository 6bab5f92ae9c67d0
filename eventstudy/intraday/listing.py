"""What ``eventstudy list`` and ``eventstudy run`` print for an intraday study."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.config import Study
    from eventstudy.intraday.result import IntradayResult


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
    for event in events:
        when = f"{event.date:%Y-%m-%d}"
        if event.time is not None:
            when += f" {event.time:%H:%M} {study.timezone_for(event)}"
        role = " (confounder)" if event.role == "confounder" else ""
        show(f"{event.id}{role}  [{event.category or '-'}]  {when}")
        show(f"  {event.title}")
        for line in by_event.get(event.id, []):
            show(line)


def json_summary(result: IntradayResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """What ``eventstudy run --json`` prints for an intraday run: files, counts, every CAR."""
    import json

    return {
        "study": result.study.study.name,
        "interval": result.study.study.interval,
        "session": result.study.study.session,
        "folder": str(folder),
        "synthetic": result.synthetic,
        "files": sorted(
            str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p)
            for p in written.values()
        ),
        "counts": {
            "events": len(result.event_ids),
            "pairs": len(result.alignments),
            "estimated": len(result.models),
            "skipped": len(result.skipped),
        },
        "skipped": result.skipped.to_dict(orient="records"),
        "car": json.loads(result.car.to_json(orient="records")),
    }
