"""The outputs' data dictionary: each column's type, unit and meaning.

``columns.csv`` in the package lists them (a table's own entry, or a ``*`` entry that
every table with that column shares); :func:`dictionary` gives the rows of the tables
a run writes, and :func:`eventstudy.outputs.saving.save` writes them as ``columns.csv`` next to
the tables. Every column has one type: ``text``, ``integer``, ``number`` (``inf`` and
empty cells allowed), ``date`` (``YYYY-MM-DD``) or ``boolean`` (``True``/``False``).
``tests.csv``'s ``df`` is text (``55``, ``3/190``, ``53/inf``); :func:`typed_test_columns`
adds ``df1``, ``df2`` and ``rbar`` as numbers beside it. ``docs/columns.md`` explains.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

ENTRIES = Path(__file__).with_name("columns.csv")
TYPES = ("text", "integer", "number", "date", "boolean")
COLUMNS = ["table", "column", "type", "unit", "meaning"]
UNLISTED = "an extra column (an event attribute or a factor's term): not in the dictionary"


@cache
def entries() -> dict[tuple[str, str], tuple[str, str, str]]:
    """``(table, column)`` to ``(type, unit, meaning)``; table ``*`` for shared entries."""
    frame = pd.read_csv(ENTRIES, dtype=str, keep_default_na=False)
    return {(r.table, r.column): (r.type, r.unit, r.meaning) for r in frame.itertuples(index=False)}


def dictionary(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The dictionary rows of the columns of ``frames`` (table name to table), in table
    and column order.

    A column the dictionary does not list (``beta_<FACTOR>``, an event attribute)
    gets the type of its values and says it is unlisted.
    """
    known = entries()
    rows = []
    for table, frame in frames.items():
        for column in map(str, frame.columns):
            entry = known.get((table, column)) or known.get(("*", column))
            if entry is None and column.startswith("beta_"):
                entry = ("number", "", f"the model's slope on factor {column[5:]}")
            rows.append((table, column, *(entry or (_type_of(frame[column]), "", UNLISTED))))
    return pd.DataFrame(rows, columns=COLUMNS)


def typed_test_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``tests.csv`` with ``df1``, ``df2`` (the degrees of freedom of ``df`` as numbers)
    and ``rbar`` (of ``note``'s ``rbar=...``) added as numbers; the rest as it was."""
    text = table["df"].astype(object).where(table["df"].notna(), "").astype(str)
    parts = text.str.split("/", n=1, expand=True).reindex(columns=[0, 1])
    rbar = table["note"].astype(object).where(table["note"].notna(), "").astype(str)
    return table.assign(
        df1=pd.to_numeric(parts[0], errors="coerce").astype("float64"),
        df2=pd.to_numeric(parts[1], errors="coerce").astype("float64"),
        rbar=pd.to_numeric(rbar.str.extract(r"rbar=([^;\s]+)")[0], errors="coerce"),
    )


def _type_of(column: pd.Series) -> str:
    """The dictionary type of a column the dictionary does not list, by its dtype."""
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_float_dtype(column):
        return "number"
    return "text"
