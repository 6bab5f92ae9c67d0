"""A study run's result with its tests and second-stage tables, computed on demand.

:class:`RunResult` is a :class:`~eventstudy.measures.record.StudyRecord` whose
``tests()``, ``volatility()``, ``regressions()`` and placebo tables are computed when
first asked for (and kept), and which renders as a summary in a terminal or notebook.
The public :class:`~eventstudy.outputs.result.StudyResult` adds figures and saving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.measures.record import StudyRecord
from eventstudy.pipeline.summary import Summary, summarise

__all__ = ["RunResult"]

if TYPE_CHECKING:
    from eventstudy.measures.regression import RegressionResult
    from eventstudy.pipeline.placebo_dates import SameDatePlacebos


class RunResult(StudyRecord):
    """A study run with its tests, placebo, volatility and regression tables (each once)."""

    def tests(self) -> pd.DataFrame:
        """The ``tests.csv`` table: every test x group x CAR window (computed once).

        Groups are ``all``, ``event:<id>``, ``category:<name>`` and ``ticker:<T>``; the
        tests are those chosen at run time (``tests=`` / ``--tests``; default: the
        standard set of :data:`eventstudy.inference.DEFAULT_TESTS`). See
        :mod:`eventstudy.pipeline.study_tests` for the columns; the last, ``validity``,
        marks each row ``recommended``, ``valid`` or ``not valid`` for the study's
        design (:func:`eventstudy.measures.design.validity`).
        """
        if "tests" not in self._tests_cache:
            from concurrent.futures import ThreadPoolExecutor

            from eventstudy.measures.design import study_design, validity
            from eventstudy.pipeline.study_tests import study_tests

            # the same-date placebo study runs beside the study's own tests (numpy
            # releases the GIL in array work: the second core is not left idle)
            with ThreadPoolExecutor(max_workers=1) as background:
                placebo = background.submit(self.placebo_dates)
                table = study_tests(self, self.test_names)
                same_date = placebo.result()
            if same_date is not None:  # the placebo p-value of each event: group
                table["p_placebo"] = same_date.p_values(table, self.study)
            table["validity"] = validity(table, study_design(self.models))
            self._tests_cache["tests"] = table
        return self._tests_cache["tests"]

    def placebo_dates(self) -> SameDatePlacebos | None:
        """The same-date placebo studies' tests (:mod:`eventstudy.pipeline.placebo_dates`), once.

        None unless the run has a placebo study, tests, and events of several securities.
        """
        if self.placebo is None:
            return None
        if "placebo_dates" not in self._tests_cache:
            from eventstudy.pipeline.placebo_dates import run_same_date

            s = self.study.study
            self._tests_cache["placebo_dates"] = run_same_date(self, s.placebo, s.placebo_seed)
        return self._tests_cache["placebo_dates"]

    def placebo_size(self) -> pd.DataFrame:
        """``placebo_size.csv`` (:meth:`eventstudy.measures.placebo.Placebo.size`), computed once.

        Only for a run with a placebo study (:attr:`placebo` not None).
        """
        if "placebo_size" not in self._tests_cache:
            assert self.placebo is not None
            self._tests_cache["placebo_size"] = self.placebo.size()
        return self._tests_cache["placebo_size"]

    def characteristics(self) -> pd.DataFrame | None:
        """The study's ``characteristics`` file (:mod:`eventstudy.measures.regression_data`), or
        None."""
        from eventstudy.measures.regression_data import study_characteristics

        return study_characteristics(self)

    def regress(
        self,
        formula: str,
        window: tuple[int, int] = (0, 1),
        cov: str = "HC1",
        weights: str | None = None,
        data: pd.DataFrame | None = None,
        placebo: bool = False,
    ) -> RegressionResult:
        """Regress one window's CARs on characteristics
        (:func:`eventstudy.measures.regression.regress`).

        ``result.regress("car ~ beta + C(category)", window=(0, 1), cov="cluster:day0")``;
        ``data`` is a characteristics table (default: the study's ``characteristics``).
        """
        from eventstudy.measures.regression import regress

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

            from eventstudy.measures.regression import NotEstimableError, RegressionLeftOutWarning

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
        :data:`eventstudy.outputs.export.OPTIONAL_TABLES` for every name. :meth:`save` writes
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
            from eventstudy.measures.regression import REGRESSION_COLUMNS

            frames = [r.to_frame() for r in self.regressions()]
            tables["regression"] = (
                pd.concat(frames, ignore_index=True)[REGRESSION_COLUMNS]
                if frames
                else pd.DataFrame(columns=REGRESSION_COLUMNS)
            )
        return tables

    def volatility(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``abnormal_volatility.csv`` and ``avol.csv`` (:mod:`eventstudy.measures.volatility`),
        once."""
        if "volatility" not in self._tests_cache:
            from eventstudy.measures.volatility import volatility_tables

            self._tests_cache["volatility"] = volatility_tables(self)
        return self._tests_cache["volatility"]

    def summary(self, window: tuple[int, int] | None = None) -> Summary:
        """Summary of the run and the CARs of one window (:mod:`eventstudy.pipeline.summary`).

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
