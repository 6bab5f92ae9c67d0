"""One self-contained HTML report per run, a page per event, and the CLI's summaries.

:func:`render_report` turns a :class:`~eventstudy.pipeline.results.RunResult` and the PNG
(or SVG) bytes of its figures into a single HTML page that answers first: under the
title the headline table of the main CAR window, a sentence per significant event and
the CAAR (values on hover); then the run, the data files, the study figures, every
table with all its rows (compact JSON that the page's one script sorts, searches and
pages), the events and the warnings. The page needs no network: a
Content-Security-Policy allows nothing from outside and only its own script (by hash).
Every string that comes from the events file or the data is escaped.
:func:`write_pages` writes it with ``<event_id>/report.html`` for the events that get
figures (:mod:`~eventstudy.outputs.report.event_pages`).

:func:`car_rows`, :func:`json_summary` and :func:`rich_table` are what
``eventstudy run --json`` and the terminal summary show.

Modules: :mod:`~eventstudy.outputs.report.page` (the assembly),
:mod:`~eventstudy.outputs.report.shell` (head, CSP, style, script),
:mod:`~eventstudy.outputs.report.headline` (the answer's rows and sentences),
:mod:`~eventstudy.outputs.report.grid`, :mod:`~eventstudy.outputs.report.views` and
:mod:`~eventstudy.outputs.report.script` (the interactive tables),
:mod:`~eventstudy.outputs.report.svg` and :mod:`~eventstudy.outputs.report.charts`
(hover figures), :mod:`~eventstudy.outputs.report.event_pages` and
:mod:`~eventstudy.outputs.report.events` (the event pages),
:mod:`~eventstudy.outputs.report.markup` (escaping, numbers, tables),
:mod:`~eventstudy.outputs.report.tables` (capped tables, the tests),
:mod:`~eventstudy.outputs.report.warnings`, :mod:`~eventstudy.outputs.report.figures`
(which events get a page, embedding), :mod:`~eventstudy.outputs.report.summaries`
(JSON and terminal).
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
