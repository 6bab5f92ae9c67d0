"""One self-contained HTML report per run, and the summaries the CLI prints.

:func:`render_report` turns a :class:`~eventstudy.results.StudyResult` and the PNG
(or SVG) bytes of its figures into a single HTML page: the study, its warnings, the
CAR and test tables, every event with its day 0 per security, and the figures
embedded as ``data:`` URIs. The page needs no network and no JavaScript; a
Content-Security-Policy forbids loading anything that is not inline. Every string
that comes from the events file or the data is escaped.

:func:`car_rows`, :func:`json_summary` and :func:`rich_table` are what
``eventstudy run --json`` and the terminal summary show.
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from eventstudy import output
from eventstudy.results import SYNTHETIC_NOTE, stars

if TYPE_CHECKING:
    from rich.table import Table

    from eventstudy.results import StudyResult

Images = dict[str, tuple[str, bytes]]
"""Figure name (``"caar"``, ``"<event_id>/car"`` ...) to ``(mime type, bytes)``."""

DASH = "&ndash;"
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
@media print { nav { display: none; } .event { break-before: page; } }
"""


def esc(value: object) -> str:
    """HTML-escape any value (quotes too); None becomes an empty string."""
    return "" if value is None else html.escape(str(value), quote=True)


# ----------------------------------------------------------------------------------
# Numbers and tables
# ----------------------------------------------------------------------------------


def _num(value: object, digits: int = 2, scale: float = 1.0) -> str:
    try:
        x = float(value) * scale  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if not np.isfinite(x):
        return DASH
    return f"{x:.{digits}f}".replace("-", "&minus;")


def _p(value: object) -> str:
    try:
        p = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if not np.isfinite(p):
        return DASH
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] | None = None
) -> str:
    """An HTML table from already-escaped cells."""
    numeric = numeric or [False] * len(header)
    head = "".join(
        f"<th{' class=num' if n else ''}>{h}</th>" for h, n in zip(header, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if n else ''}>{c}</td>" for c, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _window(start: object, end: object) -> str:
    return f"[{int(start):+d},{int(end):+d}]"  # type: ignore[call-overload]


def _stars_html(p: object) -> str:
    try:
        mark = stars(float(p))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return f"<span class=sig>{mark}</span>" if mark else ""


ROW_LIMIT = 200  # a large study's report lists the most significant rows; CSVs hold all
EVENT_ROW_LIMIT = 50  # the same for each event's own tables


def _capped(rows: pd.DataFrame, limit: int = ROW_LIMIT) -> tuple[pd.DataFrame, str]:
    """At most ``limit`` rows (the smallest p-values first when cut) and a note saying so."""
    if len(rows) <= limit:
        return rows, ""
    shown = (
        rows.sort_values("car_p", kind="stable").head(limit)
        if "car_p" in rows
        else rows.head(limit)
    )
    note = (
        f"<p class=meta>Showing {limit} of {len(rows)} rows"
        f"{' (smallest p first)' if 'car_p' in rows else ''}; every row is in the CSV files.</p>"
    )
    return shown, note


def _car_table(rows: pd.DataFrame, *, with_event: bool, limit: int = ROW_LIMIT) -> str:
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
    rows, cut_note = _capped(rows, limit)
    body = []
    for r in rows.itertuples(index=False):
        cells = [
            *([f"<a href='#event-{esc(r.event_id)}'>{esc(r.event_id)}</a>"] if with_event else []),
            esc(r.ticker),
            _window(r.window_start, r.window_end),
            _num(r.car, 2, 100),
            _num(r.car_se, 2, 100),
            _num(r.car_t, 2),
            _p(r.car_p),
            _stars_html(r.car_p),
        ]
        if has_confounders:
            value = r.confounders
            cells.append(esc(value) if isinstance(value, str) else "")
        body.append(cells)
    return _table(header, body, numeric) + cut_note


def tests_frame(result: StudyResult) -> pd.DataFrame | None:
    """The cross-sectional test results (``tests.csv``), if this run has them.

    ``StudyResult.tests()`` computes them on first use; it is called when the run asked
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


def _tests_section(frame: pd.DataFrame) -> str:
    """The tests table, the ``all`` group open, the other groups folded."""
    grouped = "group" in frame.columns
    columns = [c for c in frame.columns if c != "group"]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in columns
    ]

    def cell(column: str, value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return DASH
        if column.startswith("p_"):
            return _p(value)
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        if isinstance(value, float | np.floating):
            return _num(value, 3)
        if column == "note" and value:
            return f"<span class=note>{esc(value)}</span>"
        return esc(value)

    def table(rows: pd.DataFrame) -> str:
        values = rows[columns].to_numpy(dtype=object)
        body = [[cell(c, v) for c, v in zip(columns, r, strict=True)] for r in values]
        labels = [esc(TEST_LABELS.get(c, c)) for c in columns]
        return f"<div class=scroll>{_table(labels, body, numeric)}</div>"

    if not grouped:
        return table(frame)
    parts = []
    for group, rows in frame.groupby("group", sort=False):
        body = table(rows)
        if group == "all":
            parts.insert(0, f"<h3>All pairs</h3>{body}")
        else:
            parts.append(
                f"<details><summary>{esc(group)} ({len(rows)} rows)</summary>{body}</details>"
            )
    return "".join(parts)


# ----------------------------------------------------------------------------------
# Warnings
# ----------------------------------------------------------------------------------


def clustered_dates(result: StudyResult) -> list[tuple[str, list[str], int]]:
    """Calendar day-0 dates shared by more than one event: ``(date, events, pairs)``."""
    pairs = result.car.drop_duplicates(["event_id", "ticker"])
    out = []
    for day0, rows in pairs.groupby("day0", sort=True):
        events = list(dict.fromkeys(rows["event_id"]))
        if len(events) > 1:
            out.append((str(day0), events, len(rows)))
    return out


def overlapping_windows(result: StudyResult) -> list[tuple[str, str, str, int]]:
    """Pairs whose event window holds another run event's day 0 for the same security.

    Returns ``(event_id, ticker, other_event_id, rel_day)``, the relative day being
    where the other event's day 0 falls in this pair's window.
    """
    ar = result.abnormal_returns
    if ar.empty:
        return []
    day0 = result.car.drop_duplicates(["event_id", "ticker"])[["event_id", "ticker", "day0"]]
    merged = ar[["event_id", "ticker", "rel_day", "date"]].merge(
        day0.rename(columns={"event_id": "other", "day0": "date"}), on=["ticker", "date"]
    )
    merged = merged[merged["other"] != merged["event_id"]]
    return [(r.event_id, r.ticker, r.other, int(r.rel_day)) for r in merged.itertuples(index=False)]


def _confounder_warnings(car: pd.DataFrame) -> list[tuple[str, str]]:
    """Per event: the CAR windows that also hold another event's day 0, and which."""
    flagged = car[car["confounders"].fillna("").astype(str).str.len() > 0]
    items = []
    for event_id, rows in flagged.groupby("event_id", sort=False):
        parts = []
        for (start, end), group in rows.groupby(["window_start", "window_end"], sort=False):
            others = dict.fromkeys(o for value in group["confounders"] for o in value.split(";"))
            tickers = list(dict.fromkeys(group["ticker"]))
            parts.append(f"CAR{_window(start, end)} ({', '.join(tickers)}): {', '.join(others)}")
        items.append(
            ("confounded windows", f"{event_id}: other events' day 0 inside " + "; ".join(parts))
        )
    return items


def _overlap_warnings(result: StudyResult) -> list[tuple[str, str]]:
    """Pairs of run events whose day 0s fall inside each other's event windows."""
    overlaps: dict[tuple[str, str], dict[int, list[str]]] = {}
    for event_id, ticker, other, day in overlapping_windows(result):
        if day > 0:  # each unordered pair once, from the earlier event
            overlaps.setdefault((event_id, other), {}).setdefault(day, []).append(ticker)
    items = []
    for (event_id, other), by_day in overlaps.items():
        apart = "; ".join(
            f"{day} sessions apart ({', '.join(tickers)})" for day, tickers in by_day.items()
        )
        items.append(
            (
                "overlapping events",
                f"{other} has its day 0 inside the event window of {event_id}, and the "
                f"other way round: {apart}",
            )
        )
    return items


def warnings_list(result: StudyResult) -> list[tuple[str, str]]:
    """Every warning of a run as ``(kind, message)``, plain text."""
    items: list[tuple[str, str]] = []
    if result.synthetic:
        items.append(("synthetic data", SYNTHETIC_NOTE))
    for r in result.skipped.itertuples(index=False):
        items.append(("skipped pair", f"{r.event_id} / {r.ticker}: {r.reason}"))
    for ticker, missing in sorted(getattr(result.prices, "missing", {}).items()):
        reason = getattr(missing, "reason", missing)
        items.append(("missing prices", f"{ticker}: {reason}"))
    clusters = clustered_dates(result)
    for day0, events, n in clusters:
        items.append(
            (
                "event-date clustering",
                f"day 0 {day0} is shared by {len(events)} events ({', '.join(events)}; {n} "
                "pairs): their abnormal returns are the same market days, so they are not "
                "independent observations and cannot be told apart",
            )
        )
    n_pairs = len(result.models)
    n_dates = result.car.drop_duplicates(["event_id", "ticker"])["day0"].nunique()
    if n_pairs > n_dates:
        items.append(
            (
                "event-date clustering",
                f"{n_pairs} estimated pairs fall on {n_dates} distinct day-0 dates; pairs on "
                "the same date are cross-correlated, which tests assuming independent pairs "
                "(and the CAAR band) ignore; Kolari-Pynnönen adjusted tests account for it",
            )
        )
    if "confounders" in result.car.columns:
        items += _confounder_warnings(result.car)
    else:
        items += _overlap_warnings(result)
    for message in getattr(result, "warnings", None) or []:
        items.append(("warning", str(message)))
    return items


# ----------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------


def _image_size(mime: str, data: bytes) -> tuple[int, int] | None:
    if mime == "image/png" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _figure(images: Images, name: str, caption: str) -> str:
    if name not in images:
        return ""
    mime, data = images[name]
    size = _image_size(mime, data)
    dims = f" width={size[0]} height={size[1]}" if size else ""
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return (
        f"<figure><img src='{uri}' alt='{esc(caption)}'{dims} loading=eager>"
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def _link(url: str | None) -> str:
    if not url:
        return DASH
    if urlsplit(url).scheme in {"http", "https"}:
        return f"<a href='{esc(url)}' rel='noopener noreferrer'>{esc(url)}</a>"
    return esc(url)


def _facts(result: StudyResult) -> str:
    s = result.study.study
    rows = [(esc(k), esc(v)) for k, v in result.summary().header]
    rows += [
        ("CAR windows", esc(", ".join(_window(a, b) for a, b in s.car_windows))),
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


def _event_section(result: StudyResult, event_id: str, images: Images) -> str:
    event = result.study.event(event_id)
    when = f"{event.date:%Y-%m-%d}"
    if event.time is not None:
        when += f" {event.time:%H:%M} ({result.study.timezone_for(event)})"
    else:
        when += " (no time given: treated as known before the open)"
    skipped = {r.ticker: r.reason for r in result.skipped.itertuples() if r.event_id == event_id}
    estimated = set(result.models.loc[result.models["event_id"] == event_id, "ticker"])
    align_rows = []
    mine = [a for a in result.alignments if a.event_id == event_id]
    for a in mine[:EVENT_ROW_LIMIT]:
        if a.ticker in estimated:
            status = "estimated"
        elif a.ticker in skipped:
            status = f"<span class=sig>skipped</span>: {esc(skipped[a.ticker])}"
        else:
            status = "not run"
        align_rows.append(
            [
                esc(a.ticker),
                esc(a.exchange),
                esc(a.news_time),
                f"<b>{a.day0:%Y-%m-%d}</b>",
                "yes" if a.shifted else "no",
                esc(a.reason),
                status,
            ]
        )
    alignment = _table(
        ["Security", "Exchange", "News time", "Day 0", "Shifted", "Why", "Status"], align_rows
    )
    if len(mine) > EVENT_ROW_LIMIT:
        alignment += (
            f"<p class=meta>Showing {EVENT_ROW_LIMIT} of {len(mine)} securities; "
            "manifest.json records every day 0.</p>"
        )
    car = result.car[result.car["event_id"] == event_id]
    tables = (
        _car_table(car, with_event=False, limit=EVENT_ROW_LIMIT)
        if len(car)
        else "<p>No estimated pair.</p>"
    )
    notes = f"<p class=notes>{esc(event.notes)}</p>" if event.notes else ""
    figures = _figure(images, f"{event_id}/car", f"{event_id}: CAR paths with 95% bands") + _figure(
        images, f"{event_id}/ar", f"{event_id}: daily abnormal returns"
    )
    return (
        f"<section class=event id='event-{esc(event_id)}'>"
        f"<h3>{esc(event.title)}</h3>"
        f"<p class=meta><code>{esc(event_id)}</code> · {esc(when)}"
        f" · category: {esc(event.category) or DASH} · source: {_link(event.source)}</p>"
        f"{notes}<h4>Day 0 per security</h4>{alignment}"
        f"<h4>CAR per window</h4>{tables}{figures}</section>"
    )


def render_report(result: StudyResult, images: Images | None = None) -> str:
    """The HTML report of a run (one string, self-contained).

    Parameters
    ----------
    result
        The study result.
    images
        Figure name to ``(mime type, bytes)``, as :func:`eventstudy.plots.save_figures`
        returns in ``Figures.images``; figures not given are left out.
    """
    from importlib import metadata

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
    window = _default_window(result)
    summary_rows = result.car_window(*window)
    tests = tests_frame(result)
    tests_html = (
        _tests_section(tests)
        if tests is not None and len(tests)
        else "<p>No cross-sectional tests in this run.</p>"
    )
    study_figures = (
        _figure(images, "caar", "CAAR over all estimated pairs with a 95% band")
        + _figure(images, "heatmap", f"CAR{_window(*window)} per event and security")
        + _figure(images, "timeline", "Prices normalised to 100 with the study's events")
    )
    if not images:
        study_figures = "<p>Figures were not drawn for this run.</p>"
    events_html = "".join(_event_section(result, e, images) for e in result.event_ids)
    toc = "".join(f"<li><a href='#event-{esc(e)}'>{esc(e)}</a></li>" for e in result.event_ids)
    try:
        version = metadata.version("eventstudy")
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="eventstudy {esc(version)}">
<title>{esc(title)} · event study report</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{esc(title)}</h1>
<p class=lead>Event study <code>{esc(s.name)}</code>: market model abnormal returns and
cumulative abnormal returns (CAR) around each event, MacKinlay (1997) standard errors.</p>
{banner}
{description}
</header>
<nav><p class=toc><a href="#run">Run</a> · <a href="#warnings">Warnings ({len(warn_items)})</a>
· <a href="#figures">Study figures</a> · <a href="#summary">CAR{_window(*window)}</a>
· <a href="#tests">Cross-sectional tests</a> · <a href="#cars">All CARs</a>
· <a href="#events">Events</a></p><ol class=events>{toc}</ol></nav>
<section id=run><h2>Run</h2>{_facts(result)}</section>
<section id=warnings><h2>Warnings</h2>{warnings_html}</section>
<section id=figures><h2>Study figures</h2>{study_figures}</section>
<section id=summary><h2>CAR{_window(*window)} per event and security</h2>
<p class=meta>t = CAR / s.e. with n<sub>est</sub> &minus; 2 degrees of freedom, two-sided p;
* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01.</p>
{_car_table(summary_rows, with_event=True)}</section>
<section id=tests><h2>Cross-sectional tests</h2>{tests_html}</section>
<section id=cars><h2>All CARs</h2>
<details><summary>Every event, security and window ({len(result.car)} rows)</summary>
{_car_table(result.car, with_event=True)}</details></section>
<section id=events><h2>Events</h2>{events_html}</section>
<footer>Generated by eventstudy {esc(version)} on {generated}.
{"Synthetic demo data: not market data." if result.synthetic else ""}</footer>
</body>
</html>
"""


def _default_window(result: StudyResult) -> tuple[int, int]:
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    return (0, 1) if (0, 1) in windows else windows[0]


def write_report(result: StudyResult, path: Path, images: Images | None = None) -> Path:
    """Write :func:`render_report` to ``path`` atomically."""
    return output.write_text(path, render_report(result, images))


# ----------------------------------------------------------------------------------
# Command-line summaries
# ----------------------------------------------------------------------------------


def car_rows(result: StudyResult, window: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The CAR rows of one window (default ``[0, +1]``) as JSON-ready dicts."""
    window = window or _default_window(result)
    out = []
    for r in result.car_window(*window).itertuples(index=False):

        def num(x: object) -> float | None:
            v = float(x)  # type: ignore[arg-type]
            return v if np.isfinite(v) else None

        out.append(
            {
                "event_id": r.event_id,
                "ticker": r.ticker,
                "day0": r.day0,
                "window": [int(r.window_start), int(r.window_end)],
                "car": num(r.car),
                "car_se": num(r.car_se),
                "car_t": num(r.car_t),
                "car_p": num(r.car_p),
                "stars": stars(float(r.car_p)),
            }
        )
    return out


def json_summary(result: StudyResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """What ``eventstudy run --json`` prints: folder, files, counts, CAR[0,+1] rows."""
    window = _default_window(result)
    return {
        "study": result.study.study.name,
        "folder": str(folder),
        "synthetic": result.synthetic,
        "files": sorted(
            str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p)
            for p in written.values()
        ),
        "counts": {
            "events": len(result.event_ids),
            "pairs": len(result.alignments),
            "estimated": len(result.models),
            "skipped": len(result.skipped),
            "files": len(written),
        },
        "skipped": [
            {"event_id": r.event_id, "ticker": r.ticker, "reason": r.reason}
            for r in result.skipped.itertuples(index=False)
        ],
        "window": list(window),
        "car": car_rows(result, window),
    }


RICH_TICKERS = 8
"""Above this many securities the terminal table has one row per event, not a grid."""


def rich_table(result: StudyResult, window: tuple[int, int] | None = None) -> Table:
    """A compact event x security table of CAR (%), t and stars for the terminal.

    With more than :data:`RICH_TICKERS` securities, one row per event instead: pairs,
    mean and median CAR, and the share of pairs significant at 5% by sign.
    """
    from rich.text import Text

    window = window or _default_window(result)
    rows = result.car_window(*window)
    tickers = list(dict.fromkeys(a.ticker for a in result.alignments))
    if len(tickers) > RICH_TICKERS:
        return _rich_event_table(result, rows, window)
    skipped = {(r.event_id, r.ticker) for r in result.skipped.itertuples(index=False)}
    cells = {(r.event_id, r.ticker): r for r in rows.itertuples(index=False)}
    table = _terminal_table(
        result,
        f"CAR{_window(*window)} in % (t) per event and security",
        "* p<0.10  ** p<0.05  *** p<0.01 (MacKinlay t, n_est-2 df)",
    )
    table.add_column("event", no_wrap=True)
    for ticker in tickers:
        table.add_column(ticker, justify="right", no_wrap=True)
    for event_id in result.event_ids:
        row: list[Text | str] = [event_id]
        for ticker in tickers:
            r = cells.get((event_id, ticker))
            if r is None:
                row.append(Text("skipped" if (event_id, ticker) in skipped else "", style="dim"))
                continue
            mark = stars(float(r.car_p))
            style = "red" if r.car < 0 else "green"
            text = Text(f"{r.car * 100:+.2f}", style=style + (" bold" if mark else ""))
            text.append(f" ({r.car_t:.1f})", style="dim")
            text.append(f"{mark:<3}", style="bold yellow")
            row.append(text)
        table.add_row(*row)
    return table


def _terminal_table(result: StudyResult, title: str, caption: str) -> Table:
    """An empty rich table in the house style (title flagged when the data are synthetic)."""
    from rich.table import Table

    flag = " · SYNTHETIC data" if result.synthetic else ""
    return Table(title=title + flag, caption=caption, header_style="bold", pad_edge=False, box=None)


def _rich_event_table(result: StudyResult, rows: pd.DataFrame, window: tuple[int, int]) -> Table:
    """Per-event summary of a wide study's CARs for the terminal."""
    table = _terminal_table(
        result,
        f"CAR{_window(*window)} per event across securities",
        "significant: MacKinlay t, p<0.05; the tests of the CAAR are in tests.csv",
    )
    for name in ("event", "pairs", "mean CAR %", "median CAR %", "sig. +", "sig. -"):
        table.add_column(name, justify="left" if name == "event" else "right", no_wrap=True)
    by_event = dict(tuple(rows.groupby("event_id", sort=False)))
    for event_id in result.event_ids:
        part = by_event.get(event_id)
        if part is None:
            table.add_row(event_id, "0", "", "", "", "")
            continue
        significant = part["car_p"] < 0.05
        table.add_row(
            event_id,
            str(len(part)),
            f"{part['car'].mean() * 100:+.2f}",
            f"{part['car'].median() * 100:+.2f}",
            f"{(significant & (part['car'] > 0)).mean():.0%}",
            f"{(significant & (part['car'] < 0)).mean():.0%}",
        )
    return table
