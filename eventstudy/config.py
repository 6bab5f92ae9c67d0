"""The study definition read from ``events.yaml``, validated.

The file has a ``study:`` block (what to measure and how) and an ``events:`` list
(what happened, when). :func:`load_study` parses it with a safe YAML loader, validates
it with pydantic and turns every problem into an :class:`~eventstudy.errors.EventStudyError`
that names the file, the event and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from eventstudy.errors import ConfigError, EventStudyError
from eventstudy.events_table import EventsTable, events_from_frame, is_table, read_events_table
from eventstudy.problems import duplicate_ids, problems_from
from eventstudy.settings import (
    MAX_SLUG,
    NO_SECURITIES,
    Event,
    ModelName,
    StudySettings,
    factor_names,
)
from eventstudy.yamlsafe import load_yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd
    from distributed import Client

    from eventstudy.data import PriceSource
    from eventstudy.distributed import DaskStudyResult
    from eventstudy.results import StudyResult

MAX_FILE_BYTES = 5_000_000
__all__ = ["Event", "Study", "StudySettings", "factor_names", "load_study", "parse_study"]


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
    isolated_events: bool = Field(default=False, exclude=True)
    """True: study events (``role: study``) neither mask nor flag one another; only
    confounders do (a placebo study's many hypothetical dates, :mod:`eventstudy.placebo`)."""
    _by_id: tuple[list[Event], dict[str, Event]] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _every_event_has_securities(self) -> Study:
        if not self.study.securities and any(not e.securities for e in self.events):
            raise ValueError(NO_SECURITIES)
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

    def run(
        self,
        *,
        source: str | PriceSource | None = None,
        prices: str | Path | pd.DataFrame | None = None,
        event_ids: list[str] | None = None,
        tests: str | Sequence[str] | None = None,
        engine: str = "local",
        client: Client | None = None,
        scheduler: str | None = None,
        cache_dir: str | Path | None = None,
        offline: bool = False,
        refresh: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        out: str | Path = "outputs",
        partition_pairs: int | None = None,
    ) -> StudyResult | DaskStudyResult:
        """Run the study and return its :class:`~eventstudy.results.StudyResult`.

        Parameters
        ----------
        source
            ``"yahoo"``, ``"csv"``, ``"parquet"``, ``"frame"`` or ``"demo"``, or a
            :class:`~eventstudy.data.PriceSource`; default: the source of ``prices``
            (a DataFrame: ``frame``; a path ending in ``.parquet``: ``parquet``;
            another path: ``csv``), else ``"yahoo"``.
        prices
            A prices file or folder, or a DataFrame (wide: a DatetimeIndex or ``date``
            column and one column per ticker; long: ``date, ticker, adj_close[,
            volume]``), checked like a CSV file; for ``source="parquet"`` a long
            Parquet file, folder or URL (:mod:`eventstudy.data.parquet`).
        event_ids
            Run only these events (default: every study event).
        tests
            Tests for ``tests.csv``: names, ``"all"`` or ``"none"`` (default: the
            standard set).
        engine, client, scheduler
            ``"local"`` (default) or ``"dask"`` with a ``distributed.Client`` or a
            scheduler address.
        cache_dir, offline, refresh, progress
            Options of the yahoo source (cache folder, no network, download again, a
            ``progress(ticker, i, n)`` callback).
        out, partition_pairs
            For ``engine="dask"``: where the tasks write the partitioned tables, and
            the pairs per partition (:mod:`eventstudy.distributed`).

        Examples
        --------
        >>> result = study.run(source="demo")          # doctest: +SKIP
        >>> result = study.run(prices=prices_df)       # doctest: +SKIP

        See :func:`eventstudy.study.run_study`, which this calls.
        """
        from eventstudy.study import run_study

        return run_study(
            self,
            source=source,
            prices=prices,
            event_ids=event_ids,
            tests=tests,
            engine=engine,
            client=client,
            scheduler=scheduler,
            cache_dir=cache_dir,
            offline=offline,
            refresh=refresh,
            progress=progress,
            out=out,
            partition_pairs=partition_pairs,
        )


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
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "not found"
            raise ConfigError(
                [EventStudyError(f"events table {path} {what}", file=file, field="events")]
            )
        table = read_events_table(path)
    if table is None:
        try:
            return Study.model_validate(raw)
        except ValidationError as exc:
            problems = problems_from(exc, raw, file)
        # A model-level check (duplicate ids) only runs once every field is valid: report
        # duplicates now as well, so one pass of `validate` lists everything.
        known = {p.message for p in problems}
        problems += [p for p in duplicate_ids(raw, file) if p.message not in known]
        raise ConfigError(problems)
    return _parse_with_table(raw, file, table)


def _parse_with_table(raw: dict[str, Any], file: str, table: EventsTable) -> Study:
    """:func:`parse_study` of a study whose events come from ``table``."""
    from eventstudy.table_events import table_events

    raw = {**raw, "events": table_events(table)}  # Events, and mappings of rows that fail
    problems = list(table.problems)  # repeated ids: the model check would name no line
    study_block = raw.get("study")
    if isinstance(study_block, dict) and not study_block.get("securities"):
        problems += table.without_securities()
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        # the table named repeated ids and rows without securities line by line: the
        # study-level versions of those two checks would only repeat them
        reported = {"securities"} if problems else set()
        problems += [
            p
            for p in problems_from(exc, raw, file, table)
            if not (p.location is None and (p.field in reported or _repeats_ids(p, table)))
        ]
    if problems:
        problems.sort(key=lambda p: _line_number(p.location))
        raise ConfigError(problems)
    return study.model_copy(
        update={"events_table": table.file, "event_attributes": tuple(table.attributes)}
    )


def _repeats_ids(problem: EventStudyError, table: EventsTable) -> bool:
    """True for the study-level repeated-id error when the table named each repeat."""
    return bool(table.problems) and problem.message.startswith("duplicate event id")


def _line_number(location: str | None) -> int:
    """Sort key: problems of the study block first, then by line or row."""
    return int(location.split()[-1]) if location else 0


def load_study(path: str | Path = "events.yaml", **settings: Any) -> Study:
    """Read and validate an events file.

    Parameters
    ----------
    path
        The YAML file (default ``events.yaml`` in the working directory), or an events
        table alone (``.csv``, ``.parquet``: one row per event, see
        :mod:`eventstudy.events_table`), run with the default study settings and named
        after the file.
    **settings
        ``study:`` keys that replace the file's (``name``, ``benchmark``,
        ``securities`` ...: the command line's ``--name``, ``--benchmark``,
        ``--securities``), validated with the file.

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
        raw = {"study": {"name": _name_from(path), **settings}}
        study = parse_study(raw, file, table=table)
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
    if settings and isinstance(raw, dict) and isinstance(raw.get("study"), dict):
        raw = {**raw, "study": {**raw["study"], **settings}}
    study = parse_study(raw, file, base=path.parent)
    return study.model_copy(update={"path": path})


def _name_from(path: Path) -> str:
    """A study name (slug) from a file name: ``Earnings 2024.csv`` -> ``earnings-2024``."""
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:MAX_SLUG].strip("-")
    return name or "study"
