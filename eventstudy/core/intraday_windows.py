"""Default windows of an intraday study, per bar interval, and what intraday leaves out.

Windows count bars relative to bar 0 (the bar that holds the news,
:mod:`eventstudy.intraday.bar0`). The defaults aim at about four weeks of regular-session
estimation bars ending an hour or more before the news (so a leak in the last hour does
not enter the fit), an event window of an hour or two before to a few hours after, and
CAR windows of the news bar itself, the next few bars and the rest of the session.

=========  ==================  ============  ==================================  ========
interval   estimation_window   event_window  car_windows                         min est.
=========  ==================  ============  ==================================  ========
``1m``     [-1950, -60]        [-30, 60]     [0, 0], [0, 5], [0, 30], [0, 60]    1000
``5m``     [-1600, -80]        [-12, 24]     [0, 0], [0, 2], [0, 12]             800
``15m``    [-520, -26]         [-4, 8]       [0, 0], [0, 1], [0, 4]              250
``30m``    [-390, -13]         [-2, 6]       [0, 0], [0, 1], [0, 2]              200
``1h``     [-560, -14]         [-2, 7]       [0, 0], [0, 1], [0, 6]              280
=========  ==================  ============  ==================================  ========

Other events of the same security are masked out of the estimation window over
``mask_window`` bars around their bar 0; its default is the interval's event window
(a daily study's [-1, +1] would mask a quarter of an hour of 5-minute bars).

A regular New York session has 390 one-minute, 78 five-minute, 26 fifteen-minute, 13
thirty-minute and 7 hourly bars (the last one 15:30-16:00), so ``5m`` estimates on about
20 sessions, ``1h`` on about 80; ``1m`` on 5 sessions, because Yahoo serves one-minute
bars for the last 30 days only (:data:`eventstudy.intraday.yahoo.LOOKBACK`). With
``session: extended`` a session has more bars (192 five-minute bars from 04:00 to
20:00), so the same window spans fewer sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

INTRADAY_DEFAULTS: dict[str, dict[str, Any]] = {
    "1m": {
        "estimation_window": (-1950, -60),
        "event_window": (-30, 60),
        "mask_window": (-30, 60),
        "car_windows": [(0, 0), (0, 5), (0, 30), (0, 60)],
        "min_estimation_returns": 1000,
    },
    "5m": {
        "estimation_window": (-1600, -80),
        "event_window": (-12, 24),
        "mask_window": (-12, 24),
        "car_windows": [(0, 0), (0, 2), (0, 12)],
        "min_estimation_returns": 800,
    },
    "15m": {
        "estimation_window": (-520, -26),
        "event_window": (-4, 8),
        "mask_window": (-4, 8),
        "car_windows": [(0, 0), (0, 1), (0, 4)],
        "min_estimation_returns": 250,
    },
    "30m": {
        "estimation_window": (-390, -13),
        "event_window": (-2, 6),
        "mask_window": (-2, 6),
        "car_windows": [(0, 0), (0, 1), (0, 2)],
        "min_estimation_returns": 200,
    },
    "1h": {
        "estimation_window": (-560, -14),
        "event_window": (-2, 7),
        "mask_window": (-2, 7),
        "car_windows": [(0, 0), (0, 1), (0, 6)],
        "min_estimation_returns": 280,
    },
}
"""Windows an intraday study takes when its events file does not give them."""

INTRADAY_MODELS = ("market", "constant-mean", "market-adjusted")
"""The normal-return models an intraday study fits (bar returns on the benchmark's)."""


class IntradayChoices(Protocol):
    """The study settings that :func:`intraday_problems` reads (a ``StudySettings``)."""

    interval: str
    model: str
    bhar_windows: Sequence[Any]
    placebo: int | None
    regressions: Sequence[Any]
    measures: Sequence[str]
    factors: Sequence[str]
    factors_file: object
    returns: str


def intraday_problems(settings: IntradayChoices) -> list[str]:
    """What an intraday study asks for that intraday runs do not do (empty: fine).

    Daily-only features (long horizons, placebo dates, regressions, volume and
    volatility measures, factor and thin-trading models) are refused with a message
    instead of being ignored.
    """
    if settings.interval == "1d":
        return []
    problems = []
    if settings.model not in INTRADAY_MODELS:
        problems.append(
            f"model '{settings.model}' is not available for intraday bars "
            f"(interval {settings.interval}); choose {', '.join(INTRADAY_MODELS)}"
        )
    unsupported = {
        "bhar_windows": bool(settings.bhar_windows),
        "placebo": settings.placebo is not None,
        "regressions": bool(settings.regressions),
        "measures": settings.measures != ["return"],
        "factors": bool(settings.factors) or settings.factors_file is not None,
        "returns": settings.returns != "simple",
    }
    for key, used in unsupported.items():
        if used:
            problems.append(
                f"{key} is a daily-study key: not available with interval {settings.interval}"
            )
    return problems
