"""A study's events as columns: what the driver of a Dask run keeps of them.

A million :class:`~eventstudy.core.settings.Event` objects take about 0.75 GB (a pydantic
model, its 13-field ``__dict__``, a list of securities, an attributes mapping: ~770
bytes each). The driver needs far less of each event: its id, securities, category,
role and model, to plan the partitions (:mod:`~eventstudy.distributed.plan`), form
the ``tests.csv`` groups and order the rows. :class:`EventColumns` holds those as
columns (about 100 bytes an event) and builds the ``Event`` objects of a partition
only when its task is submitted (:meth:`EventColumns.events`), and dumps them one by
one into ``manifest.json`` (:meth:`EventColumns.dumped`).

:func:`load_events` reads an events table (``.csv``, ``.parquet``) this way: the table
is read column by column (:func:`~eventstudy.events.events_table.read_events_table`) and
validated :data:`CHUNK_EVENTS` rows at a time with the study (the same checks as
:func:`~eventstudy.events.config.load_study`: each row's fields, every event has securities,
the factor model has factors, and the table's repeated ids), keeping only the columns.
Where any problem is found the whole file is loaded by ``load_study``, which raises
the complete list of problems, exactly as a local run names them. Other events files
(``events.yaml``) are loaded by ``load_study`` and their events' columns taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.core.study import StudySpec
    from eventstudy.events.events_table import EventsTable

CHUNK_EVENTS = 50_000
"""Rows of an events table validated (as ``Event`` objects) at a time."""


@dataclass(frozen=True)
class EventColumns:
    """The events of a study, in file order, as columns (confounders included).

    Attributes
    ----------
    ids
        (E,) event ids.
    securities
        (E,) tuples of the tickers each event studies (its own, else the study's).
    category, role, model
        (E,) each event's category (None: none), role and model (its own, else the
        study's).
    source
        Where :meth:`events` builds the ``Event`` objects from: the events themselves
        (a study given as objects) or the validated events table.
    no_model
        Whether the built events drop their own model (``--model`` given).
    """

    ids: np.ndarray
    securities: np.ndarray
    category: np.ndarray
    role: np.ndarray
    model: np.ndarray
    source: list[Event] | EventsTable
    no_model: bool = False

    @classmethod
    def of_events(
        cls, study: StudySpec, events: list[Event], source: list[Event] | EventsTable | None = None
    ) -> EventColumns:
        """The columns of ``events`` (of ``study``); built again from ``source`` (default:
        the events themselves)."""
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        tickers = [tuple(study.securities_for(e)) for e in events]
        securities = np.empty(len(events), dtype=object)
        securities[:] = [shared.setdefault(t, t) for t in tickers]
        return cls(
            ids=np.array([e.id for e in events], dtype=object),
            securities=securities,
            category=np.array([e.category for e in events], dtype=object),
            role=np.array([e.role for e in events], dtype=object),
            model=np.array([study.model_for(e) for e in events], dtype=object),
            source=events if source is None else source,
        )

    @classmethod
    def concat(cls, parts: list[EventColumns], source: EventsTable) -> EventColumns:
        """The columns of consecutive row chunks of one table, as one."""
        names = ("ids", "securities", "category", "role", "model")
        joined = {name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
        return cls(**joined, source=source)

    def __len__(self) -> int:
        """Return the number of events."""
        return len(self.ids)

    def with_model(self, model: str) -> EventColumns:
        """The columns of :meth:`~eventstudy.core.study.StudySpec.with_model` (every event:
        ``model``)."""
        return replace(self, model=np.full(len(self), model, dtype=object), no_model=True)

    def events(self, rows: np.ndarray) -> list[Event]:
        """The ``Event`` objects of ``rows`` (positions in file order)."""
        from eventstudy.core.settings import Event
        from eventstudy.events.table_events import table_events

        if isinstance(self.source, list):
            built = [self.source[int(r)] for r in rows]
        else:
            built = [
                e if isinstance(e, Event) else Event.model_validate(e)
                for e in table_events(_rows_of(self.source, rows))
            ]
        return [e.model_copy(update={"model": None}) for e in built] if self.no_model else built

    def dumped(self) -> Iterator[dict[str, Any]]:
        """Every event as ``StudySpec.model_dump(mode="json")`` dumps it, one at a time."""
        for start in range(0, len(self), CHUNK_EVENTS):
            rows = np.arange(start, min(start + CHUNK_EVENTS, len(self)))
            for event in self.events(rows):
                yield event.model_dump(mode="json")

    def selected(self, event_ids: list[str] | None, path: Path | None = None) -> np.ndarray:
        """The rows of :meth:`eventstudy.core.study.StudySpec.select`: the events named (every
        study event without ids), in file order.

        Raises
        ------
        UnknownEventError
            For an id that is no event's (the message of ``StudySpec.event``).
        """
        if not event_ids:
            return np.flatnonzero(self.role == "study")
        known = set(event_ids)
        rows = np.flatnonzero([i in known for i in self.ids])
        missing = known - set(self.ids[rows])
        if missing:
            from eventstudy.core.errors import UnknownEventError
            from eventstudy.core.words import unknown_id

            first = next(i for i in event_ids if i in missing)
            raise UnknownEventError(
                unknown_id(first, list(self.ids)), file=path, argument="event_ids", option="--event"
            )
        return rows

    def categories(self, rows: np.ndarray) -> dict[str, str]:
        """Event id to category, of the ``rows`` that have one."""
        return {self.ids[r]: self.category[r] for r in rows if self.category[r]}


def _rows_of(table: EventsTable, rows: np.ndarray) -> EventsTable:
    """The events table of ``rows`` of ``table`` (its own problems left out)."""
    return replace(
        table,
        numbers=table.numbers[rows],
        problems=[],
        cells={k: v[rows] for k, v in table.cells.items()},
        attribute_cells={k: v[rows] for k, v in table.attribute_cells.items()},
    )


def load_events(path: str | Path, **settings: Any) -> tuple[StudySpec, EventColumns]:
    """The study of an events file without its events, and its events as columns.

    Parameters
    ----------
    path, **settings
        As for :func:`eventstudy.events.config.load_study`.

    Returns
    -------
    study, events
        For an events table, the study with no ``events`` (settings, path) and the
        table's events as columns; for another events file, the loaded study and its
        events' columns.

    Raises
    ------
    ConfigError
        Every problem of the file, as :func:`~eventstudy.events.config.load_study` raises them.
    """
    from eventstudy.core.errors import ConfigError
    from eventstudy.events.config import _name_from, load_study, parse_study
    from eventstudy.events.events_table import is_table, read_events_table

    path = Path(path)
    if not is_table(path):
        study = load_study(path, **settings)
        return study, EventColumns.of_events(study, study.events)
    table = read_events_table(path)
    raw = {"study": {"name": _name_from(path), **settings}}
    parts, study = [], None
    try:
        if table.problems or not len(table):
            raise ConfigError(list(table.problems))
        for start in range(0, len(table), CHUNK_EVENTS):
            rows = np.arange(start, min(start + CHUNK_EVENTS, len(table)))
            chunk = parse_study(raw, str(path), table=_rows_of(table, rows))
            parts.append(EventColumns.of_events(chunk, chunk.events, table))
            study = chunk.model_copy(update={"events": [], "path": path})
    except ConfigError:
        load_study(path, **settings)  # every problem of the file, named as a local run does
        raise
    assert study is not None
    return study, EventColumns.concat(parts, table)
