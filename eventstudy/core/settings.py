"""The validated pieces of a study: its ``study:`` block and its events.

:class:`StudySettings` (what to measure for every event and how) and :class:`Event`
(one dated, where known timed, piece of news) are pydantic models with one-line
messages; :func:`eventstudy.events.problems.problems_from` turns pydantic's errors into
:class:`~eventstudy.core.errors.EventStudyError` objects naming the file, the event (or the
table's line and column) and the field. :mod:`eventstudy.events.config` assembles them into a
:class:`~eventstudy.core.study.StudySpec`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from eventstudy.core.calendar_dates import check_calendar_date
from eventstudy.core.default_windows import fitted_windows
from eventstudy.core.factors import FactorsFile

if TYPE_CHECKING:
    import pandas as pd

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
TICKER = re.compile(r"[A-Za-z0-9^][A-Za-z0-9.\-^=]*")
MAX_FILE_BYTES = 5_000_000
MAX_SLUG = 100
DEFAULT_NAME = "study"  # the name of a study given none (Study.from_frame)
MAX_TICKER = 32
ModelName = Literal[
    "constant-mean", "market-adjusted", "market", "factor", "scholes-williams", "dimson", "garch"
]
EventRole = Literal["study", "confounder"]
MeasureName = Literal["return", "volume", "volatility"]
CovType = Literal["nonrobust", "HC1", "cluster:day0", "cluster:ticker"]
WeightsName = Literal["inverse-variance"]
IntervalName = Literal["1d", "1h", "30m", "15m", "5m", "1m"]
SessionName = Literal["regular", "extended"]
INTRADAY_KEYS = ("interval", "session", "estimation_skip_overnight")
"""Study keys of intraday runs (:mod:`eventstudy.intraday`); left out of a daily dump."""
NO_SECURITIES = "study.securities is missing and an event names no securities of its own"


def check_slug(value: str) -> str:
    """Return ``value`` if it is a slug of at most :data:`MAX_SLUG` characters, else raise
    ``ValueError`` (the field's message)."""
    if not SLUG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a slug: use lower-case letters, digits and '-' "
            "(starting with a letter or digit)"
        )
    if len(value) > MAX_SLUG:  # it names a folder: keep it well under 255 bytes
        raise ValueError(f"'{value[:20]}...' is too long: at most {MAX_SLUG} characters")
    return value


def check_ticker(value: str) -> str:
    """Return ``value`` if it is a ticker symbol (at most :data:`MAX_TICKER` characters),
    else raise ``ValueError``."""
    if not TICKER.fullmatch(value):
        raise ValueError(f"{value!r} is not a ticker symbol")
    if len(value) > MAX_TICKER:  # it names a cache file
        raise ValueError(f"'{value[:20]}...' is too long for a ticker symbol")
    return value


def check_timezone(value: str) -> str:
    """Return ``value`` if it names an IANA time zone, else raise ``ValueError``."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{value}': use an IANA name such as America/New_York"
        ) from None
    return value


def clock_time(value: Any) -> Any:
    """A text ``HH:MM`` or ``HH:MM:SS`` as a :class:`datetime.time`; other values as given
    (a number raises ``ValueError``: it was written unquoted)."""
    if isinstance(value, int | float):
        raise ValueError('write the time as a quoted string, e.g. "16:30"')
    if isinstance(value, str):
        for fmt in ("%H:%M", "%H:%M:%S"):
            try:
                return datetime.strptime(value, fmt).time()  # noqa: DTZ007 - a clock time
            except ValueError:
                continue
        raise ValueError(f"'{value}' is not a clock time HH:MM (24-hour)")
    return value


def _window(value: tuple[int, int]) -> tuple[int, int]:
    if value[0] > value[1]:
        raise ValueError(f"window [{value[0]}, {value[1]}] is reversed: start must be <= end")
    return value


Slug = Annotated[str, AfterValidator(check_slug)]
Ticker = Annotated[str, AfterValidator(check_ticker)]
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
ClockTime = Annotated[time, BeforeValidator(clock_time)]
Window = Annotated[tuple[int, int], AfterValidator(_window)]


def _formula(value: str) -> str:
    lhs, tilde, rhs = value.partition("~")
    if not tilde or not lhs.strip() or not rhs.strip() or "~" in rhs:
        raise ValueError(f"'{value}' is not a formula 'car ~ x + C(category)'")
    return value


class RegressionSpec(BaseModel):
    """One entry of ``study.regressions`` (:func:`eventstudy.measures.regression.regress`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    formula: Annotated[str, AfterValidator(_formula)]
    window: Window = (0, 1)
    cov: CovType = "HC1"
    weights: WeightsName | None = None
    placebo: bool = False

    @model_validator(mode="before")
    @classmethod
    def _plain_formula(cls, value: Any) -> Any:
        return {"formula": value} if isinstance(value, str) else value


class StudySettings(BaseModel):
    """The ``study:`` block: what to measure for every event and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Slug = Field(description="Slug; the output folder's name.")
    title: str | None = Field(default=None, description="Human-readable title.")
    description: str | None = None
    securities: list[Ticker] = Field(
        default_factory=list,
        description="Default securities of every event (events may name their own).",
    )
    benchmark: Ticker = "SPY"
    benchmarks: dict[Ticker, Ticker] = Field(
        default_factory=dict, description="Per-security benchmark overrides."
    )
    model: ModelName = "market"
    factors: list[Ticker] = Field(
        default_factory=list, description="Extra factor tickers for the factor model."
    )
    factors_file: FactorsFile | None = Field(
        default=None, description="Factor returns from a CSV (e.g. Fama-French daily)."
    )
    dimson_lags: int = Field(default=1, ge=1, le=5)
    returns: Literal["simple", "trade-to-trade"] = "simple"
    mask_other_events: bool = True
    mask_window: Window = (-1, 1)
    estimation_window: Window = (-250, -11)
    event_window: Window = (-10, 10)
    car_windows: list[Window] = Field(
        default_factory=lambda: [(0, 0), (-1, 1), (0, 1), (-5, 5), (0, 10)], min_length=1
    )
    min_estimation_returns: int = Field(default=120, ge=3)
    timezone: TimeZoneName = "America/New_York"
    interval: IntervalName = Field(
        default="1d",
        description="Bar length: 1d (daily study) or an intraday interval (1h, 30m, 15m, "
        "5m, 1m), whose windows count bars around bar 0 (eventstudy.intraday).",
    )
    session: SessionName = Field(
        default="regular",
        description="Intraday bars of the regular session, or extended (pre- and "
        "post-market where the data has them).",
    )
    estimation_skip_overnight: bool = Field(
        default=True,
        description="Intraday: leave each session's first bar (it carries the overnight "
        "gap) out of the estimation window.",
    )
    placebo: int | None = Field(
        default=None,
        ge=1,
        description="Placebo day 0s per security (eventstudy.measures.placebo); default off.",
    )
    placebo_seed: int = Field(default=0, description="Seed of the placebo draws.")
    measures: list[MeasureName] = Field(
        default_factory=lambda: ["return"],
        min_length=1,
        description="What is measured around each event: return (always, added when "
        "not listed), volume (abnormal trading volume), volatility (Beaver's U).",
    )
    volume_model: Literal["mean-adjusted", "market"] = Field(
        default="mean-adjusted",
        description="Expected log volume of the volume measure (eventstudy.measures.volume): "
        "mean-adjusted (its estimation-window mean) or market (OLS on the benchmark's).",
    )

    regressions: list[RegressionSpec] = Field(
        default_factory=list,
        description="Second-stage regressions of CARs: formulas, or mappings with formula, "
        "window, cov, weights, placebo (eventstudy.measures.regression).",
    )
    characteristics: str | None = Field(
        default=None,
        description="CSV of characteristics for the regressions: ticker [, event_id | "
        "date], variables (relative to the events file).",
    )

    bhar_windows: list[Window] = Field(
        default_factory=list,
        description="Long-horizon windows in sessions from day 0, e.g. [[0, 20], [0, 250]]: "
        "BHARs, their tests and calendar-time portfolios (eventstudy.measures.long_horizon).",
    )
    bhar_benchmark: Ticker | None = Field(
        default=None, description="Benchmark of the BHARs (default: each pair's benchmark)."
    )
    min_portfolio: int = Field(
        default=1, ge=1, description="Securities a calendar-time portfolio needs on a day."
    )
    bhar_bootstrap: int = Field(
        default=1000, ge=100, description="Resamples of the skewness-adjusted t's bootstrap."
    )
    bhar_seed: int = Field(default=0, description="Seed of that bootstrap.")

    @model_validator(mode="before")
    @classmethod
    def _intraday_defaults(cls, value: Any) -> Any:
        """Windows left out take defaults: an interval's, or daily CAR windows that fit."""
        if not isinstance(value, dict) or value.get("interval", "1d") == "1d":
            return fitted_windows(value, cls)
        from eventstudy.core.intraday_windows import INTRADAY_DEFAULTS

        defaults = INTRADAY_DEFAULTS.get(value["interval"])
        if defaults is None:  # an unknown interval: the field's own message names it
            return value
        return {**defaults, **value}

    @field_validator("measures")
    @classmethod
    def _measures_once(cls, value: list[str]) -> list[str]:
        twice = sorted({m for m in value if value.count(m) > 1})
        if twice:
            raise ValueError(f"measure {', '.join(twice)} is listed twice")
        # every other measure builds on the return model: return is always measured
        return value if "return" in value else ["return", *value]

    @model_serializer(mode="wrap")
    def _daily_without_intraday_keys(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """A daily study's dump (``manifest.json``) leaves the intraday keys out, as before."""
        data = handler(self)
        if self.interval == "1d" and isinstance(data, dict):
            for key in INTRADAY_KEYS:
                data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _intraday_keys(self) -> StudySettings:
        if self.interval != "1d":
            from eventstudy.core.intraday_windows import intraday_problems

            problems = intraday_problems(self)
            if problems:
                raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _windows_fit(self) -> StudySettings:
        est, evt = self.estimation_window, self.event_window
        if est[1] >= evt[0]:
            raise ValueError(
                f"estimation_window {list(est)} overlaps or follows event_window {list(evt)}: "
                "it must end before the event window starts"
            )
        length = est[1] - est[0] + 1
        if self.min_estimation_returns > length:
            raise ValueError(
                f"min_estimation_returns ({self.min_estimation_returns}) exceeds the "
                f"estimation window's {length} days"
            )
        for w in self.car_windows:
            if w[0] < evt[0] or w[1] > evt[1]:
                raise ValueError(f"car window {list(w)} lies outside event_window {list(evt)}")
        windows = {tuple(w) for w in self.car_windows}
        for spec in self.regressions:
            if tuple(spec.window) not in windows:
                raise ValueError(
                    f"regression '{spec.formula}': window {list(spec.window)} is not one of "
                    "car_windows"
                )
        return self


class Event(BaseModel):
    """One dated (and, where known, timed) news event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    date: date
    time: ClockTime | None = None
    timezone: TimeZoneName | None = None
    title: str = Field(min_length=1)
    category: str | None = None
    source: str | None = None
    notes: str | None = None
    securities: list[Ticker] | None = Field(default=None, min_length=1)
    benchmark: Ticker | None = None
    model: ModelName | None = None
    role: EventRole = "study"
    attributes: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="Characteristics of the event for later analysis (the extra columns "
        "of an events table).",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, int | float) or (
            isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
        ):
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
        return check_calendar_date(value) if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _timezone_needs_time(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("time") is None and "time" in info.data:
            raise ValueError("timezone is given without a time")
        return value


EVENT_COLUMNS = [
    "event_id",
    "date",
    "time",
    "timezone",
    "title",
    "category",
    "role",
    "securities",
    "benchmark",
    "model",
    "source",
    "notes",
]
"""The first columns of :func:`events_frame`; each attribute follows as its own column."""


def events_frame(events: list[Event]) -> pd.DataFrame:
    """The events as a table: one row per event, attributes as extra columns.

    ``securities`` is the event's own list joined by ``;`` (empty: the study's), dates
    and times are ISO texts; an attribute an event lacks is missing.
    """
    import pandas as pd

    records = [
        {
            "event_id": e.id,
            "date": e.date.isoformat(),
            "time": e.time.strftime("%H:%M:%S") if e.time else None,
            "timezone": e.timezone,
            "title": e.title,
            "category": e.category,
            "role": e.role,
            "securities": ";".join(e.securities) if e.securities else None,
            "benchmark": e.benchmark,
            "model": e.model,
            "source": e.source,
            "notes": e.notes,
            **e.attributes,
        }
        for e in events
    ]
    return pd.DataFrame.from_records(records, columns=None if records else EVENT_COLUMNS)


def factor_names(settings: StudySettings) -> list[str]:
    """Names of the factor model's extra regressors: factor tickers, then file columns."""
    file_columns = settings.factors_file.columns if settings.factors_file else []
    return [*settings.factors, *file_columns]
