"""The report's interactive tables: which columns each shows, and how (see
:mod:`eventstudy.outputs.report.grid`).

:func:`car_grid` is car.csv, :func:`headline_grid` the first screen's table,
:func:`frame_grid` any other table (tests, regressions, BHAR, CAV, avol) with its
columns' kinds read from their dtypes.
"""

from __future__ import annotations

import pandas as pd

from eventstudy.outputs.report.grid import Column, data_table

SEARCHED = ("event_id", "ticker", "group", "test", "measure", "term")
"""Columns the search box looks in (never titles or confounders: a search for an event
id finds that event's rows, not its neighbours')."""
LABELS = {
    "event_id": "Event",
    "ticker": "Security",
    "window_start": "from",
    "window_end": "to",
    "p_value": "p",
    "p_holm": "p (Holm)",
    "p_bh": "p (BH)",
    "valid_under_clustering": "valid if clustered",
}


def _kind(name: str, values: pd.Series) -> str:
    if name == "event_id":
        return "event"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "yesno"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "int"
    if pd.api.types.is_float_dtype(values.dtype):
        p_like = name == "p" or name.startswith("p_") or "_p" in name
        return "p" if p_like else "num"
    return "text"


def auto_columns(frame: pd.DataFrame) -> list[Column]:
    """A :class:`Column` per column of ``frame``: p-values as p, floats with 4 decimals."""
    return [
        Column(
            str(c),
            LABELS.get(str(c), str(c)),
            _kind(str(c), frame[c]),
            digits=4,
            search=c in SEARCHED,
        )
        for c in frame.columns
    ]


def frame_grid(name: str, frame: pd.DataFrame, caption: str = "") -> str:
    """Every row of ``frame`` as an interactive table (:func:`auto_columns`)."""
    return data_table(name, frame, auto_columns(frame), caption=caption)


CAR_COLUMNS = (
    Column("event_id", "Event", "event", search=True),
    Column("ticker", "Security", search=True),
    Column("day0", "Day 0"),
    Column("window_start", "from", "int"),
    Column("window_end", "to", "int"),
    Column("car", "CAR %", "num", 2, 100),
    Column("car_se", "s.e. %", "num", 2, 100),
    Column("car_t", "t", "num", 2),
    Column("car_p", "p", "p"),
    Column("car_p", "", "stars"),
    Column("car_p_sq", "SQ p", "p"),
    Column("car_p_placebo", "placebo p", "p"),
    Column("confounders", "Other events in window"),
)
"""car.csv's columns as the CAR table shows them (those the run has)."""


def car_grid(name: str, car: pd.DataFrame) -> str:
    """Every row of ``car`` (car.csv) as an interactive table."""
    return data_table(name, car, CAR_COLUMNS)


HEADLINE_COLUMNS = (
    Column("event_id", "Event", "event", search=True),
    Column("ticker", "Security", search=True),
    Column("car", "CAR %", "num", 2, 100),
    Column("car_se", "s.e. %", "num", 2, 100),
    Column("p", "p", "p"),
    Column("p", "", "stars"),
    Column("test", "test"),
    Column("car_p", "t-test p", "p"),
    Column("car_p_sq", "SQ p", "p"),
    Column("car_p_placebo", "placebo p", "p"),
    Column("group_p", "event's adj. BMP p", "p"),
)
"""The headline table (:func:`eventstudy.outputs.report.headline.headline_frame`)."""


HEADLINE_ROWS = 12
"""Rows per page of the headline table (the first screen holds its first page)."""


def headline_grid(headline: pd.DataFrame) -> str:
    """The headline rows, the smallest p first, as an interactive table."""
    columns = list(HEADLINE_COLUMNS)
    if not headline["group_p"].notna().any():
        columns = [c for c in columns if c.key != "group_p"]
    return data_table("headline", headline, columns, rows=HEADLINE_ROWS)
