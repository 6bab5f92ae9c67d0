"""What a study run produced, as plain data: the tables of the output contract.

:class:`StudyRecord` holds the tables shaped like the CSV files (``abnormal_returns``,
``car``, ``models``, ``skipped``) and the fitted estimates; the measures and tests read
it. :class:`~eventstudy.pipeline.results.RunResult` computes the tests on demand, and
the public :class:`~eventstudy.outputs.result.StudyResult` draws and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.core.settings import events_frame

__all__ = ["AR_COLUMNS", "CAR_COLUMNS", "MODEL_COLUMNS", "StudyRecord", "computed_window"]

if TYPE_CHECKING:
    from eventstudy.core.prices import PriceTable
    from eventstudy.core.study import StudySpec
    from eventstudy.measures.long_horizon import LongHorizon
    from eventstudy.measures.placebo import Placebo
    from eventstudy.measures.volume import VolumeMeasure
    from eventstudy.models.estimation import Estimates
    from eventstudy.sessions.calendar import Alignment

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


def computed_window(study: StudySpec, window: tuple[int, int]) -> tuple[int, int]:
    """``window`` as ints if it is one of ``study.car_windows``.

    Raises
    ------
    EventStudyError
        For a window the run did not compute, listing those it did.
    """
    start, end = int(window[0]), int(window[1])
    windows = [(int(a), int(b)) for a, b in study.study.car_windows]
    if (start, end) not in windows:
        listed = ", ".join(f"[{a}, {b}]" for a, b in windows)
        raise EventStudyError(
            f"window [{start}, {end}] is not a CAR window of the study (car_windows: "
            f"{listed}): the run computed these only",
            field="window",
        )
    return start, end


@dataclass(frozen=True)
class StudyRecord:
    """Everything a study run produced: its tables, as plain data.

    :class:`~eventstudy.pipeline.results.RunResult` adds the tests and second-stage
    tables computed on demand, and the public :class:`~eventstudy.outputs.result.StudyResult`
    its figures and saving.

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
        The placebo study (``study.placebo``; :mod:`eventstudy.measures.placebo`), or None.
    long_horizon
        BHARs and calendar-time portfolios (``study.bhar_windows``;
        :mod:`eventstudy.measures.long_horizon`), or None.
    volume
        The volume measure (``measures: [volume]``; :mod:`eventstudy.measures.volume`), or None.
    started, finished
        UTC timestamps of the run.
    """

    study: StudySpec
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

    @property
    def events(self) -> pd.DataFrame:
        """The events run, one row per event: their fields and attributes.

        The attributes are the extra columns of an events table (or ``attributes:`` of
        a YAML event), one column each, for second-stage analysis (merge on
        ``event_id`` with :attr:`car`, which alone carries ``benchmark`` and ``model``).
        """
        frame = events_frame([self.study.event(e) for e in self.event_ids])
        return frame.drop(columns=["benchmark", "model"])

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
        """CAR rows of one window (one of ``study.car_windows``; another is an error)."""
        start, end = computed_window(self.study, (start, end))
        c = self.car
        return c[(c["window_start"] == start) & (c["window_end"] == end)].reset_index(drop=True)
