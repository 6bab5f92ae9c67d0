"""Results of an intraday run: the tables in bar terms, and a summary (plain data).

The tables are those of a daily run (:mod:`eventstudy.models.estimation`), with the
intraday names of the output contract: ``rel_bar`` and ``timestamp`` (the bar's start,
ISO 8601 in the exchange's time with its UTC offset) in place of ``rel_day`` and
``date`` in ``abnormal_returns.csv``, plus ``overnight``; ``bar0`` in place of ``day0``
and ``n_bars`` in place of ``n_days`` in ``car.csv``, plus ``car_p_tod`` and ``n_tod``
(:mod:`eventstudy.intraday.tod`); ``est_start`` and ``est_end`` in ``models.csv`` are
bar timestamps, and ``interval`` and ``session`` are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.intraday.sources import BarTable
    from eventstudy.models.estimation import Estimates
    from eventstudy.sessions.calendar import Alignment


@dataclass(frozen=True)
class IntradayRecord:
    """Everything an intraday run produced (the intraday twin of
    :class:`~eventstudy.outputs.result.StudyResult`); ``IntradayResult`` also saves.

    Attributes
    ----------
    study, event_ids, alignments
        The study, the events run and bar 0 of every pair
        (:class:`~eventstudy.intraday.bar0.BarAlignment`).
    abnormal_returns, car, models, skipped
        The tables (see the module docstring).
    prices
        The bars used (:class:`~eventstudy.intraday.sources.BarTable`).
    off_grid
        Per ticker, closes left out because they start no bar of the session grid
        (extended-hours bars with ``session: regular``, or off-clock timestamps).
    estimates
        The fitted groups (for inference).
    test_names
        The tests :meth:`tests` runs (empty: none).
    started, finished
        UTC times of the run.
    """

    study: StudySpec
    event_ids: list[str]
    alignments: list[Alignment]
    abnormal_returns: pd.DataFrame
    car: pd.DataFrame
    models: pd.DataFrame
    skipped: pd.DataFrame
    prices: BarTable
    off_grid: dict[str, int]
    started: datetime
    finished: datetime
    estimates: list[Estimates] = field(default_factory=list, repr=False)
    test_names: tuple[str, ...] | None = None
    _tests_cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    long_horizon = None
    """Long horizons are a daily-study feature (:mod:`eventstudy.pipeline.study_tests` asks)."""
    volume = None
    """No volume measure on bars (main's :mod:`eventstudy.pipeline.study_tests` asks for it)."""

    def tests(self) -> pd.DataFrame:
        """The ``tests.csv`` table of the daily engine
        (:func:`eventstudy.pipeline.study_tests.study_tests`)
        over the intraday pairs and CAR windows in bars (computed once).

        The parametric tests use one residual variance for every bar of a pair, as
        ``car_t`` does; where bar 0 is an overnight bar prefer ``car_p_tod``.
        """
        if "tests" not in self._tests_cache:
            from eventstudy.pipeline.study_tests import study_tests

            self._tests_cache["tests"] = study_tests(self, self.test_names)  # type: ignore[arg-type]
        return self._tests_cache["tests"]

    @property
    def synthetic(self) -> bool:
        """True when the bars are synthetic (demo)."""
        return bool(self.prices.synthetic)

    def alignment(self) -> pd.DataFrame:
        """Bar 0 of every pair and why, as a table."""
        return pd.DataFrame([a.to_dict() for a in self.alignments])

    def summary_text(self) -> str:
        """Plain-text summary: the study, then every pair's CARs with t, p and ``car_p_tod``."""
        s = self.study.study
        lines = [
            f"Study {s.name}: {len(self.event_ids)} events, interval {s.interval}, "
            f"session {s.session}, model {s.model}, prices {self.prices.source}",
        ]
        if self.synthetic:
            lines.append(SYNTHETIC_NOTE)
        lines.append(
            f"{'event':<22} {'ticker':<8} {'bar 0':<26} {'window':<10} "
            f"{'CAR %':>8} {'t':>7} {'p':>7} {'p_tod':>7} {'n_tod':>5}"
        )
        for row in self.car.itertuples(index=False):
            window = f"[{row.window_start}, {row.window_end}]"
            lines.append(
                f"{row.event_id:<22} {row.ticker:<8} {row.bar0:<26} {window:<10} "
                f"{row.car * 100:>8.3f} {row.car_t:>7.2f} {row.car_p:>7.4f} "
                f"{row.car_p_tod:>7.4f} {row.n_tod:>5}"
            )
        for row in self.skipped.itertuples(index=False):
            lines.append(f"skipped {row.event_id} {row.ticker}: {row.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary_text()

    def _repr_html_(self) -> str:
        """In a notebook: the study line and the CAR table."""
        from html import escape

        head = escape(self.summary_text().splitlines()[0])
        return f"<p>{head}</p>" + self.car.to_html(index=False, float_format="{:.4g}".format)

    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: as for a daily run, plus interval, session and off-grid counts."""
        from eventstudy.outputs.saving import manifest

        record = manifest(self)  # type: ignore[arg-type]
        record["interval"] = self.study.study.interval
        record["session"] = self.study.study.session
        record["data"]["off_grid"] = dict(sorted(self.off_grid.items()))
        return record
