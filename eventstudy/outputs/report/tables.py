"""The report's CAR and test tables, capped so that a large study stays readable.

A table longer than its limit lists the rows with the smallest p-values and says how
many rows the CSV file holds.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.report.markup import (
    DASH,
    count,
    esc,
    listed,
    num,
    pvalue,
    rows_of,
    stars_html,
    table,
    window,
)

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

ROW_LIMIT = 200
"""Rows of a study-wide table (the smallest p first when cut); the CSVs hold all."""
EVENT_ROW_LIMIT = 50
"""Rows of each event's own tables."""
NAMED = 5
"""Other events named in one CAR row's confounders cell; the rest are counted."""
TEST_GROUP_LIMIT = 20
"""Folded groups (categories, securities, events) of the tests table besides ``all``."""


def default_window(result: RunResult) -> tuple[int, int]:
    """The CAR window the summaries show: ``[0, +1]`` when the study has it, else its first."""
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    return (0, 1) if (0, 1) in windows else windows[0]


def capped(rows: pd.DataFrame, limit: int = ROW_LIMIT) -> tuple[pd.DataFrame, str]:
    """At most ``limit`` rows (the smallest p-values first when cut) and a note saying so."""
    if len(rows) <= limit:
        return rows, ""
    by_p = "car_p" in rows
    shown = rows.iloc[np.argsort(rows["car_p"].to_numpy(), kind="stable")[:limit]] if by_p else rows
    note = (
        f"<p class=meta>Showing {count(limit)} of {count(len(rows))} rows"
        f"{' (smallest p first)' if by_p else ''}; every row is in the CSV files.</p>"
    )
    return shown.head(limit), note


def car_table(
    rows: pd.DataFrame,
    *,
    linked: Collection[str] | None = None,
    limit: int = ROW_LIMIT,
) -> str:
    """CAR, s.e., t, p and stars per row of ``car.csv``, at most ``limit`` rows.

    Parameters
    ----------
    rows
        Rows of ``car.csv``.
    linked
        With an ``Event`` column: the events that have a section on the page (their
        ids link to it); None leaves the column out (an event's own table).
    limit
        Most rows shown.
    """
    with_event = linked is not None
    has_confounders = "confounders" in rows.columns
    header = [
        *(["Event"] if with_event else []),
        "Security",
        "Window",
        "CAR %",
        "s.e. %",
        "t",
        "p",
        "",
        *(["Other events in window"] if has_confounders else []),
    ]
    numeric = [
        *([False] if with_event else []),
        False,
        False,
        True,
        True,
        True,
        True,
        False,
        *([False] if has_confounders else []),
    ]
    rows, cut_note = capped(rows, limit)
    body = []
    columns = ["event_id", "ticker", "window_start", "window_end", "car", "car_se", "car_t"]
    columns += ["car_p", *(["confounders"] if has_confounders else [])]
    for event_id, ticker, start, end, car, se, t, p, *confounders in rows_of(rows, columns):
        event = esc(event_id)
        cells = [
            *(
                [f"<a href='#event-{event}'>{event}</a>" if event_id in linked else event]
                if linked is not None
                else []
            ),
            esc(ticker),
            window(start, end),
            num(car, 2, 100),
            num(se, 2, 100),
            num(t, 2),
            pvalue(p),
            stars_html(p),
            *(
                esc(listed(v.split(";"), limit=NAMED)) if isinstance(v, str) and v else ""
                for v in confounders
            ),
        ]
        body.append(cells)
    return table(header, body, numeric) + cut_note


def tests_frame(result: RunResult) -> pd.DataFrame | None:
    """The cross-sectional test results (``tests.csv``), if this run has them.

    ``RunResult.tests()`` computes them on first use; it is called when the run asked
    for tests (``test_names``, the same rule ``save`` follows for ``tests.csv``) or when
    they were already computed. A DataFrame attribute ``tests`` is used as it is.
    """
    value = getattr(result, "tests", None)
    if isinstance(value, pd.DataFrame):
        return value
    if callable(value):
        computed = "tests" in (getattr(result, "_tests_cache", None) or {})
        if computed or getattr(result, "test_names", None):
            frame = value()
            return frame if isinstance(frame, pd.DataFrame) else None
    return None


TEST_LABELS = {
    "window_start": "from",
    "window_end": "to",
    "p_value": "p",
    "p_holm": "p (Holm)",
    "p_bh": "p (BH)",
    "valid_under_clustering": "valid if clustered",
}


def _test_cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return DASH
    if column.startswith("p_"):
        return pvalue(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return num(value, 3)
    if column == "note" and value:
        return f"<span class=note>{esc(value)}</span>"
    return esc(value)


def _column_cells(column: str, values: pd.Series) -> list[str]:
    """:func:`_test_cell` of every value of one column (float and bool columns at once)."""
    if pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype=np.float64).tolist()
        return (
            [pvalue(v) for v in floats] if column.startswith("p_") else [num(v, 3) for v in floats]
        )
    if pd.api.types.is_bool_dtype(values.dtype) and not values.isna().any():
        return ["yes" if v else "no" for v in values.tolist()]
    memo: dict[tuple[type, object], str] = {}  # each distinct value (and type) once
    return [
        memo[key] if (key := (type(v), v)) in memo else memo.setdefault(key, _test_cell(column, v))
        for v in values.to_numpy(dtype=object).tolist()
    ]


def _shown_groups(groups: pd.Index, events: Collection[str]) -> list[str]:
    """At most :data:`TEST_GROUP_LIMIT` groups besides ``all``, in file order: the
    categories first, then the securities, then the events that have a section."""
    rank = np.full(len(groups), 3)
    rank[groups.str.startswith("event:") & groups.str.slice(len("event:")).isin(list(events))] = 2
    rank[groups.str.startswith("ticker:")] = 1
    rank[groups.str.startswith("category:")] = 0
    rank[groups == "all"] = 4
    order = np.argsort(rank, kind="stable")[: min(TEST_GROUP_LIMIT, int((rank < 4).sum()))]
    return list(groups[np.sort(order)])


def tests_section(frame: pd.DataFrame, events: Collection[str] = ()) -> str:
    """The tests table: the ``all`` group open, at most :data:`TEST_GROUP_LIMIT` others
    folded (categories, securities, then the events that have a section), the rest
    counted and left to ``tests.csv``."""
    columns = [c for c in frame.columns if c != "group"]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in columns
    ]
    labels = [esc(TEST_LABELS.get(c, c)) for c in columns]

    def rendered(rows: pd.DataFrame) -> str:
        cells = [_column_cells(c, rows[c]) for c in columns]
        return f"<div class=scroll>{table(labels, zip(*cells, strict=True), numeric)}</div>"

    if "group" not in frame.columns:
        shown, note = capped(frame)
        return rendered(shown) + note
    groups = pd.Index(pd.unique(frame["group"]))
    picked = _shown_groups(groups, events)
    parts = []
    if "all" in groups:
        parts.append(f"<h3>All pairs</h3>{rendered(frame[frame['group'] == 'all'])}")
    chosen = frame[frame["group"].isin(picked)]
    for group, rows in chosen.groupby("group", sort=False):
        parts.append(
            f"<details><summary>{esc(group)} ({count(len(rows))} rows)</summary>"
            f"{rendered(rows)}</details>"
        )
    others = len(groups) - ("all" in groups) - len(picked)
    if others:
        parts.append(
            f"<p class=meta>Showing {count(len(picked))} of {count(len(picked) + others)} "
            "groups besides all pairs (categories, securities, then the events that have "
            "a section); every group is in tests.csv.</p>"
        )
    return "".join(parts)
