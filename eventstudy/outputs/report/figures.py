"""Figures in the report: which events get a section, and embedding within a budget.

The page embeds each figure as a ``data:`` URI. Per-event sections are written only
for the events whose figures were drawn (at most :data:`SECTION_LIMIT`), in order of
significance (the smallest CAR p of the headline window first). The embedded figures
stay within :data:`IMAGE_BUDGET` bytes, spent by importance, not in page order: every
study figure first, then the events' figures in order of significance; a figure past
the budget is a relative link to its file instead, so ``report.html`` stays under
10 MB at any size.
"""

from __future__ import annotations

import base64
import struct
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.outputs.report.markup import esc
from eventstudy.outputs.selection import FIGURE_EVENTS, figure_events

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

Images = dict[str, tuple[str, bytes]]
"""Figure name (``"caar"``, ``"<event_id>/car"`` ...) to ``(mime type, bytes)``."""

SECTION_LIMIT = FIGURE_EVENTS
"""Most per-event sections on one page (the smallest CAR p first when cut)."""
IMAGE_BUDGET = 7_500_000
"""Most bytes of embedded (base64) figures on one page; the capped tables (at most
about 2.5 MB) take the rest of the 10 MB the page is allowed."""
EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg"}


def significance(result: RunResult, events: list[str]) -> list[str]:
    """``events`` in order of their smallest CAR p in the headline window (the report's
    ``[0, +1]`` when the study has it); events without one last, ties in file order."""
    from eventstudy.outputs.report.tables import default_window

    a, b = default_window(result)
    car = result.car
    rows = car[(car["window_start"] == a) & (car["window_end"] == b)]
    best = rows.groupby("event_id", sort=False)["car_p"].min()
    p = best.reindex(events).fillna(2.0).to_numpy()
    return [events[i] for i in np.argsort(p, kind="stable")]


def section_events(result: RunResult, images: Images) -> list[str]:
    """The events that get a section, in order of :func:`significance`: those with
    figures in ``images``.

    Without any image (``--no-plots``, or a report rendered from a notebook without
    figures) the events :func:`eventstudy.outputs.selection.figure_events` picks with
    ``"auto"``: the same events that figures would be drawn for. Either way at most
    :data:`SECTION_LIMIT`, those with the smallest CAR p kept.
    """
    if images:
        drawn = {name.rsplit("/", 1)[0] for name in images if "/" in name}
    else:
        drawn = set(figure_events(result, "auto"))
    if len(drawn) > SECTION_LIMIT:
        drawn &= set(figure_events(result, SECTION_LIMIT))
    ids = pd.Index(result.event_ids)
    return significance(result, list(ids[ids.isin(list(drawn))]))


def _image_size(mime: str, data: bytes) -> tuple[int, int] | None:
    if mime == "image/png" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


STUDY_FIGURES = (
    ("caar", "CAAR over all estimated pairs with a 95% band"),
    ("caar_category", "CAAR per event category, each with its 95% band"),
    ("caar_deciles", "CAAR per decile of each numeric characteristic of the events"),
    ("binscatter", "The CAR against each regressor, binned means with the fitted line"),
    ("forest", "The most significant pairs with their 95% confidence intervals"),
    ("car_distribution", "Distribution of the headline CAR over all pairs"),
    ("day0_dates", "When the day 0s fall, pairs per period"),
    ("heatmap", "The headline CAR per event and security"),
    ("timeline", "Prices normalised to 100 with the study's events"),
    ("placebo", "Placebo CARs per security, the study's events marked"),
)
"""The study figures of the "Study figures" section, in page order, with captions
(``cav`` and ``bhar`` are in their own sections); those drawn are shown."""
LATER = ("cav", "bhar")
"""Study figures shown further down the page, embedded before any event's all the same."""


def embedding_order(images: Images, events: list[str]) -> list[str]:
    """The figures of ``images`` in the order the budget is spent: the study figures
    (no ``/`` in the name), then each event's, ``events`` in the given order."""
    study = [name for name in images if "/" not in name]
    by_event: dict[str, list[str]] = {}
    for name in images:
        if "/" in name:
            by_event.setdefault(name.rsplit("/", 1)[0], []).append(name)
    return study + [name for e in events for name in by_event.get(e, [])]


class Embedder:
    """Embeds figures as ``data:`` URIs within :data:`IMAGE_BUDGET` bytes, by importance.

    Which figures fit is decided up front, in :func:`embedding_order` (the study
    figures, then the events' in the order given), so the order in which the page asks
    for them does not matter: a study figure shown below the event sections is still
    embedded first.

    Parameters
    ----------
    images
        The figures drawn.
    budget
        Bytes of base64 text to embed at most.
    events
        The events with a section, most important first (default: the order of
        ``images``).
    """

    def __init__(
        self, images: Images, budget: int = IMAGE_BUDGET, events: list[str] | None = None
    ) -> None:
        self.images = images
        if events is None:
            events = list(dict.fromkeys(n.rsplit("/", 1)[0] for n in images if "/" in n))
        left = budget
        self.embedded: set[str] = set()
        for name in embedding_order(images, events):
            size = (len(images[name][1]) + 2) // 3 * 4
            if size <= left:
                left -= size
                self.embedded.add(name)
        self.left = left

    def study_figures(self) -> str:
        """The "Study figures" section's figures (:data:`STUDY_FIGURES` that were drawn)."""
        return "".join(self.figure(name, caption) for name, caption in STUDY_FIGURES)

    def figure(self, name: str, caption: str) -> str:
        """The figure ``name`` with its caption, or a link to its file past the budget."""
        if name not in self.images:
            return ""
        mime, data = self.images[name]
        if name not in self.embedded:
            path = esc(f"{name}.{EXTENSIONS.get(mime, 'png')}")
            return (
                f"<p class=meta>{esc(caption)}: <a href='{path}'>{path}</a> "
                "(not embedded: the page holds at most "
                f"{IMAGE_BUDGET / 1e6:g} MB of figures)</p>"
            )
        size = _image_size(mime, data)
        dims = f" width={size[0] // 2} height={size[1] // 2}" if size else ""  # 200 dpi
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return (
            f"<figure><img src='{uri}' alt='{esc(caption)}'{dims} loading=eager>"
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
