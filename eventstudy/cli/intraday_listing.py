"""What ``eventstudy list`` and ``eventstudy run`` print for an intraday study."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.events.config import Study
    from eventstudy.intraday.result import IntradayResult


def describe_bars(study: Study, show: Callable[[str], None]) -> None:
    """Every event with bar 0 of each of its securities, and why (shifts marked)."""
    from eventstudy.cli.console import show_events
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


def json_summary(result: IntradayResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """What ``eventstudy run --json`` prints for an intraday run: files, counts, every CAR."""
    import json

    from eventstudy.outputs.report.summaries import run_record

    s = result.study.study
    return run_record(result, folder, written) | {  # type: ignore[arg-type]
        "interval": s.interval,
        "session": s.session,
        "car": json.loads(result.car.to_json(orient="records")),
    }
