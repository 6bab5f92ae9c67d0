"""The tables of an intraday run in bar terms (the output contract's intraday names).

The tables are those of a daily run (:mod:`eventstudy.models.estimation`), with
``rel_bar`` and ``timestamp`` (the bar's start, ISO 8601 in the exchange's time with its
UTC offset) in place of ``rel_day`` and ``date`` in ``abnormal_returns.csv``, plus
``overnight``; ``bar0`` in place of ``day0`` and ``n_bars`` in place of ``n_days`` in
``car.csv``, plus ``car_p_tod`` and ``n_tod`` (:mod:`eventstudy.intraday.tod`);
``est_start`` and ``est_end`` in ``models.csv`` are bar timestamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.intraday.tod import tod_pvalues

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.intraday.tod import BarClock
    from eventstudy.models.estimation import Estimates, Stacked
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
    groups: list[Estimates], pairs: list[Pair], study: StudySpec, clocks: list[BarClock],
    full: list[Stacked],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The ``abnormal_returns``, ``car`` and ``models`` tables of an intraday run."""
    from eventstudy.models.tables import tables
    from eventstudy.pipeline.pair_tables import ordered_tables
    from eventstudy.sessions.calendar import get_calendar

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


def tod_columns(
    group: Estimates, clock: BarClock, full, windows: list[tuple[int, int]], car: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """``car_p_tod`` and ``n_tod`` of one group's rows of ``car`` (window-major, pair order)."""
    p_all, n_all = [], []
    for k, window in enumerate(windows):
        rows = slice(k * len(group.pairs), (k + 1) * len(group.pairs))
        values = car["car"].to_numpy(dtype="float64")[rows]
        p, n = tod_pvalues(
            group.fit, full, clock, group.estimation_window, window, values, group.masked
        )
        p_all.append(p)
        n_all.append(n)
    return np.concatenate(p_all), np.concatenate(n_all)
