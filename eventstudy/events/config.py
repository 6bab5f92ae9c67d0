"""Reading a study: ``events.yaml`` or an events table, validated into a :class:`StudySpec`.

The file has a ``study:`` block (what to measure and how) and an ``events:`` list
(what happened, when). :func:`load_study` parses it with a safe YAML loader, validates
it with pydantic and turns every problem into an :class:`~eventstudy.core.errors.EventStudyError`
that names the file, the event and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from eventstudy.core.errors import ConfigError, EventStudyError
from eventstudy.core.settings import DEFAULT_NAME, MAX_SLUG
from eventstudy.core.study import StudySpec
from eventstudy.events.events_table import EventsTable, is_table, read_events_table
from eventstudy.events.problems import duplicate_ids, problems_from
from eventstudy.events.yamlsafe import load_yaml

MAX_FILE_BYTES = 5_000_000
__all__ = ["load_study", "parse_study"]

S = TypeVar("S", bound=StudySpec)


def parse_study(
    raw: Any,
    file: str = "<events>",
    base: Path | None = None,
    table: EventsTable | None = None,
    *,
    study_type: type[S] = StudySpec,  # type: ignore[assignment]
) -> S:
    """Validate an already-parsed events document.

    Parameters
    ----------
    raw
        The document: ``{"study": {...}, "events": [...]}``. ``events`` may also be the
        path of a CSV or Parquet events table (:mod:`eventstudy.events.events_table`), relative
        to ``base``.
    file
        How messages name the document.
    base
        The folder relative paths are read from (default: the working directory).
    table
        Events already read from a table (``raw["events"]`` is then ignored).
    study_type
        The class to build: :class:`~eventstudy.core.study.StudySpec` or a subclass
        (the public :class:`eventstudy.study.Study`).

    Raises
    ------
    ConfigError
        Listing every problem found, each naming file, event and field (for a table:
        file, line and column).
    """
    if not isinstance(raw, dict):
        raise ConfigError(
            [
                EventStudyError(
                    "expected a mapping with 'study:' and 'events:' at the top", file=file
                )
            ]
        )
    if table is None and isinstance(raw.get("events"), str):
        where = Path(raw["events"])
        path = where if where.is_absolute() or base is None else base / where
        if not is_table(path):
            raise ConfigError(
                [
                    EventStudyError(
                        f"'{raw['events']}' is not an events table: use a .csv, .parquet or "
                        ".xlsx file, or list the events here",
                        file=file,
                        field="events",
                    )
                ]
            )
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "not found"
            raise ConfigError(
                [EventStudyError(f"events table {path} {what}", file=file, field="events")]
            )
        table = read_events_table(path)
    if table is None:
        try:
            return study_type.model_validate(raw)
        except ValidationError as exc:
            problems = problems_from(exc, raw, file)
        # A model-level check (duplicate ids) only runs once every field is valid: report
        # duplicates now as well, so one pass of `validate` lists everything.
        known = {p.message for p in problems}
        problems += [p for p in duplicate_ids(raw, file) if p.message not in known]
        raise ConfigError(problems)
    return _parse_with_table(raw, file, table, study_type)


def _parse_with_table(raw: dict[str, Any], file: str, table: EventsTable, study_type: type[S]) -> S:
    """:func:`parse_study` of a study whose events come from ``table``."""
    from eventstudy.events.table_events import table_events

    raw = {**raw, "events": table_events(table)}  # Events, and mappings of rows that fail
    problems = list(table.problems)  # repeated ids: the model check would name no line
    study_block = raw.get("study")
    if isinstance(study_block, dict) and not study_block.get("securities"):
        problems += table.without_securities()
    try:
        study = study_type.model_validate(raw)
    except ValidationError as exc:
        # the table named repeated ids and rows without securities line by line: the
        # study-level versions of those two checks would only repeat them
        reported = {"securities"} if problems else set()
        problems += [
            p
            for p in problems_from(exc, raw, file, table)
            if not (p.location is None and (p.field in reported or _repeats_ids(p, table)))
        ]
    if problems:
        problems.sort(key=lambda p: _line_number(p.location))
        raise ConfigError(problems)
    return study.model_copy(
        update={"events_table": table.file, "event_attributes": tuple(table.attributes)}
    )


def _repeats_ids(problem: EventStudyError, table: EventsTable) -> bool:
    """True for the study-level repeated-id error when the table named each repeat."""
    return bool(table.problems) and problem.message.startswith("duplicate event id")


def _line_number(location: str | None) -> int:
    """Sort key: problems of the study block first, then by line or row."""
    return int(location.split()[-1]) if location else 0


def load_study(
    path: str | Path = "events.yaml",
    *,
    study_type: type[S] = StudySpec,  # type: ignore[assignment]
    **settings: Any,
) -> S:
    """Read and validate an events file.

    Parameters
    ----------
    path
        The YAML file (default ``events.yaml`` in the working directory), or an events
        table alone (``.csv``, ``.parquet``: one row per event, see
        :mod:`eventstudy.events.events_table`), run with the default study settings and named
        after the file.
    **settings
        ``study:`` keys that replace the file's (``name``, ``benchmark``,
        ``securities`` ...: the command line's ``--name``, ``--benchmark``,
        ``--securities``), validated with the file.

    Returns
    -------
    StudySpec
        The validated study; ``study.run(source="demo")`` runs it.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not YAML, or does not validate. The message
        names the file, the event and the field of the first problem;
        ``exc.problems`` holds all of them.
    """
    path = Path(path)
    file = str(path)
    if is_table(path):
        table = read_events_table(path)
        raw = {"study": {"name": _name_from(path), **settings}}
        study = parse_study(raw, file, table=table, study_type=study_type)
        return study.model_copy(update={"path": path})

    def fail(message: str) -> ConfigError:
        return ConfigError([EventStudyError(message, file=file)])

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    if path.is_dir():
        raise fail("is a folder, not an events file")
    if size > MAX_FILE_BYTES:
        raise fail(f"file is {size:,} bytes; an events file may be at most {MAX_FILE_BYTES:,}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise fail(
            f"line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    try:
        raw = load_yaml(text)
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise fail(f"not valid YAML{where}: {problem}") from None
    if settings and isinstance(raw, dict) and isinstance(raw.get("study"), dict):
        raw = {**raw, "study": {**raw["study"], **settings}}
    study = parse_study(raw, file, base=path.parent, study_type=study_type)
    return study.model_copy(update={"path": path})


def _name_from(path: Path) -> str:
    """A study name (slug) from a file name: ``Earnings 2024.csv`` -> ``earnings-2024``."""
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:MAX_SLUG].strip("-")
    return name or DEFAULT_NAME
