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
    LABELS,
    by_p,
    column_cells,
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
    """CAR, s.e., t, p and stars per row of ``car.csv``, at most ``limit`` rows, in order
    of p.

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
    rows = by_p(rows, "car_p")
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


MEASURES = {
    "return": "Returns (CAR)",
    "volume": "Volume (CAV)",
    "volatility": "Volatility (Beaver's U, percentile tests)",
    "bhar": "Long horizon (BHAR)",
}
"""The heading of each measure's tests (``measure`` of tests.csv), in page order."""
SHOWN = ["test", "validity", "window_start", "window_end", "statistic", "p_value", "n",
         "n_pos", "n_neg", "df", "distribution", "p_holm", "p_bh", "p_placebo",
         "valid_under_clustering", "clustered"]  # fmt: skip
"""The tests table's columns in the report, in order (those present); ``note`` becomes
a numbered footnote, ``group`` and ``measure`` headings."""
VALIDITY = {"recommended": "sig", "not valid": "bad"}


def _validity_cells(values: pd.Series) -> list[str]:
    return [f"<span class=valid-{VALIDITY.get(v, 'ok')}>{esc(v)}</span>" for v in values.tolist()]


def _rendered(rows: pd.DataFrame, notes: dict[str, int]) -> str:
    """One table of tests rows, smallest p first, its notes as footnote numbers."""
    rows = by_p(rows, "p_value") if "p_value" in rows else rows
    columns = [c for c in SHOWN if c in rows.columns]
    cells, numeric = [], []
    for c in columns:
        if c == "validity":
            column, is_num = _validity_cells(rows[c]), False
        elif c in ("window_start", "window_end"):
            column, is_num = [f"{int(v):+d}" if v else "0" for v in rows[c].tolist()], True
        else:
            column, is_num = column_cells(c, rows[c])
        cells.append(column)
        numeric.append(is_num)
    header = [esc(LABELS.get(c, c)) for c in columns]
    if "note" in rows.columns:
        refs = []
        for note in rows["note"].tolist():
            text = note if isinstance(note, str) else ""
            refs.append(f"[{notes.setdefault(text, len(notes) + 1)}]" if text else "")
        cells.append(refs)
        numeric.append(False)
        header.append("Note")
    return f"<div class=scroll>{table(header, zip(*cells, strict=True), numeric)}</div>"


def _notes_html(notes: dict[str, int]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li value={k}>{esc(text)}</li>" for text, k in notes.items())
    return f"<ol class=notes>{items}</ol>"


def _measures(frame: pd.DataFrame, notes: dict[str, int], level: int) -> str:
    """The rows of ``frame`` under one heading per measure (returns first)."""
    if "measure" not in frame.columns:
        return _rendered(frame, notes)
    present = list(pd.unique(frame["measure"]))
    order = [m for m in MEASURES if m in present] + [m for m in present if m not in MEASURES]
    parts = []
    for measure in order:
        rows = frame[frame["measure"] == measure]
        name = MEASURES.get(measure, str(measure))
        parts.append(f"<h{level}>{esc(name)}</h{level}>{_rendered(rows, notes)}")
    return "".join(parts)


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


VALIDITY_NOTE = (
    "<p class=meta>Each test is marked <b>recommended</b>, <b>valid</b> or <b>not valid</b> "
    "for this study's design (tests.csv <code>validity</code>), from the documented size "
    "results (docs/inference.md): a test that over-rejects when pairs share a day 0 is not "
    "valid for rows whose pairs do; KP-adjusted BMP and the bootstrap hold their size under "
    "both shared dates and event-induced variance. Within each measure, rows are in order "
    "of p.</p>"
)


def tests_section(frame: pd.DataFrame, events: Collection[str] = ()) -> str:
    """The tests table: the ``all`` group open, under one heading per measure (rows in
    order of p, each marked recommended / valid / not valid), at most
    :data:`TEST_GROUP_LIMIT` other groups folded (categories, securities, then the
    events that have a section), the rest counted and left to ``tests.csv``; the notes
    of the rows shown as numbered footnotes."""
    notes: dict[str, int] = {}
    intro = VALIDITY_NOTE if "validity" in frame.columns else ""
    if "group" not in frame.columns:
        shown, cut = capped(frame)
        return intro + _measures(shown, notes, 3) + cut + _notes_html(notes)
    groups = pd.Index(pd.unique(frame["group"]))
    picked = _shown_groups(groups, events)
    parts = [intro]
    if "all" in groups:
        parts.append(f"<h3>All pairs</h3>{_measures(frame[frame['group'] == 'all'], notes, 4)}")
    chosen = frame[frame["group"].isin(picked)]
    for group, rows in chosen.groupby("group", sort=False):
        parts.append(
            f"<details><summary>{esc(group)} ({count(len(rows))} rows)</summary>"
            f"{_measures(rows, notes, 4)}</details>"
        )
    others = len(groups) - ("all" in groups) - len(picked)
    if others:
        parts.append(
            f"<p class=meta>Showing {count(len(picked))} of {count(len(picked) + others)} "
            "groups besides all pairs (categories, securities, then the events that have "
            "a section); every group is in tests.csv.</p>"
        )
    parts.append(_notes_html(notes))
    return "".join(parts)
