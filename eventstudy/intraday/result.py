"""Results of an intraday run: the tables in bar terms, a summary, and saving them.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.sessions.calendar import Alignment
    from eventstudy.events.config import Study
    from eventstudy.models.estimation import Estimates, Stacked
    from eventstudy.intraday.sources import BarTable
    from eventstudy.intraday.tod import BarClock
    from eventstudy.sessions.pairs import Pair

RENAMED_AR = {"rel_day": "rel_bar", "date": "timestamp"}
RENAMED_CAR = {"day0": "bar0", "n_days": "n_bars"}


def _iso_local(utc: np.ndarray, zones: np.ndarray) -> list[str]:
    """ISO 8601 local times (with offset) of UTC instants, each in its own zone."""
    out = [""] * len(utc)
    stamps = pd.DatetimeIndex(utc.astype("M8[ns]")).tz_localize("UTC")
    for zone in dict.fromkeys(zones.tolist()):
        rows = np.flatnonzero(zones == zone)
        for r, t in zip(rows, stamps[rows].tz_convert(zone), strict=True):
            out[r] = t.isoformat()
    return out


def intraday_tables(
    groups: list[Estimates], pairs: list[Pair], study: Study, clocks: list[BarClock],
    full: list[Stacked],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The ``abnormal_returns``, ``car`` and ``models`` tables of an intraday run."""
    from eventstudy.sessions.calendar import get_calendar
    from eventstudy.models.estimation import tables
    from eventstudy.intraday.run import tod_columns
    from eventstudy.pipeline.pair_tables import ordered_tables

    settings = study.study
    ar, car, models = ordered_tables(groups, pairs, settings)
    keys = ["event_id", "ticker"]
    bars, tod, est = [], [], []
    for group, clock, data in zip(groups, clocks, full, strict=True):
        ids = [p.event_id for p in group.pairs]
        tickers = [p.ticker for p in group.pairs]
        zones = [str(get_calendar(p.alignment.exchange).tz) for p in group.pairs]
        evt = group.evt
        width = evt.stop - evt.start
        bars.append(
            pd.DataFrame(
                {
                    "event_id": np.repeat(ids, width), "ticker": np.repeat(tickers, width),
                    "rel_day": np.tile(
                        np.arange(group.event_window[0], group.event_window[1] + 1), len(ids)
                    ),
                    "utc": group.data.dates[:, evt].ravel(), "zone": np.repeat(zones, width),
                    "overnight": clock.overnight[:, evt].ravel(),
                }
            )
        )  # fmt: skip
        own_car = tables(group, settings.car_windows, [])[1]
        p, n = tod_columns(group, clock, data, settings.car_windows, own_car)
        tod.append(own_car[[*keys, "window_start", "window_end"]].assign(car_p_tod=p, n_tod=n))
        est_dates = group.data.dates[:, group.est]
        est.append(
            pd.DataFrame(
                {"event_id": ids, "ticker": tickers, "first": est_dates[:, 0],
                 "last": est_dates[:, -1], "zone": zones}
            )
        )  # fmt: skip
    if groups:
        where = pd.concat(bars, ignore_index=True)
        ar = ar.merge(where, on=[*keys, "rel_day"], how="left", validate="one_to_one")
        ar["date"] = _iso_local(ar.pop("utc").to_numpy(), ar.pop("zone").to_numpy())
        ar["overnight"] = ar.pop("overnight").astype(bool)
        car = car.merge(
            pd.concat(tod, ignore_index=True),
            on=[*keys, "window_start", "window_end"], how="left", validate="one_to_one",
        )  # fmt: skip
        bar0 = {(p.event_id, p.ticker): p.alignment.bar0.isoformat() for p in pairs}  # type: ignore[attr-defined]
        car["day0"] = [bar0[k] for k in zip(car["event_id"], car["ticker"], strict=True)]
        span = models[keys].merge(pd.concat(est, ignore_index=True), on=keys, how="left")
        zones = span["zone"].to_numpy()
        models["est_start"] = _iso_local(span["first"].to_numpy(), zones)
        models["est_end"] = _iso_local(span["last"].to_numpy(), zones)
    else:
        ar["overnight"] = pd.Series(dtype=bool)
        car["car_p_tod"] = pd.Series(dtype="float64")
        car["n_tod"] = pd.Series(dtype="int64")
    models["interval"] = settings.interval
    models["session"] = settings.session
    return ar.rename(columns=RENAMED_AR), car.rename(columns=RENAMED_CAR), models


@dataclass(frozen=True)
class IntradayResult:
    """Everything an intraday run produced (the intraday twin of
    :class:`~eventstudy.pipeline.results.StudyResult`).

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

    study: Study
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
        """The ``tests.csv`` table of the daily engine (:func:`eventstudy.pipeline.study_tests.study_tests`)
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

    def save(
        self,
        out: str | Path = "outputs",
        *,
        plots: bool = True,
        formats: tuple[str, ...] = ("png",),
        tables: tuple[str, ...] = ("csv",),
        **_: Any,
    ) -> dict[str, Path]:
        """Write the tables, figures, ``report.html`` and ``manifest.json`` into ``out/<name>/``.

        Intraday runs write CSV tables and PNG figures: other ``formats`` and ``tables``
        (``svg``, ``parquet``, ``xlsx``) are not written, with a warning; the daily
        ``figures`` and ``progress`` options are accepted and have no effect.
        """
        from eventstudy.intraday.saving import save_intraday

        extra = [f for f in (*formats, *tables) if f not in ("png", "csv")]
        if extra:
            import warnings

            warnings.warn(
                f"{', '.join(extra)} not written for an intraday run (CSV tables, PNG figures)",
                UserWarning,
                stacklevel=2,
            )

        return save_intraday(self, Path(out), plots=plots)
