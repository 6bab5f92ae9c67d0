"""Results of a study run: tables, a summary, figures and saving to disk.

:class:`StudyResult` holds the tables of the output contract as DataFrames shaped
like the CSV files (``abnormal_returns``, ``car``, ``models``, ``skipped``), renders
as a summary in a terminal or notebook, plots itself, and saves everything with
:meth:`StudyResult.save`.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy import output
from eventstudy.summary import (
    SUMMARY_ROWS,
    SUMMARY_SKIPPED,
    SYNTHETIC_NOTE,
    Summary,
    stars,
    summarise,
)

__all__ = [
    "AR_COLUMNS",
    "CAR_COLUMNS",
    "MODEL_COLUMNS",
    "SUMMARY_ROWS",
    "SUMMARY_SKIPPED",
    "SYNTHETIC_NOTE",
    "StudyResult",
    "Summary",
    "stars",
]

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

    from eventstudy.calendar import Alignment
    from eventstudy.config import Study
    from eventstudy.data.base import PriceTable
    from eventstudy.estimation import Estimates
    from eventstudy.placebo import Placebo
    from eventstudy.placebo_dates import SameDatePlacebo

AR_COLUMNS = [
    "event_id",
    "ticker",
    "rel_day",
    "date",
    "ret",
    "benchmark_ret",
    "expected_ret",
    "ar",
    "car",
    "ar_se",
    "car_se",
]
CAR_COLUMNS = [
    "event_id",
    "ticker",
    "day0",
    "window_start",
    "window_end",
    "car",
    "car_se",
    "car_t",
    "car_p",
    "n_est",
    "alpha",
    "beta",
    "sigma",
    "n_days",
    "benchmark",
]
MODEL_COLUMNS = [
    "event_id",
    "ticker",
    "model",
    "alpha",
    "beta",
    "sigma",
    "r2",
    "n_est",
    "est_start",
    "est_end",
    "benchmark",
    "exchange",
]


@dataclass(frozen=True)
class StudyResult:
    """Everything a study run produced.

    Attributes
    ----------
    study
        The study that was run.
    event_ids
        The events that were run, in file order.
    alignments
        Day 0 of every (event, security) pair and why.
    abnormal_returns
        One row per event x security x relative day (``abnormal_returns.csv``).
    car
        One row per event x security x CAR window (``car.csv``).
    models
        One row per event x security: the fitted market model (``models.csv``).
    skipped
        Pairs that could not be estimated, with the reason (``skipped.csv``).
    prices
        The prices used, with their provenance.
    estimates
        The fitted models and stacked arrays per model group (for inference).
    test_names
        The tests :meth:`tests` runs (None: the default set; empty: none).
    placebo
        The placebo study (``study.placebo``; :mod:`eventstudy.placebo`), or None.
    started, finished
        UTC timestamps of the run.
    """

    study: Study
    event_ids: list[str]
    alignments: list[Alignment]
    abnormal_returns: pd.DataFrame
    car: pd.DataFrame
    models: pd.DataFrame
    skipped: pd.DataFrame
    prices: PriceTable
    started: datetime
    finished: datetime
    estimates: list[Estimates] = field(default_factory=list, repr=False)
    test_names: tuple[str, ...] | None = None
    placebo: Placebo | None = field(default=None, repr=False)
    _tests_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def tests(self) -> pd.DataFrame:
        """The ``tests.csv`` table: every test x group x CAR window (computed once).

        Groups are ``all``, ``event:<id>``, ``category:<name>`` and ``ticker:<T>``; the
        tests are those chosen at run time (``tests=`` / ``--tests``; default: the
        standard set of :data:`eventstudy.inference.DEFAULT_TESTS`). See
        :mod:`eventstudy.study_tests` for the columns.
        """
        if "tests" not in self._tests_cache:
            from eventstudy.study_tests import study_tests

            table = study_tests(self, self.test_names)
            same_date = self.placebo_dates()
            if same_date is not None:  # the placebo p-value of each event: group
                table["p_placebo"] = same_date.p_values(table, self.study)
            self._tests_cache["tests"] = table
        return self._tests_cache["tests"]

    def placebo_dates(self) -> SameDatePlacebo | None:
        """The same-date placebo study's tests (:mod:`eventstudy.placebo_dates`), once.

        None unless the run has a placebo study, tests, and events of several securities.
        """
        if self.placebo is None:
            return None
        if "placebo_dates" not in self._tests_cache:
            from eventstudy.placebo_dates import run_same_date

            s = self.study.study
            self._tests_cache["placebo_dates"] = run_same_date(self, s.placebo, s.placebo_seed)
        return self._tests_cache["placebo_dates"]

    def placebo_size(self) -> pd.DataFrame:
        """``placebo_size.csv`` (:meth:`eventstudy.placebo.Placebo.size`), computed once.

        Only for a run with a placebo study (:attr:`placebo` not None).
        """
        if "placebo_size" not in self._tests_cache:
            assert self.placebo is not None
            self._tests_cache["placebo_size"] = self.placebo.size()
        return self._tests_cache["placebo_size"]

    @property
    def events(self) -> pd.DataFrame:
        """The events run, one row per event: their fields and attributes.

        The attributes are the extra columns of an events table (or ``attributes:`` of
        a YAML event), one column each, for second-stage analysis (merge on
        ``event_id`` with :attr:`car`).
        """
        from eventstudy.settings import events_frame

        return events_frame([self.study.event(e) for e in self.event_ids])

    @property
    def synthetic(self) -> bool:
        """True when the prices were the synthetic demo data."""
        return self.prices.synthetic

    @property
    def alignment(self) -> pd.DataFrame:
        """Day 0 per (event, security) as a table."""
        return pd.DataFrame([a.to_dict() for a in self.alignments])

    def to_frame(self) -> pd.DataFrame:
        """The CAR table (``car.csv``)."""
        return self.car

    def car_window(self, start: int, end: int) -> pd.DataFrame:
        """CAR rows of one window."""
        c = self.car
        return c[(c["window_start"] == start) & (c["window_end"] == end)].reset_index(drop=True)

    def summary(self, window: tuple[int, int] | None = None) -> Summary:
        """Summary of the run and the CARs of one window (:mod:`eventstudy.summary`).

        Parameters
        ----------
        window
            CAR window to tabulate; default ``(0, 1)`` if the study has it, else the
            first of the study's ``car_windows``.
        """
        return summarise(self, window)

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        flag = ", SYNTHETIC" if self.synthetic else ""
        return (
            f"<StudyResult {self.study.study.name}: {len(self.event_ids)} events, "
            f"{len(self.models)} pairs, {len(self.skipped)} skipped{flag}>"
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, event_id: str | None = None, kind: str | None = None, **options: Any) -> Figure:
        """A figure of the study (see :mod:`eventstudy.plots`).

        ``plot("ft-ai-talent")`` or ``plot("ft-ai-talent", kind="ar")`` for one event
        (``car``: CAR paths with 95% bands, ``ar``: AR bars); ``plot(kind="caar")``,
        ``"heatmap"`` (``window=(0, 1)``) or ``"timeline"`` for the whole study
        (``plot("heatmap")`` works too); ``plot()`` is the CAAR figure.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from eventstudy.plots import STUDY_KINDS, figure

        if kind is None and event_id in STUDY_KINDS and event_id not in self.event_ids:
            event_id, kind = None, event_id
        kind = kind or ("car" if event_id is not None else "caar")
        return figure(self, kind, event_id, **options)

    def manifest(self) -> dict[str, Any]:
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
        ):
            try:
                packages[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                packages[name] = None
        return {
            "package": "eventstudy",
            "version": packages["eventstudy"],
            "synthetic": self.synthetic,
            "warning": SYNTHETIC_NOTE if self.synthetic else None,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": self.finished.isoformat(timespec="seconds"),
            "events_file": str(self.study.path) if self.study.path else None,
            "events_run": self.event_ids,
            "config": self.study.model_dump(mode="json"),
            "data": {
                "source": self.prices.source,
                "synthetic": self.synthetic,
                "tickers": {t: p.to_dict() for t, p in sorted(self.prices.provenance.items())},
                "off_session": {
                    t: rows.to_dict() for t, rows in sorted(self.prices.off_session.items())
                },
            },
            "alignment": [a.to_dict() for a in self.alignments],
            "counts": {
                "pairs": len(self.alignments),
                "estimated": len(self.models),
                "skipped": len(self.skipped),
            },
            "environment": {"python": platform.python_version(), "packages": packages},
        }

    def save(
        self,
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
            :class:`eventstudy.plots.FigureJob`) while the tables are written.
        figures
            Which events get figures: ``"auto"`` (every event up to 40, else the 40
            with the smallest CAR p; every event named in the run), ``"all"``,
            ``"none"`` (study figures only) or a number of events; see
            :func:`eventstudy.selection.figure_events`.
        formats
            Figure formats: ``"png"`` and/or ``"svg"``.
        progress
            Called as ``progress(figure_name, done, total)`` after each figure.
        tables
            Table formats: ``"csv"`` (always) and ``"parquet"`` (``<table>.parquet``
            beside each CSV, typed columns) and/or ``"xlsx"`` (``results.xlsx``, one
            sheet per table); see :mod:`eventstudy.export`.

        Returns
        -------
        dict
            File role (``"car"``, ``"manifest"``, ``"report"``, ``"caar.png"``,
            ``"<event_id>/car.png"`` ...) to path. Every file is written atomically;
            ``report.html`` embeds the figures and is written even without them.
            Figure files of an earlier run into the same folder that this run does not
            redraw are removed (only the names this toolkit writes), so the folder
            never mixes runs.
        """
        from concurrent.futures import ThreadPoolExecutor
        from contextlib import nullcontext

        from eventstudy import export
        from eventstudy.plots import FigureJob, Figures, check_figures, stale_figures
        from eventstudy.report import write_report

        tables = export.check_formats(tables)
        figures = check_figures(figures)
        folder = Path(out) / self.study.study.name
        # manifest.json is removed first and written last: a folder holding one is one
        # complete run; after an interrupted re-run every file is still complete (old or
        # new, each replaced atomically) but there is no manifest until a run completes.
        (folder / "manifest.json").unlink(missing_ok=True)
        # The figures are drawn in worker processes while the tables are written and
        # the tests computed here; they are written once those are done.
        with (
            FigureJob(self, folder, formats=tuple(formats), figures=figures)
            if plots
            else nullcontext() as job,
            ThreadPoolExecutor(max_workers=1) as background,
        ):
            # Figures of an earlier run that this one does not redraw (other events,
            # another format, --no-plots) would not match the new tables: removed.
            for path in stale_figures(self, folder, tuple(formats) if plots else None, figures):
                path.unlink(missing_ok=True)
                if path.parent != folder and not any(path.parent.iterdir()):
                    path.parent.rmdir()
            # tests.csv is computed in a thread while the other tables are written
            tests = background.submit(self.tests) if self.test_names else None
            written = {
                "abnormal_returns": output.write_csv(
                    folder / "abnormal_returns.csv", self.abnormal_returns
                ),
                "car": output.write_csv(folder / "car.csv", self.car),
                "models": output.write_csv(folder / "models.csv", self.models),
                "skipped": output.write_csv(folder / "skipped.csv", self.skipped),
                "summary": output.write_text(
                    folder / "summary.txt", self.summary().as_text() + "\n"
                ),
            }
            if tests is not None:
                written["tests"] = output.write_csv(folder / "tests.csv", tests.result())
                same_date = self.placebo_dates()
                if same_date is not None:
                    written["placebo_tests"] = output.write_csv(
                        folder / "placebo_tests.csv", same_date.table()
                    )
            if self.placebo is not None:
                written["placebo"] = output.write_csv(folder / "placebo.csv", self.placebo.car)
                written["placebo_size"] = output.write_csv(
                    folder / "placebo_size.csv", self.placebo_size()
                )
            frames = {name: getattr(self, name) for name in export.TABLES if name != "tests"}
            if tests is not None:
                frames["tests"] = tests.result()
            for path in export.stale_files(folder, frames, tables):
                path.unlink()
            notes = [SYNTHETIC_NOTE] if self.synthetic else []
            written.update(export.write_tables(folder, frames, tables, notes))
            drawn = job.finish(progress) if job is not None else Figures()
        written.update(drawn.paths)
        written["report"] = write_report(self, folder / "report.html", drawn.images)
        written["manifest"] = output.write_json(
            folder / "manifest.json", self.manifest() | {"table_formats": list(tables)}
        )
        return written
