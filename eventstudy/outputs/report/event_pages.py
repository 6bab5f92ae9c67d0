"""One page per event, ``<event_id>/report.html`` beside ``report.html``.

A page holds the event's title, time, source, notes and day 0 per security with the
rule that chose it (:func:`eventstudy.outputs.report.events.event_sections`), the other
events inside its windows on a timeline of the event window with their sources, its CAR
paths with bands (hover for values), its figures, and its rows of every table. Pages
are made for the events that get figures (the figure caps:
:func:`eventstudy.outputs.report.figures.section_events`); every other event's rows are
in the searchable tables of ``report.html``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core import atomic
from eventstudy.outputs.report.charts import event_chart, news_timeline
from eventstudy.outputs.report.events import event_sections
from eventstudy.outputs.report.figures import Embedder, Images
from eventstudy.outputs.report.grid import links_json
from eventstudy.outputs.report.markup import DASH, esc, url_link
from eventstudy.outputs.report.shell import document
from eventstudy.outputs.report.views import car_grid, frame_grid
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

PAGE = "report.html"
"""The file name of an event's page inside its folder."""
PAGE_BUDGET = 4_000_000
"""Most bytes of embedded figures on one event page."""


def _tables(result: RunResult, tests: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """The tables with rows per event: name -> frame (those this run has)."""
    tables = {"car": result.car}
    optional = result.optional_tables()
    for name in ("bhar", "cav", "avol", "placebo"):
        if name in optional and "event_id" in optional[name]:
            tables[name] = optional[name]
    if tests is not None and len(tests) and "group" in tests:
        tables["tests"] = tests
    return tables


def _rows_by_event(frame: pd.DataFrame, column: str, keys: list[str]) -> dict[str, np.ndarray]:
    values = frame[column].astype(str)
    if column == "group":
        values = values.str.slice(len("event:"))
    mask = values.isin(keys).to_numpy()
    picked = values[mask]
    return {
        k: np.flatnonzero(mask)[i] for k, i in picked.groupby(picked.to_numpy()).indices.items()
    }


def _others(result: RunResult, ids: Iterable[str]) -> str:
    items = []
    for other in ids:
        event = result.study.event(other)
        items.append(
            f"<li><code>{esc(other)}</code> {event.date:%Y-%m-%d}: {esc(event.title)}"
            f" · source: {url_link(event.source)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else "<p>None.</p>"


def event_page(
    result: RunResult,
    event_id: str,
    section: str,
    rows: dict[str, pd.DataFrame],
    n_est: pd.Series,
    linked: Iterable[str],
) -> str:
    """The HTML of one event's page.

    Parameters
    ----------
    section
        Its section (:func:`~eventstudy.outputs.report.events.event_sections`).
    rows
        Its rows of each table, by name (``abnormal_returns``, ``car``, ...).
    n_est
        models.csv's ``n_est`` by (event id, ticker), for the bands.
    linked
        The events that have a page.
    """
    event = result.study.event(event_id)
    banner = f"<div class=banner role=alert>{esc(SYNTHETIC_NOTE)}</div>" if result.synthetic else ""
    frame = rows["abnormal_returns"]
    timeline, others = news_timeline(result, frame, rows["car"])
    grids = "".join(
        f"<h3>{esc(name)}.csv ({len(part):,} rows)</h3>"
        + (car_grid(name, part) if name == "car" else frame_grid(name, part))
        for name, part in rows.items()
        if name != "abnormal_returns"
    )
    body = (
        f"<p><a href='../report.html'>&larr; the study's report</a></p>"
        f"<h1>{esc(result.study.study.title or result.study.study.name)}: "
        f"<code>{esc(event_id)}</code></h1>{banner}{section}"
        f"<h2>Other events in its windows</h2>{timeline or '<p>' + DASH + '</p>'}"
        f"{_others(result, others)}"
        f"<h2>CAR paths</h2>{event_chart(event_id, frame, n_est)}"
        f"<h2>Its rows of every table</h2>{grids}"
        f"{links_json(linked, '../')}"
    )
    return document(f"{event.title} · {event_id}", body)


def write_event_pages(
    result: RunResult,
    folder: Path,
    events: list[str],
    images: Images,
    tests: pd.DataFrame | None,
) -> dict[str, Path]:
    """Write the page of each of ``events`` to ``folder/<event_id>/report.html``, and
    remove the pages an earlier run wrote for other events of the study.

    Returns
    -------
    dict
        ``"<event_id>/report"`` -> path.
    """
    folder = Path(folder)
    chosen = set(events)
    known = {e.id for e in result.study.events}
    for stale in folder.glob(f"*/{PAGE}"):
        name = stale.parent.name
        if name in known and name not in chosen:
            stale.unlink()
            if not any(stale.parent.iterdir()):
                stale.parent.rmdir()
    tables = {"abnormal_returns": result.abnormal_returns, **_tables(result, tests)}
    indices = {
        name: _rows_by_event(frame, "group" if name == "tests" else "event_id", events)
        for name, frame in tables.items()
    }

    def own_figures(event_id: str) -> Embedder:
        """The event's own figures, within the page's budget (no study figure spends it)."""
        own = {name: image for name, image in images.items() if name.startswith(f"{event_id}/")}
        return Embedder(own, PAGE_BUDGET)

    sections = event_sections(result, events, own_figures)
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    written = {}
    for event_id in events:
        rows = {
            name: tables[name].iloc[indices[name].get(event_id, np.empty(0, dtype="int64"))]
            for name in tables
        }
        page = event_page(result, event_id, sections[event_id], rows, n_est, events)
        path = folder / event_id / PAGE
        path.parent.mkdir(parents=True, exist_ok=True)
        written[f"{event_id}/report"] = atomic.write_text(path, page)
    return written
