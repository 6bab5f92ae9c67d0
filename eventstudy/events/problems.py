"""Validation problems in the toolkit's words: pydantic errors of the study settings and
events as :class:`~eventstudy.core.errors.EventStudyError` s that name the file, the event id
(or the events table's line and column) and the field, and repeated event ids."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from eventstudy.core.errors import EventStudyError
from eventstudy.core.settings import NO_SECURITIES
from eventstudy.events.validation_words import WINDOW, merged, message_of

if TYPE_CHECKING:
    from pydantic import ValidationError

    from eventstudy.events.events_table import EventsTable


def _event_id_at(raw: Any, index: int) -> str | None:
    try:
        value = raw["events"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, str) else f"#{index + 1}"


def problems_from(
    exc: ValidationError, raw: Any, file: str, table: EventsTable | None = None
) -> list[EventStudyError]:
    problems = []
    for err in merged(exc.errors()):
        loc = list(err["loc"])
        message = message_of(err)
        if message.startswith(WINDOW) and isinstance(loc[-1], int):  # [start] of [start, end]
            loc = loc[:-1]
        if message == NO_SECURITIES:
            message = "required field is missing (in study:, or on every event)"
            problems.append(EventStudyError(message, file=file, field="securities"))
            continue
        event_id = None
        if len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
            if table is not None:  # a row of an events table: name its line and column
                field = ".".join(str(p) for p in loc[2:3])
                problems.append(table.problem(loc[1], field, message))
                continue
            event_id = _event_id_at(raw, loc[1]) or f"#{loc[1] + 1}"
            loc = loc[2:]
        elif loc and loc[0] == "study":
            loc = loc[1:] or ["study"]
        field = ".".join(str(p) for p in loc if not str(p).startswith("function-")) or None
        problems.append(EventStudyError(message, file=file, event_id=event_id, field=field))
    # A misspelled key is usually the cause of the other problems (a "missing" field):
    # name it first, since the command line shows only the first problem.
    return sorted(problems, key=lambda p: not p.message.startswith("unknown key"))


def duplicate_ids(raw: dict[str, Any], file: str) -> list[EventStudyError]:
    events = raw.get("events")
    if not isinstance(events, list):
        return []
    ids = Counter(
        e.get("id") for e in events if isinstance(e, dict) and isinstance(e.get("id"), str)
    )
    return [
        EventStudyError(f"duplicate event id '{i}'", file=file, field="events")
        for i in sorted(i for i, n in ids.items() if n > 1)
    ]
