"""The study as declared: its settings and its events, validated; plain data.

:class:`StudySpec` holds the ``study:`` block
(:class:`~eventstudy.core.settings.StudySettings`) and the events, with the lookups the
pipeline uses (an event by id, its securities, benchmark, model and time zone). Every
layer reads it; it needs nothing above :mod:`eventstudy.core`. The public
:class:`eventstudy.study.Study` adds the ways in and out (``from_frame``, ``run``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from eventstudy.core.errors import ArgumentError, EventStudyError
from eventstudy.core.settings import NO_SECURITIES, Event, ModelName, StudySettings, factor_names


class StudySpec(BaseModel):
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
    confounders do (a placebo study's many hypothetical dates, :mod:`eventstudy.measures.placebo`).
    """
    _by_id: tuple[list[Event], dict[str, Event]] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _every_event_has_securities(self) -> StudySpec:
        if not self.study.securities and any(not e.securities for e in self.events):
            raise ValueError(NO_SECURITIES)
        return self

    @model_validator(mode="after")
    def _factor_model_has_factors(self) -> StudySpec:
        uses = self.study.model == "factor" or any(e.model == "factor" for e in self.events)
        if uses and not factor_names(self.study):
            raise ValueError("the factor model needs study.factors (tickers) or study.factors_file")
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> StudySpec:
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

    def event(self, event_id: str, argument: str = "event_id") -> Event:
        """Return the event with this id (an unknown id is an error naming ``argument``)."""
        cached = self._by_id  # built once per events list: a study may have 100,000 events
        if cached is None or cached[0] is not self.events:
            cached = self._by_id = (self.events, {e.id: e for e in self.events})
        index = cached[1]
        if event_id in index:
            return index[event_id]
        from eventstudy.core.errors import UnknownEventError
        from eventstudy.core.words import unknown_id

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

    def with_model(self, model: str) -> StudySpec:
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
