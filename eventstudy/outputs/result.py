"""The public result of a study run: tables, summary, figures and saving to disk.

:class:`StudyResult` is a :class:`~eventstudy.pipeline.results.RunResult` that also
plots itself (:mod:`eventstudy.outputs.plots`) and saves the output contract
(:func:`eventstudy.outputs.saving.save`).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.pipeline.results import RunResult

__all__ = ["StudyResult"]

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

    from eventstudy.measures.record import StudyRecord


class StudyResult(RunResult):
    """Everything a study run produced, with ``.summary()``, ``.plot()`` and ``.save()``.

    See :class:`~eventstudy.measures.record.StudyRecord` for the tables and
    :class:`~eventstudy.pipeline.results.RunResult` for the tests.
    """

    @classmethod
    def of(cls, record: StudyRecord) -> StudyResult:
        """The public result of a pipeline run (the same tables, not copied)."""
        return cls(**{f.name: getattr(record, f.name) for f in fields(record)})

    def plot(self, event_id: str | None = None, kind: str | None = None, **options: Any) -> Figure:
        """A figure of the study (see :mod:`eventstudy.outputs.plots`).

        ``plot("ft-ai-talent")`` or ``plot("ft-ai-talent", kind="ar")`` for one event
        (``car``: CAR paths with 95% bands, ``ar``: AR bars); ``plot(kind="caar")``,
        ``"heatmap"`` (``window=(0, 1)``) or ``"timeline"`` for the whole study
        (``plot("heatmap")`` works too); ``plot()`` is the CAAR figure.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from eventstudy.outputs.plots import STUDY_KINDS, figure

        if kind is None and event_id in STUDY_KINDS and event_id not in self.event_ids:
            event_id, kind = None, event_id
        kind = kind or ("car" if event_id is not None else "caar")
        return figure(self, kind, event_id, **options)

    def manifest(self) -> dict[str, Any]:
        """What was run, on which data, with which software: ``manifest.json``.

        See :func:`eventstudy.outputs.saving.manifest`.
        """
        from eventstudy.outputs.saving import manifest

        return manifest(self)

    def save(
        self,
        out: str | Path = "outputs",
        *,
        plots: bool = True,
        figures: str | int = "auto",
        formats: tuple[str, ...] = ("png",),
        progress: Callable[[str, int, int], None] | None = None,
        tables: tuple[str, ...] = ("csv",),
    ) -> dict[str, Path]:
        """Write the output contract into ``out/<study-name>/``.

        See :func:`eventstudy.outputs.saving.save` for the parameters and what is written.
        """
        from eventstudy.outputs.saving import save

        return save(
            self,
            out,
            plots=plots,
            figures=figures,
            formats=formats,
            progress=progress,
            tables=tables,
        )
