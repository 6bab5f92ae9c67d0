"""The kinds of figure, :func:`figure` (one figure of a kind) and :func:`figure_names`
(which figures a run draws)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from eventstudy.measures.design import study_design
from eventstudy.outputs.plots.bhar import plot_bhar
from eventstudy.outputs.plots.caar import plot_caar, plot_caar_category
from eventstudy.outputs.plots.characteristics import (
    characteristics,
    plot_binscatter,
    plot_caar_deciles,
    regressors,
)
from eventstudy.outputs.plots.distribution import plot_car_distribution
from eventstudy.outputs.plots.event import plot_ar, plot_car
from eventstudy.outputs.plots.firms import plot_day0_dates, plot_forest
from eventstudy.outputs.plots.heatmap import plot_heatmap
from eventstudy.outputs.plots.numbers import event_categories, event_rows
from eventstudy.outputs.plots.placebo import plot_placebo
from eventstudy.outputs.plots.timeline import plot_timeline
from eventstudy.outputs.plots.volatility import plot_volatility
from eventstudy.outputs.plots.volume import plot_cav, plot_volume
from eventstudy.outputs.selection import FigureChoice, figure_events

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

EVENT_KINDS = ("car", "ar", "volatility", "volume")
STUDY_KINDS = (
    "caar",
    "caar_category",
    "caar_deciles",
    "car_distribution",
    "binscatter",
    "forest",
    "day0_dates",
    "heatmap",
    "timeline",
    "placebo",
    "cav",
    "bhar",
)
BY_DESIGN: dict[str, frozenset[str]] = {
    "shared-dates": frozenset({"heatmap", "timeline"}),
    "one-firm": frozenset({"timeline", "forest", "caar_deciles", "binscatter"}),
    "firm-specific": frozenset({"forest", "day0_dates", "caar_deciles", "binscatter"}),
}
"""The study kinds that depend on the design (:func:`eventstudy.measures.design.study_design`):
each design draws its own; the other kinds are drawn for every design. A heat map of
events x securities is a diagonal when every event has its own security, and a
price timeline of many firms' unrelated dates says nothing: firm-specific studies
get the forest plot, the day-0 histogram and the figures by characteristic instead."""
PLOTS: dict[str, Callable[..., Figure]] = {
    "car": plot_car,
    "ar": plot_ar,
    "caar": plot_caar,
    "caar_category": plot_caar_category,
    "car_distribution": plot_car_distribution,
    "heatmap": plot_heatmap,
    "timeline": plot_timeline,
    "placebo": plot_placebo,
    "bhar": plot_bhar,
    "caar_deciles": plot_caar_deciles,
    "binscatter": plot_binscatter,
    "forest": plot_forest,
    "day0_dates": plot_day0_dates,
    "volatility": plot_volatility,
    "volume": plot_volume,
    "cav": plot_cav,
}


def figure(result: RunResult, kind: str, event_id: str | None = None, **options: Any) -> Figure:
    """The figure of one kind: per event (``car``, ``ar``) or per study (the others)."""
    from eventstudy.core.errors import EventStudyError

    if kind not in PLOTS:
        raise EventStudyError(f"unknown plot kind '{kind}' (choose from {', '.join(PLOTS)})")
    if kind in EVENT_KINDS:
        if event_id is None:
            raise EventStudyError(f"plot kind '{kind}' needs an event id")
        result.study.event(event_id)  # a clear error for an unknown id
        if event_rows(result.abnormal_returns, event_id).empty:
            raise EventStudyError(f"event '{event_id}' has no estimated pair to plot")
        return PLOTS[kind](result, event_id, **options)
    if result.abnormal_returns.empty:
        raise EventStudyError("no estimated pair to plot")
    return PLOTS[kind](result, **options)


def study_kinds(result: RunResult) -> list[str]:
    """The study figures a run draws: every kind of :data:`STUDY_KINDS`, except
    ``caar_category`` when the estimated events form fewer than two categories (it
    would repeat ``caar``), ``placebo`` when the run has no placebo study, ``cav``
    (the mean CAV path) when it measured no volume and ``bhar`` (the mean BHAR path)
    when it has no BHARs; of the kinds of :data:`BY_DESIGN`, those of the study's
    design (``caar_deciles`` only with a numeric characteristic, ``binscatter`` only
    with a numeric regressor)."""
    estimated = result.abnormal_returns["event_id"].unique()
    categories = event_categories(result).reindex(estimated).nunique()
    skip = {"caar_category"} if categories < 2 else set()
    skip |= {"placebo"} if result.placebo is None else set()
    skip |= set() if _has_volume(result) else {"cav"}
    skip |= {"bhar"} if result.long_horizon is None or result.long_horizon.bhar.empty else set()
    design = study_design(result.car)
    skip |= set().union(*BY_DESIGN.values()) - BY_DESIGN[design]
    if "caar_deciles" not in skip and not characteristics(result):
        skip.add("caar_deciles")
    if "binscatter" not in skip and not regressors(result):
        skip.add("binscatter")
    return [k for k in STUDY_KINDS if k not in skip]


def figure_names(
    result: RunResult, figures: FigureChoice = "auto"
) -> Iterator[tuple[str, str, str | None]]:
    """``(name, kind, event_id)`` of every figure a run draws, in drawing order.

    The study figures (:func:`study_kinds`), then the :func:`event_kinds` of the events
    :func:`eventstudy.outputs.selection.figure_events` picks for ``figures`` (``"auto"``:
    every event up to 40, else the 40 with the smallest CAR p; ``"all"``, ``"none"``
    or a number of events).
    """
    if result.abnormal_returns.empty:
        return
    for kind in study_kinds(result):
        yield kind, kind, None
    kinds = event_kinds(result)
    # events with a volume series, found once (not one scan of the table per event)
    with_volume = set(result.volume.abnormal_volume["event_id"]) if "volume" in kinds else set()
    for event_id in figure_events(result, figures):
        for kind in kinds:
            if kind != "volume" or event_id in with_volume:
                yield f"{event_id}/{kind}", kind, event_id


def event_kinds(result: RunResult) -> list[str]:
    """The event figures a run draws: ``car``, ``ar`` and, when measured, ``volatility``
    and ``volume`` (the latter for events with a volume series)."""
    measured = "volatility" in result.study.study.measures
    drawn = {"volatility": measured, "volume": _has_volume(result)}
    return [k for k in EVENT_KINDS if drawn.get(k, True)]


def _has_volume(result: RunResult) -> bool:
    """Whether the run measured volume for at least one pair."""
    return result.volume is not None and not result.volume.abnormal_volume.empty
