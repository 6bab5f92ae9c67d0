"""Results of a study run: tables, a summary, figures and saving to disk.

:class:`StudyResult` holds the tables of the output contract as DataFrames shaped
like the CSV files (``abnormal_returns``, ``car``, ``models``, ``skipped``), renders
as a summary in a terminal or notebook, plots itself, and saves everything with
:meth:`StudyResult.save`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

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
    from eventstudy.long_horizon import LongHorizon
    from eventstudy.placebo import Placebo
    from eventstudy.placebo_dates import SameDatePlacebos
    from eventstudy.regression import RegressionResult
    from eventstudy.volume import VolumeMeasure

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
    long_horizon
        BHARs and calendar-time portfolios (``study.bhar_windows``;
        :mod:`eventstudy.long_horizon`), or None.
    volume
        The volume measure (``measures: [volume]``; :mod:`eventstudy.volume`), or None.
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
    long_horizon: LongHorizon | None = field(default=None, repr=False)
    volume: VolumeMeasure | None = field(default=None, repr=False)
    _tests_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def tests(self) -> pd.DataFrame:
        """The ``tests.csv`` table: every test x group x CAR window (computed once).

        Groups are ``all``, ``event:<id>``, ``category:<name>`` and ``ticker:<T>``; the
        tests are those chosen at run time (``tests=`` / ``--tests``; default: the
        standard set of :data:`eventstudy.inference.DEFAULT_TESTS`). See
        :mod:`eventstudy.study_tests` for the columns.
        """
        if "tests" not in self._tests_cache:
            from concurrent.futures import ThreadPoolExecutor

            from eventstudy.study_tests import study_tests

            # the same-date placebo study runs beside the study's own tests (numpy
            # releases the GIL in array work: the second core is not left idle)
            with ThreadPoolExecutor(max_workers=1) as background:
                placebo = background.submit(self.placebo_dates)
                table = study_tests(self, self.test_names)
                same_date = placebo.result()
            if same_date is not None:  # the placebo p-value of each event: group
                table["p_placebo"] = same_date.p_values(table, self.study)
            self._tests_cache["tests"] = table
        return self._tests_cache["tests"]

    def placebo_dates(self) -> SameDatePlacebos | None:
        """The same-date placebo studies' tests (:mod:`eventstudy.placebo_dates`), once.

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

    def characteristics(self) -> pd.DataFrame | None:
        """The study's ``characteristics`` file (:mod:`eventstudy.regression_data`), or None."""
        path = self.study.study.characteristics
        if path is None:
            return None
        if "characteristics" not in self._tests_cache:
            from eventstudy.regression_data import load_characteristics

            base = self.study.path.parent if self.study.path else None
            self._tests_cache["characteristics"] = load_characteristics(path, base)
        return self._tests_cache["characteristics"]

    def regress(
        self,
        formula: str,
        window: tuple[int, int] = (0, 1),
        cov: str = "HC1",
        weights: str | None = None,
        data: pd.DataFrame | None = None,
        placebo: bool = False,
    ) -> RegressionResult:
        """Regress one window's CARs on characteristics (:func:`eventstudy.regression.regress`).

        ``result.regress("car ~ beta + C(category)", window=(0, 1), cov="cluster:day0")``;
        ``data`` is a characteristics table (default: the study's ``characteristics``).
        """
        from eventstudy.regression import regress

        return regress(self, formula, window, cov, weights, data, placebo)

    def regressions(self) -> list[RegressionResult]:
        """The study's ``regressions`` (events file and ``--regress``), fitted once.

        A regression this run's pairs cannot estimate (too few pairs, or one cluster
        for a cluster-robust covariance: e.g. a run of one event with ``cov:
        cluster:day0``) is left out with a warning that names it and why; any other
        problem (an unknown variable, a bad formula) is an error.
        """
        if "regressions" not in self._tests_cache:
            import warnings

            from eventstudy.regression import NotEstimableError, RegressionLeftOutWarning

            fitted = []
            for r in self.study.study.regressions:
                try:
                    fitted.append(
                        self.regress(r.formula, r.window, r.cov, r.weights, placebo=r.placebo)
                    )
                except NotEstimableError as exc:
                    warnings.warn(
                        f"regression left out of this run: {exc}",
                        RegressionLeftOutWarning,
                        stacklevel=2,
                    )
            self._tests_cache["regressions"] = fitted
        return self._tests_cache["regressions"]

    def optional_tables(self) -> dict[str, pd.DataFrame]:
        """The tables of the optional analyses this run has, by file name (no suffix).

        ``placebo`` and ``placebo_size`` with a placebo study, ``abnormal_volatility``
        and ``avol`` when volatility is measured, ``bhar``, ``calendar_time`` and
        ``calendar_time_portfolio`` with ``bhar_windows``, ``regression`` with
        second-stage regressions; see
        :data:`eventstudy.export.OPTIONAL_TABLES` for every name. :meth:`save` writes
        each as ``<name>.csv`` (and Parquet / Excel on request).
        """
        tables: dict[str, pd.DataFrame] = {}
        if self.placebo is not None:
            tables["placebo"] = self.placebo.car
            tables["placebo_size"] = self.placebo_size()
        if self.volume is not None:
            tables["abnormal_volume"] = self.volume.abnormal_volume
            tables["cav"] = self.volume.cav
        if "volatility" in self.study.study.measures:
            tables["abnormal_volatility"], tables["avol"] = self.volatility()
        if self.long_horizon is not None:
            tables["bhar"] = self.long_horizon.bhar
            tables["calendar_time"] = self.long_horizon.calendar_time
            tables["calendar_time_portfolio"] = self.long_horizon.portfolio
        if self.study.study.regressions:
            from eventstudy.regression import REGRESSION_COLUMNS

            frames = [r.to_frame() for r in self.regressions()]
            tables["regression"] = (
                pd.concat(frames, ignore_index=True)[REGRESSION_COLUMNS]
                if frames
                else pd.DataFrame(columns=REGRESSION_COLUMNS)
            )
        return tables

    def volatility(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``abnormal_volatility.csv`` and ``avol.csv`` (:mod:`eventstudy.volatility`), once."""
        if "volatility" not in self._tests_cache:
            from eventstudy.volatility import volatility_tables

            self._tests_cache["volatility"] = volatility_tables(self)
        return self._tests_cache["volatility"]

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
        """What was run, on which data, with which software: ``manifest.json``.

        See :func:`eventstudy.saving.manifest`.
        """
        from eventstudy.saving import manifest

        return manifest(self)

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

        See :func:`eventstudy.saving.save` for the parameters and what is written.
        """
        from eventstudy.saving import save

        return save(
            self,
            out,
            plots=plots,
            figures=figures,
            formats=formats,
            progress=progress,
            tables=tables,
        )
