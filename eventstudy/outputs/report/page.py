"""The report page: the answer first, then the run, files, figures, tables, events, warnings.

:func:`render_report` assembles one self-contained HTML page: under the title the
answer's sentences with the CAAR, the headline table of the main window, then every table
with all its rows (compact JSON the page's script sorts, searches and pages). Its size
stays under 10 MB at 20,000 events: embedded figures within a budget, each event's own
figures on its page (:mod:`eventstudy.outputs.report.event_pages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.core import atomic
from eventstudy.measures.design import study_design
from eventstudy.outputs.report.charts import caar_chart, heatmap_chart
from eventstudy.outputs.report.event_pages import write_event_pages
from eventstudy.outputs.report.events import EVENT_FIGURES, heading
from eventstudy.outputs.report.figures import SECTION_LIMIT, Embedder, Images, section_events
from eventstudy.outputs.report.grid import Column, data_table, links_json
from eventstudy.outputs.report.headline import (
    LEVEL,
    headline_frame,
    headline_sentences,
    significant_events,
)
from eventstudy.outputs.report.long_horizon import long_horizon_section
from eventstudy.outputs.report.markup import DASH, count, esc, window
from eventstudy.outputs.report.placebo import placebo_section
from eventstudy.outputs.report.regressions import in_percent, regressions_section
from eventstudy.outputs.report.shell import document
from eventstudy.outputs.report.study_answer import pooled_sentence, regression_sentences
from eventstudy.outputs.report.tables import default_window, tests_frame, tests_section
from eventstudy.outputs.report.views import car_grid, frame_grid, headline_grid
from eventstudy.outputs.report.volatility import volatility_section
from eventstudy.outputs.report.volume import volume_section
from eventstudy.outputs.report.warnings import warnings_list
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

TABLES = {
    "car": "one row per event x security x CAR window",
    "abnormal_returns": "one row per event x security x relative day",
    "tests": "one row per group x window x test",
    "models": "one row per event x security: the fitted model",
    "skipped": "one row per pair that could not be estimated, with the reason",
}
"""The tables of the output contract the report links to, with what a row is."""
OPTIONAL = {
    "placebo": "one row per placebo pair x CAR window",
    "placebo_size": "rejection rates of the per-pair tests on placebo days",
    "abnormal_volume": "one row per event x security x event-window day: volume",
    "cav": "one row per event x security x CAR window: cumulative abnormal volume",
    "abnormal_volatility": "one row per event x security x event-window day: Beaver's U",
    "avol": "one row per event x security x CAR window: mean U and its p-values",
    "bhar": "one row per event x security x BHAR window",
    "calendar_time": "one row per BHAR window: the calendar-time alpha",
    "calendar_time_portfolio": "one row per BHAR window x session: the portfolio",
    "regression": "one row per regression x term",
}
"""What a row is in each optional table (:meth:`RunResult.optional_tables`)."""

SVG_FIGURES = ("caar", "heatmap")
"""Study figures the page draws as inline SVG with values on hover (their PNGs stay files)."""


def data_files(result: RunResult, folder: Path | None = None) -> list[tuple[str, str]]:
    """``(relative path, description)`` of the data files the report links to.

    The CSV tables the run writes (``tests.csv`` when it ran tests) and
    ``manifest.json``; with ``folder``, also the ``<table>.parquet`` files and
    ``results.xlsx`` that exist there.
    """
    files = [
        (f"{name}.csv", what)
        for name, what in TABLES.items()
        if name != "tests" or tests_frame(result) is not None
    ]
    optional = list(result.optional_tables())
    files += [(f"{name}.csv", OPTIONAL.get(name, "")) for name in optional]
    files.append(("manifest.json", "the run: configuration, data provenance, every day 0"))
    if folder is not None:
        files += [
            (f"{name}.parquet", f"{name}.csv as Parquet")
            for name in [*TABLES, *optional]
            if (folder / f"{name}.parquet").is_file()
        ]
        if (folder / "results.xlsx").is_file():
            files.append(("results.xlsx", "the tables as one Excel workbook"))
    return files


def _files_section(files: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<li><a href='{esc(p)}'>{esc(p)}</a>: {esc(what)}</li>" for p, what in files)
    return (
        "<p class=meta>This page shows the most significant rows and events; the files "
        f"next to it hold every pair.</p><ul class=files>{items}</ul>"
    )


def _facts(result: RunResult) -> str:
    s = result.study.study
    rows = [(esc(k), esc(v)) for k, v in result.summary().header]
    rows += [
        ("CAR windows", esc(", ".join(window(a, b) for a, b in s.car_windows))),
        ("Minimum estimation returns", esc(s.min_estimation_returns)),
        ("Events file", esc(result.study.path) or DASH),
        (
            "Run",
            f"{esc(result.started.isoformat(timespec='seconds'))} to "
            f"{esc(result.finished.isoformat(timespec='seconds'))}",
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class=facts>{body}</table>"


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("eventstudy")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _events_grid(result: RunResult, pages: list[str]) -> str:
    """Every event of the run: id (a link to its page where it has one), date, title."""
    wanted = set(result.event_ids)
    events = [e for e in result.study.events if e.id in wanted]
    frame = pd.DataFrame(
        {
            "event_id": [e.id for e in events],
            "date": [f"{e.date:%Y-%m-%d}" for e in events],
            "category": [e.category or "" for e in events],
            "title": [e.title for e in events],
        }
    )
    columns = [
        Column("event_id", "Event", "event", search=True),
        Column("date", "Date"),
        Column("category", "Category", search=True),
        Column("title", "Title"),
    ]
    return (
        f"<p class=meta>{count(len(pages))} of {count(len(frame))} events have a page "
        "(those drawn as figures, at most "
        f"{SECTION_LIMIT} with the smallest CAR p); every event's rows are in the tables "
        "here.</p>" + data_table("events", frame, columns)
    )


SENTENCES = 5
"""Sentences shown on the first screen (the smallest p first); more fold below them."""
STRONGEST = 5
"""Events whose CAR figure the main page shows (the smallest CAR p first)."""
FOLDED = 50
"""Most sentences on the page; the other significant events are counted."""


def _sentences(headline: pd.DataFrame, shown: tuple[int, int], titles: dict[str, str]) -> str:
    total = len(significant_events(headline))
    if not total:
        return f"<p>No event's CAR{window(*shown)} is significant at {LEVEL:.0%}.</p>"
    items = headline_sentences(headline, shown, FOLDED)
    lis = [f"<li title='{esc(titles.get(e, ''))}'>{esc(t)}</li>" for e, t in items]
    rest = (
        f"<li>{count(total - len(lis))} more: sort or search the table.</li>"
        if total > len(lis)
        else ""
    )
    events = headline["event_id"].nunique()
    chance = (
        f" ({count(total)} of {count(events)} events; about {count(round(events * LEVEL))} "
        "would be by chance alone)"
        if events >= 1 / LEVEL
        else ""
    )
    more = (
        f"<details><summary>{count(total - SENTENCES)} more events significant at "
        f"{LEVEL:.0%}{chance}</summary><ul class=sentences>{''.join(lis[SENTENCES:])}{rest}</ul>"
        "</details>"
        if total > SENTENCES
        else ""
    )
    return f"<ul class=sentences>{''.join(lis[:SENTENCES])}</ul>{more}"


def _strongest(result: RunResult, events: list[str], figures: Embedder) -> str:
    """The CAR figures of the :data:`STRONGEST` most significant events with a page,
    each linking to it (empty without figures)."""
    by_id = {e.id: e for e in result.study.events}
    shown = [e for e in events if f"{e}/car" in figures.images][:STRONGEST]
    if not shown:
        return ""
    mine = result.car[result.car["event_id"].isin(shown)]
    tickers = mine.groupby("event_id", sort=False)["ticker"].unique()
    caption = dict(EVENT_FIGURES)["car"]
    body = "".join(
        f"<h3><a href='{esc(e)}/report.html'>{esc(e)}</a>: "
        f"{heading(by_id[e], list(tickers.get(e, [])))}</h3>"
        + figures.figure(f"{e}/car", f"{e}: {caption}")
        for e in shown
    )
    return (
        f"<section id=strongest><h2>The {count(len(shown))} strongest events</h2>"
        "<p class=meta>In order of their smallest CAR p; each event's page has all its "
        f"figures and rows.</p>{body}</section>"
    )


def _study_sentences(result: RunResult, tests: pd.DataFrame | None, shown: tuple[int, int]) -> str:
    """All pairs together and the second-stage regressions, in words (may be empty)."""
    design = study_design(result.models)  # as tests.csv's validity marks
    said = [pooled_sentence(result.car, tests, shown, design)]
    fits = [(r.to_frame(), in_percent(r)) for r in result.regressions()]
    said += regression_sentences(fits, shared_dates=design == "shared-dates")
    items = "".join(f"<li>{esc(text)}</li>" for text in said if text)
    return f"<ul class='sentences study'>{items}</ul>" if items else ""


def _answer(result: RunResult, tests: pd.DataFrame | None, shown: tuple[int, int]) -> str:
    """The first screen: the study's and the events' sentences with the CAAR beside
    them, then the headline table across the page."""
    headline = headline_frame(result.car, tests, shown)
    titles = {e.id: e.title for e in result.study.events}
    label = f"CAR{window(*shown)}"
    tested = ", ".join(sorted(set(headline["test"]) - {""})) or "t-test"
    return (
        f"<section id=answer><h2>The answer: {label} per event and security</h2>"
        f"<div class=answer><div>"
        f"{_study_sentences(result, tests, shown)}"
        f"{_sentences(headline, shown, titles)}</div>"
        f"<div>{caar_chart(result)}</div></div>"
        f"{headline_grid(headline)}"
        f"<p class=meta>p: the test the design calls for ({esc(tested)}): the placebo p "
        "where the placebo study ran, else the sample-quantile p, else the per-pair t "
        "(MacKinlay s.e.); for an event whose securities share a day 0 also the "
        "Kolari-Pynnönen adjusted BMP test of the event (tests.csv); "
        "* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01. Click a header to sort.</p>"
        "</section>"
    )


def render_report(
    result: RunResult,
    images: Images | None = None,
    files: Sequence[tuple[str, str]] | None = None,
) -> str:
    """The HTML report of a run (one string, self-contained, under 10 MB).

    First the answer (:func:`_answer`), then the run, its files, the figures, every
    table (all rows, as JSON the page's script sorts, searches and pages), the events
    (each linking to its page, :mod:`eventstudy.outputs.report.event_pages`) and the
    warnings in full.

    Parameters
    ----------
    result
        The study result.
    images
        Figure name to ``(mime type, bytes)``, as :func:`eventstudy.outputs.plots.save_figures`
        returns in ``Figures.images``; figures not given are left out. The events with
        figures here get a page (see :func:`~eventstudy.outputs.report.figures.section_events`).
    files
        ``(relative path, description)`` of the data files to link to; default
        :func:`data_files` without a folder.
    """
    images = images or {}
    s = result.study.study
    title = s.title or s.name
    warn_items = warnings_list(result)
    warnings_html = (
        "<ul class=warnings>"
        + "".join(f"<li><span class=kind>{esc(k)}:</span> {esc(m)}</li>" for k, m in warn_items)
        + "</ul>"
        if warn_items
        else "<p>None.</p>"
    )
    banner = f"<div class=banner role=alert>{esc(SYNTHETIC_NOTE)}</div>" if result.synthetic else ""
    description = f"<p>{esc(s.description)}</p>" if s.description else ""
    shown = default_window(result)
    events = section_events(result, images)
    linked = set(events)
    tests = tests_frame(result)
    tests_html = (
        tests_section(tests, linked)
        + "<h3>Every test (search a group, test or measure)</h3>"
        + frame_grid("tests", tests)
        if tests is not None and len(tests)
        else "<p>No cross-sectional tests in this run.</p>"
    )
    # the CAAR and the heat map are inline SVG (values on hover); their PNGs are files only
    on_page = {name: image for name, image in images.items() if name not in SVG_FIGURES}
    figures = Embedder(on_page, events=events)
    study_figures = (heatmap_chart(result, shown) if "heatmap" in images else "") + (
        figures.study_figures() if images else "<p>Figures were not drawn for this run.</p>"
    )
    files_html = _files_section(data_files(result) if files is None else files)
    version = _version()
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    warned = (
        f" &nbsp;<a href='#warnings'>{count(len(warn_items))} "
        f"warning{'' if len(warn_items) == 1 else 's'}</a> about this run (below)"
        if warn_items
        else ""
    )
    return document(
        f"{title} · event study report",
        f"""<header>
<h1>{esc(title)}</h1>
<p class=lead>Event study <code>{esc(s.name)}</code>: market model abnormal returns and
cumulative abnormal returns (CAR) around each event, MacKinlay (1997) standard errors.</p>
{banner}
<p class=warncount><input type=search id=search-all
placeholder="Search every table: event id, ticker" aria-label="Search every table">
{warned}</p>
</header>
{_answer(result, tests, shown)}
{description}
<nav><p class=toc><a href="#answer">Answer</a> · <a href="#run">Run</a>
· <a href="#files">Data files</a> · <a href="#figures">Study figures</a>
{"· <a href='#strongest'>Strongest events</a>" if images else ""}
· <a href="#cars">CAR per event and security</a> · <a href="#tests">Cross-sectional tests</a>
· <a href="#events">Events ({count(len(events))} pages of {count(len(result.event_ids))})</a>
· <a href="#warnings">Warnings ({count(len(warn_items))})</a></p></nav>
<section id=run><h2>Run</h2>{_facts(result)}</section>
<section id=files><h2>Data files</h2>{files_html}</section>
<section id=figures><h2>Study figures</h2>{study_figures}</section>
{_strongest(result, events, figures) if images else ""}
<section id=cars><h2>CAR per event and security</h2>
<p class=meta>Every event, security and window ({count(len(result.car))} rows of car.csv);
t = CAR / s.e. with n<sub>est</sub> &minus; 2 degrees of freedom, two-sided p;
* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01.</p>
{car_grid("car", result.car)}</section>
<section id=tests><h2>Cross-sectional tests</h2>{tests_html}</section>
{placebo_section(result)}
{regressions_section(result)}
{long_horizon_section(result, figures if images else None)}
{volume_section(result, tests, figures if images else None)}
{volatility_section(result)}
<section id=events><h2>Events</h2>{_events_grid(result, events)}</section>
<section id=warnings><h2>Warnings</h2>{warnings_html}</section>
{links_json(linked)}
<footer>Generated by eventstudy {esc(version)} on {generated}.
{"Synthetic demo data: not market data." if result.synthetic else ""}</footer>""",
        version,
    )


def write_pages(result: RunResult, path: Path, images: Images | None = None) -> dict[str, Path]:
    """Write :func:`render_report` to ``path`` atomically, linking the data files that
    the run writes and the Parquet/Excel files that exist next to it, and the pages of
    its events beside it (:func:`~eventstudy.outputs.report.event_pages.write_event_pages`).

    Returns
    -------
    dict
        ``"report"`` and ``"<event_id>/report"`` -> path.
    """
    images = images or {}
    folder = Path(path).parent
    files = data_files(result, folder)
    events = section_events(result, images)
    written = write_event_pages(result, folder, events, images, tests_frame(result))
    written["report"] = atomic.write_text(path, render_report(result, images, files))
    return written


def write_report(result: RunResult, path: Path, images: Images | None = None) -> Path:
    """:func:`write_pages`; the path of ``report.html``."""
    return write_pages(result, path, images)["report"]
