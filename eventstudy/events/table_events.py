"""The rows of an events table as :class:`~eventstudy.core.settings.Event` objects, checked
column by column.

Validating a table of a million events one pydantic model at a time costs tens of
seconds and a mapping per row. Here each column is checked at once instead, by the
rules of :class:`~eventstudy.core.settings.Event`'s fields, running each field's own check
once per distinct value (a ticker, a date, a time zone, a clock time: a table has few
of each); a row whose every cell passes becomes an ``Event`` directly, without a
mapping or a pydantic validation. A row with any cell that fails stays the mapping
``events.yaml`` would give (:meth:`~eventstudy.events.events_table.EventsTable.row`), for
pydantic to validate with the study: its problems are then named exactly as before
(file, line, column, message), and every rule lives in one place, the model.

The checks only ever accept less than the model does (a value of another type than
the model keeps as given, e.g. a number where a text is expected, goes to the model),
and each built ``Event`` equals the one validation would give, field for field and with
the same fields set (``tests/test_table_events.py``).
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from datetime import date, time
from itertools import repeat
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eventstudy.core.settings import (
    MAX_SLUG,
    SLUG,
    Event,
    EventRole,
    ModelName,
    check_slug,
    check_ticker,
    check_timezone,
    clock_time,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from eventstudy.events.events_table import EventsTable

FIELDS = tuple(Event.model_fields)
"""The event's fields in model order (an ``Event``'s ``__dict__`` order)."""
DEFAULTS = {"role": "study"}
"""Defaults other than ``None`` (``attributes`` defaults to a new empty mapping)."""
TEXTS = ("title", "category", "source", "notes")
"""Fields whose every text passes (``title`` is never empty: an empty cell is the id)."""
REQUIRED = ("id", "date")
"""Fields a row always gives (a missing one fails its check)."""
_ATTRIBUTE_TYPES = (str, int, float, bool)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(value)
    return value


def _one_of(names: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if _text(value) not in names:
            raise ValueError(value)
        return value

    return check


def _clock(value: Any) -> time:
    parsed = clock_time(value) if type(value) is str else value
    if type(parsed) is not time:
        raise TypeError(value)
    return parsed


def _day(value: Any) -> date:
    if not _DAY.fullmatch(_text(value)):  # the model's pattern, in ASCII digits only
        raise ValueError(value)
    return date.fromisoformat(value)


CHECKS: dict[str, Callable[[Any], Any]] = {
    "id": lambda v: check_slug(_text(v)),
    "date": _day,
    "time": _clock,
    "timezone": lambda v: check_timezone(_text(v)),
    "title": _text,
    "category": _text,
    "source": _text,
    "notes": _text,
    "securities": lambda v: tuple(check_ticker(_text(t)) for t in v),
    "benchmark": lambda v: check_ticker(_text(v)),
    "model": _one_of(get_args(ModelName)),
    "role": _one_of(get_args(EventRole)),
}
"""Per field: the value as validation gives it, or an exception where it refuses it.
A field's own check (``check_slug``, ``check_ticker`` ...) or a stricter one."""


def _column(key: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The checked values of field ``key``'s column and where they passed: the texts and
    the ids (each its own value: a million ``check_slug`` calls) at once where every
    cell is a text, the others by :func:`_checked`."""
    only_texts = set(map(type, values)) <= {str, type(None)}
    if key in TEXTS and only_texts:
        return values, np.ones(len(values), dtype=bool)
    if key == "id" and only_texts:
        try:
            texts = pa.array(values, type=pa.string())
        except (pa.ArrowException, UnicodeError):  # a text that is no UTF-8 (lone surrogates)
            return _checked(values, CHECKS[key], required=True)
        pattern = f"^(?:{SLUG.pattern})$"  # RE2's "$": the end of the text, as fullmatch
        good = pc.and_(
            pc.match_substring_regex(texts, pattern),
            pc.less_equal(pc.utf8_length(texts), MAX_SLUG),
        )
        return values, pc.fill_null(good, False).to_numpy(zero_copy_only=False)
    return _checked(values, CHECKS[key], key in REQUIRED)


def _checked(
    values: np.ndarray, check: Callable[[Any], Any], required: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``check`` of each cell, once per distinct cell: the values and where they passed
    (missing cells pass as ``None`` unless ``required``)."""
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable cells
        uniques = None
    if uniques is None or len(set(map(type, uniques))) > 1:  # or 1 == 1.0 == True: one by one
        codes = np.where(pd.isna(values), -1, np.arange(len(values)))
        uniques = values
    out = np.empty(len(uniques) + 1, dtype=object)  # the last one: missing cells (code -1)
    good = np.ones(len(uniques) + 1, dtype=bool)
    good[-1] = not required
    for k, value in enumerate(uniques):
        if value is None:  # a missing cell's place when one by one: code -1 instead
            continue
        try:
            out[k] = check(value)
        except (ValueError, TypeError):
            good[k] = False
    return out[codes], good[codes]


def table_events(table: EventsTable) -> list[Event | dict[str, Any]]:
    """Each row of ``table`` as an ``Event``, or as its mapping where a cell fails a check.

    Parameters
    ----------
    table
        The events table (:func:`~eventstudy.events.events_table.read_events_table`).

    Returns
    -------
    list
        One item per row, in table order: an ``Event`` built without validation where
        every cell passed its field's check, else the row's mapping for pydantic.
    """
    n = len(table)
    ok = np.ones(n, dtype=bool)
    cells = dict(table.cells)
    cells.setdefault("title", np.full(n, None, dtype=object))
    cells["title"] = np.where(pd.isna(cells["title"]), cells["id"], cells["title"])
    values: dict[str, np.ndarray] = {}
    for key, column in cells.items():
        values[key], passed = _column(key, column)
        ok &= passed
    if "timezone" in values:  # a time zone needs a time
        ok &= pd.isna(values["timezone"]) | ~pd.isna(values.get("time", np.full(n, None)))
    for column in table.attribute_cells.values():
        ok &= np.fromiter((type(v) in _ATTRIBUTE_TYPES or v is None for v in column), bool, n)
    if "role" in values:
        values["role"] = np.where(pd.isna(values["role"]), DEFAULTS["role"], values["role"])
    if "securities" in values:
        values["securities"] = _lists(values["securities"])
    columns = [values[k].tolist() if k in values else repeat(DEFAULTS.get(k), n)
               for k in FIELDS[:-1]]  # fmt: skip
    names = list(table.attribute_cells)
    attributes = [v.tolist() for v in table.attribute_cells.values()]
    kept_rows = zip(*attributes, strict=True) if names else repeat((), n)
    rows = zip(ok.tolist(), zip(*columns, strict=True), kept_rows, _given(table, n), strict=True)
    events: list[Event | dict[str, Any]] = []
    with _collector_paused():  # a million new objects, no cycles: no collections meanwhile
        for i, (good, row, kept, given) in enumerate(rows):
            if not good:
                events.append(table.row(i))
                continue
            fields = dict(zip(FIELDS[:-1], row, strict=True))
            fields["attributes"] = {k: v for k, v in zip(names, kept, strict=True) if v is not None}
            events.append(_event(fields, given))
    return events


def _lists(tuples: np.ndarray) -> np.ndarray:
    """Each row's tuple of tickers as a list of its own (``None`` stays)."""
    return np.fromiter((None if t is None else list(t) for t in tuples), object, len(tuples))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (it would scan the growing heap again and
    again while a table's events are built: a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _given(table: EventsTable, n: int) -> list[set[str]]:
    """Per row, the fields its mapping would give (``__pydantic_fields_set__``): one
    set shared by every row that gives the same fields."""
    always = (*REQUIRED, "title")  # a mapping always gives these
    present = [(k, np.ones(n, bool)) for k in always]
    present += [(k, ~pd.isna(v)) for k, v in table.cells.items() if k not in always]
    if table.attribute_cells:
        filled = np.column_stack([~pd.isna(v) for v in table.attribute_cells.values()])
        present.append(("attributes", filled.any(axis=1)))
    bits = sum(mask.astype(np.int64) << k for k, (_, mask) in enumerate(present))
    shared = {code: {name for k, (name, _) in enumerate(present) if code >> k & 1}
              for code in np.unique(bits).tolist()}  # fmt: skip
    return [shared[code] for code in bits.tolist()]


def _event(fields: dict[str, Any], given: set[str]) -> Event:
    """An ``Event`` of already checked ``fields`` (all of them, in model order), as
    :meth:`pydantic.BaseModel.model_construct` builds one, without its per-call cost.

    ``given`` is shared by the events that give the same fields (200 bytes an event
    less); pydantic never changes it in place (``model_copy`` copies it first)."""
    event = Event.__new__(Event)
    object.__setattr__(event, "__dict__", fields)
    object.__setattr__(event, "__pydantic_fields_set__", given)
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


__all__ = ["table_events"]
