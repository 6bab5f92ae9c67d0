"""The report page: head, run facts, data files, warnings, figures, tables, events.

:func:`render_report` assembles one self-contained HTML page; its size is bounded at
any study size (tables capped, per-event sections only for the events with figures,
embedded figures within a budget), and links to the data files next to it hold the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.core import atomic
from eventstudy.outputs.report.events import event_sections, events_note
from eventstudy.outputs.report.figures import Embedder, Images, section_events
from eventstudy.outputs.report.long_horizon import long_horizon_section
from eventstudy.outputs.report.markup import DASH, count, esc, window
from eventstudy.outputs.report.placebo import placebo_section
from eventstudy.outputs.report.regressions import regressions_section
from eventstudy.outputs.report.tables import car_table, default_window, tests_frame, tests_section
from eventstudy.outputs.report.volatility import volatility_section
from eventstudy.outputs.report.volume import volume_section
from eventstudy.outputs.report.warnings import warnings_list
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
:root { --ink: #222; --muted: #666; --line: #ddd; --warn: #8a5a00; --bad: #b00020; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1120px; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 .6rem; border-bottom: 2px solid var(--line);
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.8rem 0 .4rem; }
p.lead { color: var(--muted); margin-top: 0; }
nav { margin-top: 1.5rem; }
nav .toc { font-weight: 600; }
nav ol.events { columns: 3; padding-left: 1.6rem; font-size: .9rem; margin-top: .3rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
th, td { padding: .22rem .6rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { background: none; color: var(--muted); font-weight: 500; }
.banner { border: 2px solid var(--bad); color: var(--bad); background: #fff4f4;
  padding: .6rem .9rem; font-weight: 600; margin: 1rem 0; }
.warnings li { margin: .25rem 0; }
.warnings .kind { font-weight: 600; color: var(--warn); }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .85rem; }
.event { border-top: 1px solid var(--line); margin-top: 2rem; }
.meta { color: var(--muted); font-size: .92rem; }
.notes { background: #fafafa; border-left: 3px solid var(--line); padding: .4rem .8rem; }
details summary { cursor: pointer; color: var(--muted); margin: .4rem 0; }
.sig { color: var(--bad); font-weight: 600; }
div.scroll { overflow-x: auto; }
span.note { display: inline-block; max-width: 22rem; font-size: .8rem; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .82rem; }
.valid-sig { color: #0a6b2d; font-weight: 600; }
.valid-bad { color: var(--bad); }
ol.notes { font-size: .8rem; color: var(--muted); }
@media (max-width: 600px) { nav ol.events { columns: 1; } body { padding: 1rem .6rem 3rem; } }
@media print { nav { display: none; } .event { break-before: page; } }
"""

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


def render_report(
    result: RunResult,
    images: Images | None = None,
    files: Sequence[tuple[str, str]] | None = None,
) -> str:
    """The HTML report of a run (one string, self-contained, under 10 MB).

    Parameters
    ----------
    result
        The study result.
    images
        Figure name to ``(mime type, bytes)``, as :func:`eventstudy.outputs.plots.save_figures`
        returns in ``Figures.images``; figures not given are left out. The events with
        figures here get a section (see :func:`~eventstudy.outputs.report.figures.section_events`).
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
    label = f"CAR{window(*shown)}"
    events = section_events(result, images)
    linked = set(events)
    tests = tests_frame(result)
    tests_html = (
        tests_section(tests, linked)
        if tests is not None and len(tests)
        else "<p>No cross-sectional tests in this run.</p>"
    )
    figures = Embedder(images, events=events)
    study_figures = (
        figures.study_figures() if images else "<p>Figures were not drawn for this run.</p>"
    )
    events_html = events_note(result, events, bool(images)) + event_sections(
        result, events, figures
    )
    toc = "".join(f"<li><a href='#event-{esc(e)}'>{esc(e)}</a></li>" for e in events)
    files_html = _files_section(data_files(result) if files is None else files)
    version = _version()
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return document(
        f"{title} · event study report",
        f"""<header>
<h1>{esc(title)}</h1>
<p class=lead>Event study <code>{esc(s.name)}</code>: market model abnormal returns and
cumulative abnormal returns (CAR) around each event, MacKinlay (1997) standard errors.</p>
{banner}
{description}
</header>
<nav><p class=toc><a href="#run">Run</a> · <a href="#files">Data files</a>
· <a href="#warnings">Warnings ({count(len(warn_items))})</a>
· <a href="#figures">Study figures</a> · <a href="#summary">{label}</a>
· <a href="#tests">Cross-sectional tests</a> · <a href="#cars">All CARs</a>
· <a href="#events">Events ({count(len(events))} of {count(len(result.event_ids))})</a></p>
<ol class=events>{toc}</ol></nav>
<section id=run><h2>Run</h2>{_facts(result)}</section>
<section id=files><h2>Data files</h2>{files_html}</section>
<section id=warnings><h2>Warnings</h2>{warnings_html}</section>
<section id=figures><h2>Study figures</h2>{study_figures}</section>
<section id=summary><h2>{label} per event and security</h2>
<p class=meta>t = CAR / s.e. with n<sub>est</sub> &minus; 2 degrees of freedom, two-sided p;
* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01.</p>
{car_table(result.car_window(*shown), linked=linked)}</section>
<section id=tests><h2>Cross-sectional tests</h2>{tests_html}</section>
{placebo_section(result)}
{regressions_section(result)}
{long_horizon_section(result, figures if images else None)}
{volume_section(result, tests, figures if images else None)}
{volatility_section(result)}
<section id=cars><h2>All CARs</h2>
<details><summary>Every event, security and window ({count(len(result.car))} rows)</summary>
{car_table(result.car, linked=linked)}</details></section>
<section id=events><h2>Events</h2>{events_html}</section>
<footer>Generated by eventstudy {esc(version)} on {generated}.
{"Synthetic demo data: not market data." if result.synthetic else ""}</footer>""",
        version,
    )


def document(title: str, body: str, version: str | None = None) -> str:
    """A self-contained HTML page: the report's head (no-network CSP, style) and ``body``.

    ``version`` names the generator in a ``<meta>`` tag.
    """
    generator = f'<meta name="generator" content="eventstudy {esc(version)}">\n' if version else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
{generator}<title>{esc(title)}</title>
<style>{STYLE}</style>
</head>
<body>
{body}
</body>
</html>
"""


def write_report(result: RunResult, path: Path, images: Images | None = None) -> Path:
    """Write :func:`render_report` to ``path`` atomically, linking the data files that
    the run writes and the Parquet/Excel files that exist next to it."""
    files = data_files(result, Path(path).parent)
    return atomic.write_text(path, render_report(result, images, files))
