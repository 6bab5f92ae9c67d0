"""The study definition read from ``events.yaml``, validated.

The file has a ``study:`` block (what to measure and how) and an ``events:`` list
(what happened, when). :func:`load_study` parses it with a safe YAML loader, validates
it with pydantic and turns every problem into an :class:`~eventstudy.errors.EventStudyError`
that names the file, the event and the field.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from eventstudy.data.factors import FactorsFile
from eventstudy.errors import ConfigError, EventStudyError
from eventstudy.events_table import EventsTable, events_from_frame, is_table, read_events_table
from eventstudy.yamlsafe import load_yaml

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
TICKER = re.compile(r"[A-Za-z0-9^][A-Za-z0-9.\-^=]*")
MAX_FILE_BYTES = 5_000_000
MAX_SLUG = 100
MAX_TICKER = 32
ModelName = Literal[
    "constant-mean", "market-adjusted", "market", "factor", "scholes-williams", "dimson"
]
EventRole = Literal["study", "confounder"]
_NO_SECURITIES = "study.securities is missing and an event names no securities of its own"


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a slug: use lower-case letters, digits and '-' "
            "(starting with a letter or digit)"
        )
    if len(value) > MAX_SLUG:  # it names a folder: keep it well under 255 bytes
        raise ValueError(f"'{value[:20]}...' is too long: at most {MAX_SLUG} characters")
    return value


def _ticker(value: str) -> str:
    if not TICKER.fullmatch(value):
        raise ValueError(f"{value!r} is not a ticker symbol")
    if len(value) > MAX_TICKER:  # it names a cache file
        raise ValueError(f"'{value[:20]}...' is too long for a ticker symbol")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{value}': use an IANA name such as America/New_York"
        ) from None
    return value


def _clock_time(value: Any) -> Any:
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


Slug = Annotated[str, AfterValidator(_slug)]
Ticker = Annotated[str, AfterValidator(_ticker)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Window = Annotated[tuple[int, int], AfterValidator(_window)]


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
            isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
        ):
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_needs_time(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("time") is None and "time" in info.data:
            raise ValueError("timezone is given without a time")
        return value


class Study(BaseModel):
    """A whole events file: the study settings and its events.

    Use :func:`load_study` to read one; :meth:`run` runs it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    study: StudySettings
    events: list[Event] = Field(min_length=1)
    path: Path | None = Field(default=None, exclude=True)
    events_table: str | None = Field(default=None, exclude=True)
    """The events table the events were read from (a path, or ``<DataFrame>``)."""
    event_attributes: tuple[str, ...] = Field(default=(), exclude=True)
    """The extra columns of the events table kept as event attributes."""
    _by_id: tuple[list[Event], dict[str, Event]] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _every_event_has_securities(self) -> Study:
        if not self.study.securities and any(not e.securities for e in self.events):
            raise ValueError(_NO_SECURITIES)
        return self

    @model_validator(mode="after")
    def _factor_model_has_factors(self) -> Study:
        uses = self.study.model == "factor" or any(e.model == "factor" for e in self.events)
        if uses and not factor_names(self.study):
            raise ValueError("the factor model needs study.factors (tickers) or study.factors_file")
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> Study:
        seen: set[str] = set()
        for event in self.events:
            if event.id in seen:
                raise ValueError(f"duplicate event id '{event.id}'")
            seen.add(event.id)
        return self

    @property
    def settings(self) -> StudySettings:
        """Alias of :attr:`study`, the ``study:`` block."""
        return self.study

    @classmethod
    def from_frame(cls, events: Any, **settings: Any) -> Study:
        """A study of the events in a DataFrame (one row per event).

        Parameters
        ----------
        events
            A pandas DataFrame with the columns of an events table (``date``; ``ticker``
            or ``securities``; optional ``id``, ``time``, ``title``, ``category`` ...;
            any other column is kept as an event attribute). See
            :mod:`eventstudy.events_table`.
        **settings
            The ``study:`` keys (``name``, default ``"study"``; ``securities``,
            ``benchmark``, ``model``, ``estimation_window``, ``event_window``,
            ``car_windows``, ...).

        Raises
        ------
        ConfigError
            Listing every problem, each naming the row and the column (or the setting).

        Examples
        --------
        >>> events = pd.DataFrame({"ticker": ["NVDA"], "date": ["2025-01-27"]})  # doctest: +SKIP
        >>> study = es.Study.from_frame(events, benchmark="SPY")                 # doctest: +SKIP
        """
        table = events_from_frame(events, file="<events DataFrame>")
        raw = {"study": {"name": "study", **settings}}
        return parse_study(raw, "<events DataFrame>", table=table)

    def with_settings(self, **settings: Any) -> Study:
        """A copy with some ``study:`` keys replaced (``name``, ``benchmark``, ...), validated.

        Raises
        ------
        ConfigError
            If a value does not validate (naming the key).
        """
        raw = self.study.model_dump() | settings
        try:
            updated = StudySettings.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_problems_from(exc, {}, str(self.path or "<study>"))) from None
        return self.model_copy(update={"study": updated})

    def event(self, event_id: str) -> Event:
        """Return the event with this id."""
        cached = self._by_id  # built once per events list: a study may have 100,000 events
        if cached is None or cached[0] is not self.events:
            cached = self._by_id = (self.events, {e.id: e for e in self.events})
        index = cached[1]
        if event_id in index:
            return index[event_id]
        from eventstudy.errors import UnknownEventError

        known = ", ".join(e.id for e in self.events[:20])
        more = f" and {len(self.events) - 20} more" if len(self.events) > 20 else ""
        raise UnknownEventError(
            f"no event with id '{event_id}' (known: {known}{more})",
            file=self.path,
            field="--event",
        )

    def securities_for(self, event: Event) -> list[str]:
        """Securities studied for ``event`` (its own list, else the study's)."""
        return list(event.securities or self.study.securities)

    def benchmark_for(self, event: Event, ticker: str | None = None) -> str:
        """Benchmark of ``ticker`` in ``event``.

        The event's own benchmark, else the study's per-security ``benchmarks`` entry,
        else the study's ``benchmark``.
        """
        if event.benchmark:
            return event.benchmark
        return self.study.benchmarks.get(ticker or "", self.study.benchmark)

    def model_for(self, event: Event) -> str:
        """Return model of ``event`` (its own, else the study's)."""
        return event.model or self.study.model

    def timezone_for(self, event: Event) -> str:
        """Time zone the event's clock time is read in."""
        return event.timezone or self.study.timezone

    def with_model(self, model: str) -> Study:
        """A copy that uses ``model`` for every event (per-event choices dropped)."""
        from typing import get_args

        if model not in get_args(ModelName):
            raise EventStudyError(
                f"unknown model '{model}' (choose from {', '.join(get_args(ModelName))})",
                field="--model",
            )
        if model == "factor" and not factor_names(self.study):
            raise EventStudyError(
                "the factor model needs study.factors (tickers) or study.factors_file "
                "in the events file",
                file=self.path,
                field="--model",
            )
        settings = self.study.model_copy(update={"model": model})
        events = [e.model_copy(update={"model": None}) for e in self.events]
        return self.model_copy(update={"study": settings, "events": events})

    def select(self, event_ids: list[str] | None) -> list[Event]:
        """The events named in ``event_ids``, in file order.

        Without ids: every event whose ``role`` is ``study``; confounders (e.g. earnings
        dates) are only used to mask and flag, unless named explicitly.
        """
        if not event_ids:
            return [e for e in self.events if e.role == "study"]
        wanted = {self.event(i).id for i in event_ids}
        return [e for e in self.events if e.id in wanted]

    def run(self, **kwargs: Any) -> Any:
        """Run the study; see :func:`eventstudy.study.run_study` for the arguments."""
        from eventstudy.study import run_study

        return run_study(self, **kwargs)


def _event_id_at(raw: Any, index: int) -> str | None:
    try:
        value = raw["events"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, str) else f"#{index + 1}"


def _message(err: Any) -> str:
    """A pydantic error's message in the toolkit's words."""
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "too_short" and (err.get("ctx") or {}).get("actual_length") == 0:
        return "must not be empty"
    return err["msg"].removeprefix("Value error, ")


def _problems_from(
    exc: ValidationError, raw: Any, file: str, table: EventsTable | None = None
) -> list[EventStudyError]:
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        message = _message(err)
        if message == _NO_SECURITIES:
            message = "required field is missing (in study:, or on every event)"
            problems.append(EventStudyError(message, file=file, field="securities"))
            continue
        event_id = None
        if len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
            if table is not None:  # a row of an events table: name its line and column
                field = ".".join(str(p) for p in loc[2:3])
                problems.append(table.problem(loc[1], field, message))
                continue
            event_id = _event_id_at(raw, loc[1]) or f"#{loc[1] + 1}"
            loc = loc[2:]
        elif loc and loc[0] == "study":
            loc = loc[1:] or ["study"]
        field = ".".join(str(p) for p in loc if not str(p).startswith("function-")) or None
        problems.append(EventStudyError(message, file=file, event_id=event_id, field=field))
    # A misspelled key is usually the cause of the other problems (a "missing" field):
    # name it first, since the command line shows only the first problem.
    return sorted(problems, key=lambda p: not p.message.startswith("unknown key"))


def parse_study(
    raw: Any, file: str = "<events>", base: Path | None = None, table: EventsTable | None = None
) -> Study:
    """Validate an already-parsed events document.

    Parameters
    ----------
    raw
        The document: ``{"study": {...}, "events": [...]}``. ``events`` may also be the
        path of a CSV or Parquet events table (:mod:`eventstudy.events_table`), relative
        to ``base``.
    file
        How messages name the document.
    base
        The folder relative paths are read from (default: the working directory).
    table
        Events already read from a table (``raw["events"]`` is then ignored).

    Raises
    ------
    ConfigError
        Listing every problem found, each naming file, event and field (for a table:
        file, line and column).
    """
    if not isinstance(raw, dict):
        raise ConfigError(
            [
                EventStudyError(
                    "expected a mapping with 'study:' and 'events:' at the top", file=file
                )
            ]
        )
    if table is None and isinstance(raw.get("events"), str):
        where = Path(raw["events"])
        path = where if where.is_absolute() or base is None else base / where
        if not is_table(path):
            raise ConfigError(
                [
                    EventStudyError(
                        f"'{raw['events']}' is not an events table: use a .csv or .parquet "
                        "file, or list the events here",
                        file=file,
                        field="events",
                    )
                ]
            )
        table = read_events_table(path)
    if table is None:
        try:
            return Study.model_validate(raw)
        except ValidationError as exc:
            problems = _problems_from(exc, raw, file)
        # A model-level check (duplicate ids) only runs once every field is valid: report
        # duplicates now as well, so one pass of `validate` lists everything.
        known = {p.message for p in problems}
        problems += [p for p in _duplicate_ids(raw, file) if p.message not in known]
        raise ConfigError(problems)
    return _parse_with_table(raw, file, table)


def _parse_with_table(raw: dict[str, Any], file: str, table: EventsTable) -> Study:
    """:func:`parse_study` of a study whose events come from ``table``."""
    raw = {**raw, "events": table.events}
    problems = list(table.problems)  # repeated ids: the model check would name no line
    study_block = raw.get("study")
    if isinstance(study_block, dict) and not study_block.get("securities"):
        problems += table.without_securities()
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        found = _problems_from(exc, raw, file, table)
        problems += [
            p
            for p in found
            if not (problems and p.location is None and p.field in ("securities", None))
        ]
    if problems:
        problems.sort(key=lambda p: _line_number(p.location))
        raise ConfigError(problems)
    return study.model_copy(
        update={"events_table": table.file, "event_attributes": tuple(table.attributes)}
    )


def _line_number(location: str | None) -> int:
    """Sort key: problems of the study block first, then by line or row."""
    return int(location.split()[-1]) if location else 0


def _duplicate_ids(raw: dict[str, Any], file: str) -> list[EventStudyError]:
    events = raw.get("events")
    if not isinstance(events, list):
        return []
    ids = Counter(
        e.get("id") for e in events if isinstance(e, dict) and isinstance(e.get("id"), str)
    )
    return [
        EventStudyError(f"duplicate event id '{i}'", file=file, field="events")
        for i in sorted(i for i, n in ids.items() if n > 1)
    ]


def load_study(path: str | Path = "events.yaml") -> Study:
    """Read and validate an events file.

    Parameters
    ----------
    path
        The YAML file (default ``events.yaml`` in the working directory), or an events
        table alone (``.csv``, ``.parquet``: one row per event, see
        :mod:`eventstudy.events_table`), run with the default study settings and named
        after the file.

    Returns
    -------
    Study
        The validated study; ``study.run(source="demo")`` runs it.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not YAML, or does not validate. The message
        names the file, the event and the field of the first problem;
        ``exc.problems`` holds all of them.
    """
    path = Path(path)
    file = str(path)
    if is_table(path):
        table = read_events_table(path)
        study = parse_study({"study": {"name": _name_from(path)}}, file, table=table)
        return study.model_copy(update={"path": path})

    def fail(message: str) -> ConfigError:
        return ConfigError([EventStudyError(message, file=file)])

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    if path.is_dir():
        raise fail("is a folder, not an events file")
    if size > MAX_FILE_BYTES:
        raise fail(f"file is {size:,} bytes; an events file may be at most {MAX_FILE_BYTES:,}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise fail(
            f"line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    try:
        raw = load_yaml(text)
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise fail(f"not valid YAML{where}: {problem}") from None
    study = parse_study(raw, file, base=path.parent)
    return study.model_copy(update={"path": path})


def _name_from(path: Path) -> str:
    """A study name (slug) from a file name: ``Earnings 2024.csv`` -> ``earnings-2024``."""
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:MAX_SLUG].strip("-")
    return name or "study"


def factor_names(settings: StudySettings) -> list[str]:
    """Names of the factor model's extra regressors: factor tickers, then file columns."""
    file_columns = settings.factors_file.columns if settings.factors_file else []
    return [*settings.factors, *file_columns]
