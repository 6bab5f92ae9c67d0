"""Defaults that fit what the user set: windows inside (or before) a narrower event window.

A study that sets ``event_window: [-5, 5]`` and no ``car_windows`` did not ask for the
default ``[0, 10]``: it gets the default CAR windows clipped to its event window. One
that sets ``event_window: [-20, 20]`` and no ``estimation_window`` gets the default
estimation window ended the day before its event window. A warning says so each time.
A window the user set that does not fit stays an error.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel


def fitted_windows(value: Any, settings: type[BaseModel]) -> Any:
    """The ``study:`` mapping ``value`` with the default ``car_windows`` and
    ``estimation_window`` fitted to the ``event_window`` it sets (a warning names them).

    ``settings`` is :class:`~eventstudy.core.settings.StudySettings` (whose defaults apply).
    Anything else (no or a malformed ``event_window``, windows set) is returned as
    given, for validation to judge.
    """
    if not isinstance(value, dict) or "event_window" not in value:
        return value
    try:
        low, high = (int(day) for day in value["event_window"])
    except (TypeError, ValueError):
        return value
    if low > high:  # reversed: its own error
        return value
    fitted = {}
    if "car_windows" not in value:
        defaults = settings.model_fields["car_windows"].get_default(call_default_factory=True)
        clipped = dict.fromkeys(
            (max(a, low), min(b, high)) for a, b in defaults if a <= high and b >= low
        )
        if clipped and list(clipped) != list(defaults):
            fitted["car_windows"] = [list(w) for w in clipped]
    if "estimation_window" not in value:
        start, end = settings.model_fields["estimation_window"].get_default()
        if end >= low and start < low - 1:
            fitted["estimation_window"] = [start, low - 1]
    if fitted:
        shown = "; ".join(f"{key} {_windows(w)}" for key, w in fitted.items())
        warnings.warn(
            f"the default windows are fitted to event_window [{low}, {high}]: {shown} "
            "(set them to choose others)",
            UserWarning,
            stacklevel=2,
        )
    return {**value, **fitted}


def _windows(value: list[Any]) -> str:
    """``[0, 5]`` or ``[0, 0], [0, 5]``: one window or a list of them."""
    pairs = value if isinstance(value[0], list) else [value]
    return ", ".join(f"[{a}, {b}]" for a, b in pairs)
