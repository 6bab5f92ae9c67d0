"""Saving a study run: the output contract written into ``out/<study-name>/``.

:func:`save` writes the tables (CSV, and Parquet/Excel on request), the figures (drawn
in worker processes meanwhile), ``report.html`` and, last, ``manifest.json``
(:func:`manifest`). :meth:`eventstudy.pipeline.results.RunResult.save` calls it.
"""

from __future__ import annotations

import platform
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.core import atomic
from eventstudy.core.data_dictionary import dictionary
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventstudy.pipeline.results import RunResult

__all__ = ["manifest", "save"]


def manifest(result: RunResult) -> dict[str, Any]:
    """What was run, on which data, with which software: ``manifest.json``."""
    packages = {}
    for name in (
        "eventstudy",
        "numpy",
        "pandas",
        "scipy",
        "exchange-calendars",
        "pydantic",
        "matplotlib",
        "statsmodels",
        "arch",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "package": "eventstudy",
        "version": packages["eventstudy"],
        "synthetic": result.synthetic,
        "warning": SYNTHETIC_NOTE if result.synthetic else None,
        "started": result.started.isoformat(timespec="seconds"),
        "finished": result.finished.isoformat(timespec="seconds"),
        "computed": result.finished.isoformat(timespec="seconds"),
        "events_file": str(result.study.path) if result.study.path else None,
        "events_run": result.event_ids,
        "config": result.study.model_dump(mode="json"),
        "data": {
            "source": result.prices.source,
            "synthetic": result.synthetic,
            "tickers": {t: p.to_dict() for t, p in sorted(result.prices.provenance.items())},
            "off_session": {
                t: rows.to_dict() for t, rows in sorted(result.prices.off_session.items())
            },
        },
        "alignment": [a.to_dict() for a in result.alignments],
        "counts": {
            "pairs": len(result.alignments),
            "estimated": len(result.models),
            "skipped": len(result.skipped),
        },
        "environment": {"python": platform.python_version(), "packages": packages},
    }


def write_contract_tables(folder: Path, result: Any) -> dict[str, Path]:
    """Write ``abnormal_returns.csv``, ``car.csv``, ``models.csv`` and ``skipped.csv`` of
    ``result`` (a daily or an intraday run) into ``folder``; role -> path."""
    names = ("abnormal_returns", "car", "models", "skipped")
    return {name: atomic.write_csv(folder / f"{name}.csv", getattr(result, name)) for name in names}


def save(
    result: RunResult,
    out: str | Path = "outputs",
    *,
    plots: bool = True,
    figures: str | int = "auto",
    formats: tuple[str, ...] = ("png",),
    progress: Callable[[str, int, int], None] | None = None,
    tables: tuple[str, ...] = ("csv",),
) -> dict[str, Path]:
    """Write the output contract into ``out/<study-name>/``.

    Parameters
    ----------
    out
        Parent folder (default ``outputs``); the study's files go in a sub-folder
        named after ``study.name``.
    plots
        Also draw the study figures (``caar``, ``caar_category``,
        ``car_distribution``, ``heatmap``, ``timeline``) and ``<event_id>/car`` and
        ``<event_id>/ar`` per event, in worker processes (one per CPU, see
        :class:`eventstudy.outputs.plots.FigureJob`) while the tables are written.
    figures
        Which events get figures: ``"auto"`` (every event up to 40, else the 40
        with the smallest CAR p; every event named in the run), ``"all"``,
        ``"none"`` (study figures only) or a number of events; see
        :func:`eventstudy.outputs.selection.figure_events`.
    formats
        Figure formats: ``"png"`` and/or ``"svg"``.
    progress
        Called as ``progress(figure_name, done, total)`` after each figure.
    tables
        Table formats: ``"csv"`` (always) and ``"parquet"`` (``<table>.parquet``
        beside each CSV, typed columns) and/or ``"xlsx"`` (``results.xlsx``, one
        sheet per table); see :mod:`eventstudy.outputs.export`.

    Returns
    -------
    dict
        File role (``"car"``, ``"manifest"``, ``"report"``, ``"caar.png"``,
        ``"<event_id>/car.png"`` ...) to path. Every file is written atomically;
        ``report.html`` embeds the study figures and is written even without them;
        ``"<event_id>/report"`` is each event's page (the events with figures).
        Figure files of an earlier run into the same folder that this run does not
        redraw are removed (only the names this toolkit writes), so the folder
        never mixes runs.
    """
    from concurrent.futures import ThreadPoolExecutor
    from contextlib import nullcontext

    from eventstudy.outputs import export
    from eventstudy.outputs.plots import FigureJob, Figures, check_figures, stale_figures
    from eventstudy.outputs.report import write_pages

    tables = export.check_formats(tables)
    figures = check_figures(figures)
    folder = Path(out) / result.study.study.name
    # manifest.json is removed first and written last: a folder holding one is one
    # complete run; after an interrupted re-run every file is still complete (old or
    # new, each replaced atomically) but there is no manifest until a run completes.
    (folder / "manifest.json").unlink(missing_ok=True)
    # The figures are drawn in worker processes while the tables are written and
    # the tests computed here; they are written once those are done.
    with (
        FigureJob(result, folder, formats=tuple(formats), figures=figures)
        if plots
        else nullcontext() as job,
        ThreadPoolExecutor(max_workers=1) as background,
    ):
        # Figures of an earlier run that this one does not redraw (other events,
        # another format, --no-plots) would not match the new tables: removed.
        for path in stale_figures(result, folder, tuple(formats) if plots else None, figures):
            path.unlink(missing_ok=True)
            if path.parent != folder and not any(path.parent.iterdir()):
                path.parent.rmdir()
        # tests.csv is computed in a thread while the other tables are written
        tests = background.submit(result.tests) if result.test_names else None
        document = manifest(result) | {"table_formats": list(tables)}
        written = write_contract_tables(folder, result)
        written["summary"] = atomic.write_text(
            folder / "summary.txt", result.summary().as_text() + "\n"
        )
        described = {}  # tables beside those of export.write_tables, for columns.csv
        if tests is not None:
            written["tests"] = atomic.write_csv(folder / "tests.csv", tests.result())
            same_date = result.placebo_dates()
            if same_date is not None:
                described["placebo_tests"] = same_date.table()
                written["placebo_tests"] = atomic.write_csv(
                    folder / "placebo_tests.csv", described["placebo_tests"]
                )
        optional = result.optional_tables()
        for name, frame in optional.items():
            written[name] = atomic.write_csv(folder / f"{name}.csv", frame)
        frames = {name: getattr(result, name) for name in export.TABLES if name != "tests"}
        if tests is not None:
            frames["tests"] = tests.result()
        frames.update(optional)
        for path in export.stale_files(folder, frames, tables):
            path.unlink()
        notes = [SYNTHETIC_NOTE] if result.synthetic else []
        written.update(export.write_tables(folder, frames, tables, notes))
        columns = dictionary({**frames, **described})
        written["columns"] = atomic.write_csv(folder / "columns.csv", columns)
        drawn = job.finish(progress) if job is not None else Figures()
    written.update(drawn.paths)
    # the run ends when its files are written: the report is the last but the manifest
    # ("computed": when the results were, before any file)
    shown = replace(result, finished=datetime.now(UTC))
    written.update(write_pages(shown, folder / "report.html", drawn.images))
    document["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = atomic.json_text(document)
    written["manifest"] = atomic.write_text(folder / "manifest.json", text + "\n")
    return written
