"""Which events of a run get their own figures and report sections.

A study of a few dozen events draws every event; a study of thousands draws the most
significant ones, so the output folder and ``report.html`` stay readable at any size
(the CSV tables always hold every pair).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

FIGURE_EVENTS = 40
"""Above this many events, ``figures="auto"`` draws the 40 most significant events."""
FigureChoice = str | int
"""``"auto"``, ``"all"``, ``"none"`` or a number of events."""


def parse_figures(value: FigureChoice) -> FigureChoice:
    """Check a ``--figures`` value: ``auto``, ``all``, ``none`` or a count >= 0.

    Raises
    ------
    ValueError
        Naming the value and what is allowed.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"--figures {value}: a number of events must be >= 0")
        return value
    text = str(value).strip().lower()
    if text in ("auto", "all", "none"):
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"--figures {value!r}: use auto, all, none or a number of events")


def named_events(result: RunResult) -> bool:
    """True when the run was restricted to events the user named (``--event``)."""
    return list(result.event_ids) != [e.id for e in result.study.select(None)]


def figure_events(result: RunResult, figures: FigureChoice = "auto") -> list[str]:
    """The events (ids, in file order) that get per-event figures.

    Parameters
    ----------
    result
        The run.
    figures
        ``"auto"`` (default): every estimated event when there are at most
        :data:`FIGURE_EVENTS`, or when the run was restricted with ``--event`` (every
        named event is drawn); otherwise the :data:`FIGURE_EVENTS` events with the
        smallest CAR p-value (the smallest over the event's securities, in the default
        CAR window). ``"all"``: every estimated event. ``"none"``: none. A number N:
        the N events with the smallest CAR p.
    """
    import numpy as np

    figures = parse_figures(figures)
    if figures == "none" or result.car.empty:
        return []
    estimated = set(result.car["event_id"].unique())  # once, not per event
    events = [e for e in result.event_ids if e in estimated]
    if figures == "all" or (
        figures == "auto" and (len(events) <= FIGURE_EVENTS or named_events(result))
    ):
        return events
    limit = FIGURE_EVENTS if figures == "auto" else int(figures)
    if limit >= len(events):
        return events
    windows = [(int(a), int(b)) for a, b in result.study.study.car_windows]
    start, end = (0, 1) if (0, 1) in windows else windows[0]
    car = result.car_window(start, end)
    smallest = car.groupby("event_id", sort=False)["car_p"].min()
    p = smallest.reindex(events).fillna(2.0).to_numpy()  # never-tested events last
    keep = np.sort(np.argsort(p, kind="stable")[:limit])  # ties: file order
    return [events[i] for i in keep]
