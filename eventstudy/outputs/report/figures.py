"""Figures in the report: which events get a section, and embedding within a budget.

The page embeds each figure as a ``data:`` URI. Per-event sections are written only
for the events whose figures were drawn (at most :data:`SECTION_LIMIT`), and the
embedded figures stop at :data:`IMAGE_BUDGET` bytes; a figure past the budget is a
relative link to its file instead, so ``report.html`` stays under 10 MB at any size.
"""

from __future__ import annotations

import base64
import struct
from typing import TYPE_CHECKING

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


def section_events(result: RunResult, images: Images) -> list[str]:
    """The events (file order) that get a section: those with figures in ``images``.

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
    return list(ids[ids.isin(list(drawn))])


def _image_size(mime: str, data: bytes) -> tuple[int, int] | None:
    if mime == "image/png" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


class Embedder:
    """Embeds figures as ``data:`` URIs until :data:`IMAGE_BUDGET` bytes are used.

    Parameters
    ----------
    images
        The figures drawn.
    budget
        Bytes of base64 text to embed at most.
    """

    def __init__(self, images: Images, budget: int = IMAGE_BUDGET) -> None:
        self.images = images
        self.left = budget

    def figure(self, name: str, caption: str) -> str:
        """The figure ``name`` with its caption, or a link to its file past the budget."""
        if name not in self.images:
            return ""
        mime, data = self.images[name]
        encoded = (len(data) + 2) // 3 * 4
        if encoded > self.left:
            path = esc(f"{name}.{EXTENSIONS.get(mime, 'png')}")
            return (
                f"<p class=meta>{esc(caption)}: <a href='{path}'>{path}</a> "
                "(not embedded: the page holds at most "
                f"{IMAGE_BUDGET / 1e6:g} MB of figures)</p>"
            )
        self.left -= encoded
        size = _image_size(mime, data)
        dims = f" width={size[0]} height={size[1]}" if size else ""
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return (
            f"<figure><img src='{uri}' alt='{esc(caption)}'{dims} loading=eager>"
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
