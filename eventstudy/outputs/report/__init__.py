"""One self-contained HTML report per run, and the summaries the CLI prints.

:func:`render_report` turns a :class:`~eventstudy.outputs.result.StudyResult` and the PNG
(or SVG) bytes of its figures into a single HTML page: the study, its warnings, links
to the data files, the CAR and test tables, a section for each event that has figures
(its day 0 per security), and the figures embedded as ``data:`` URIs. The page needs
no network and no JavaScript; a Content-Security-Policy forbids loading anything that
is not inline. Every string that comes from the events file or the data is escaped.
Its size is bounded at any study size: tables, warning lists and event sections are
capped, each cut named in a note, and the CSV files next to the page hold every pair.

:func:`car_rows`, :func:`json_summary` and :func:`rich_table` are what
``eventstudy run --json`` and the terminal summary show.

Modules, in page order: :mod:`~eventstudy.outputs.report.markup` (escaping, numbers, tables),
:mod:`~eventstudy.outputs.report.tables` (CAR and test tables),
:mod:`~eventstudy.outputs.report.warnings`,
:mod:`~eventstudy.outputs.report.figures` (which events get a section, embedding),
:mod:`~eventstudy.outputs.report.events` (the per-event sections),
:mod:`~eventstudy.outputs.report.page`
(the assembly), :mod:`~eventstudy.outputs.report.summaries` (JSON and terminal).
"""

from eventstudy.outputs.report.figures import IMAGE_BUDGET, SECTION_LIMIT, Images, section_events
from eventstudy.outputs.report.markup import esc
from eventstudy.outputs.report.page import data_files, render_report, write_pages, write_report
from eventstudy.outputs.report.summaries import (
    RICH_EVENTS,
    RICH_TICKERS,
    car_rows,
    json_summary,
    rich_table,
)
from eventstudy.outputs.report.tables import (
    EVENT_ROW_LIMIT,
    ROW_LIMIT,
    TEST_GROUP_LIMIT,
    tests_frame,
)
from eventstudy.outputs.report.warnings import (
    WARNING_LIMIT,
    overlapping_windows,
    shared_day0s,
    warnings_list,
)
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

__all__ = [
    "EVENT_ROW_LIMIT",
    "IMAGE_BUDGET",
    "RICH_EVENTS",
    "RICH_TICKERS",
    "ROW_LIMIT",
    "SECTION_LIMIT",
    "SYNTHETIC_NOTE",
    "TEST_GROUP_LIMIT",
    "WARNING_LIMIT",
    "Images",
    "car_rows",
    "data_files",
    "esc",
    "json_summary",
    "overlapping_windows",
    "render_report",
    "rich_table",
    "section_events",
    "shared_day0s",
    "tests_frame",
    "warnings_list",
    "write_pages",
    "write_report",
]
