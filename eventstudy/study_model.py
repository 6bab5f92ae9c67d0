"""The study: its settings and its events, validated, with what the pipeline asks of it.

:class:`Study` is what :func:`eventstudy.config.load_study` (a YAML file or an events
table) and :meth:`Study.from_frame` (a DataFrame) return: the ``study:`` block
(:class:`~eventstudy.settings.StudySettings`) and the events, with the lookups the
pipeline uses (an event by id, its securities, benchmark, model and time zone) and
:meth:`Study.run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from eventstudy.errors import ArgumentError, EventStudyError
from eventstudy.settings import (
    DEFAULT_NAME,
    NO_SECURITIES,
    Event,
    ModelName,
    StudySettings,
    factor_names,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd
    from distributed import Client

    from eventstudy.data import PriceSource
    from eventstudy.distributed import DaskStudyResult
    from eventstudy.results import StudyResult


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
        from eventstudy.config import parse_study
        from eventstudy.events_table import events_from_frame

        table = events_from_frame(events, file="<events DataFrame>")
        raw = {"study": {"name": DEFAULT_NAME, **settings}}
        return parse_study(raw, "<events DataFrame>", table=table)

    def event(self, event_id: str, argument: str = "event_id") -> Event:
        """Return the event with this id (an unknown id is an error naming ``argument``)."""
        cached = self._by_id  # built once per events list: a study may have 100,000 events
        if cached is None or cached[0] is not self.events:
            cached = self._by_id = (self.events, {e.id: e for e in self.events})
        index = cached[1]
        if event_id in index:
            return index[event_id]
        from eventstudy.errors import UnknownEventError
        from eventstudy.words import unknown_id

        raise UnknownEventError(
            unknown_id(event_id, list(index)), file=self.path, argument=argument, option="--event"
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
            raise ArgumentError(
                f"unknown model '{model}' (choose from {', '.join(get_args(ModelName))})",
                argument="model",
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
        wanted = {self.event(i, "event_ids").id for i in event_ids}
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
