"""Figures of a study: per-event CAR and AR; across events CAAR (overall and by
category), the distribution of the CARs, a heat map and a timeline.

Figures are built with matplotlib's object API (no pyplot state; matplotlib is imported
only when a figure is drawn), so they work the same in scripts, notebooks and the CLI,
and share one style (:mod:`~eventstudy.outputs.plots.style`): a bold title (the event's or the
study's), a subtitle saying what is drawn, axis labels with units, a footer with day 0
and the data source, and a SYNTHETIC DATA watermark on demo data.

====================  =====  ==================================================================
kind                  level  what
====================  =====  ==================================================================
``car``               event  CAR per security anchored at day -1 with 95% bands and the
                             headline CAR printed (:func:`plot_car`)
``ar``                event  daily AR bars with the ±95% bound, ``*`` beyond it (:func:`plot_ar`)
``caar``              study  mean CAR over all pairs with a 95% band (:func:`plot_caar`)
``caar_category``     study  CAAR per event category with bands, at most 8
                             (:func:`plot_caar_category`)
``caar_deciles``      study  CAAR per decile of each numeric event attribute
                             (:func:`plot_caar_deciles`)
``binscatter``        study  binned CAR against each regressor with the fitted slope
                             (:func:`plot_binscatter`)
``forest``            study  the most significant pairs with 95% intervals (:func:`plot_forest`)
``day0_dates``        study  histogram of the day 0s in calendar time (:func:`plot_day0_dates`)
``car_distribution``  study  histogram of CAR[0,+1], normal and t references
                             (:func:`plot_car_distribution`)
``heatmap``           study  CAR[0,+1] of at most 30 events x 30 securities, rows by day 0
                             (:func:`plot_heatmap`; shared-date studies)
``timeline``          study  prices normalised to 100 with at most 40 events
                             (:func:`plot_timeline`)
====================  =====  ==================================================================

Which study figures a run draws follows its design
(:func:`eventstudy.measures.design.study_design`, :data:`BY_DESIGN`): shared-date
studies get the heat map and timeline, firm-specific ones the forest plot, the day-0
histogram and the figures by characteristic. A run draws the study figures and the event
figures of the events :func:`eventstudy.outputs.selection.figure_events` picks (every
event up to 40, else the 40 with the smallest CAR p; ``figures="all" | "none" | N``).
With more than :data:`MANY_SECURITIES` securities an event figure draws the cross-
sectional mean with a 10-90% quantile band instead of one line per security. The capped
study figures say in their subtitle or footer what they leave out; the CSV tables hold
every pair. :func:`save_figures` draws the figures of a run in worker processes
(:class:`FigureJob`) and writes each file atomically.

Modules: :mod:`~eventstudy.outputs.plots.style` (house style),
:mod:`~eventstudy.outputs.plots.numbers`
(the numbers drawn), :mod:`~eventstudy.outputs.plots.event`, :mod:`~eventstudy.outputs.plots.caar`,
:mod:`~eventstudy.outputs.plots.distribution`, :mod:`~eventstudy.outputs.plots.heatmap`,
:mod:`~eventstudy.outputs.plots.timeline` (the figures), :mod:`~eventstudy.outputs.plots.kinds`
(dispatch), :mod:`~eventstudy.outputs.plots.jobs` (rendering and the worker pool).
"""

from __future__ import annotations

from eventstudy.outputs.bands import CONFIDENCE, QUANTILES, cross_section
from eventstudy.outputs.plots.caar import CATEGORIES, plot_caar, plot_caar_category
from eventstudy.outputs.plots.characteristics import plot_binscatter, plot_caar_deciles
from eventstudy.outputs.plots.distribution import (
    Distribution,
    car_distribution,
    plot_car_distribution,
)
from eventstudy.outputs.plots.event import plot_ar, plot_car
from eventstudy.outputs.plots.firms import FOREST_EVENTS, plot_day0_dates, plot_forest
from eventstudy.outputs.plots.heatmap import HEATMAP_EVENTS, HEATMAP_SECURITIES, plot_heatmap
from eventstudy.outputs.plots.jobs import (
    MIME,
    PNG_COMPRESSION,
    SVG_SALT,
    FigureJob,
    Figures,
    check_figures,
    figure_workers,
    render,
    save_figures,
    stale_figures,
)
from eventstudy.outputs.plots.kinds import (
    BY_DESIGN,
    EVENT_KINDS,
    PLOTS,
    STUDY_KINDS,
    figure,
    figure_names,
    study_kinds,
)
from eventstudy.outputs.plots.numbers import (
    caar,
    caar_by_category,
    car_matrix,
    default_window,
    normalised_prices,
)
from eventstudy.outputs.plots.style import DPI, EVENT_SIZE, MANY_SECURITIES
from eventstudy.outputs.plots.timeline import TIMELINE_EVENTS, plot_timeline

__all__ = [
    "BY_DESIGN",
    "CATEGORIES",
    "CONFIDENCE",
    "DPI",
    "EVENT_KINDS",
    "EVENT_SIZE",
    "FOREST_EVENTS",
    "HEATMAP_EVENTS",
    "HEATMAP_SECURITIES",
    "MANY_SECURITIES",
    "MIME",
    "PLOTS",
    "PNG_COMPRESSION",
    "QUANTILES",
    "STUDY_KINDS",
    "SVG_SALT",
    "TIMELINE_EVENTS",
    "Distribution",
    "FigureJob",
    "Figures",
    "caar",
    "caar_by_category",
    "car_distribution",
    "car_matrix",
    "check_figures",
    "cross_section",
    "default_window",
    "figure",
    "figure_names",
    "figure_workers",
    "normalised_prices",
    "plot_ar",
    "plot_binscatter",
    "plot_caar",
    "plot_caar_category",
    "plot_caar_deciles",
    "plot_car",
    "plot_car_distribution",
    "plot_day0_dates",
    "plot_forest",
    "plot_heatmap",
    "plot_timeline",
    "render",
    "save_figures",
    "stale_figures",
    "study_kinds",
]
