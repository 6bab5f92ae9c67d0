"""An events table's header in messages: the closest name for a missing or misspelt column.

:func:`header_hint` adds "did you mean 'ticker'?" to the error of a missing required
column; :func:`warn_near_misses` warns of an extra column whose name is close to an
event field's (``titel``), which would otherwise be kept as an attribute unremarked.
"""

from __future__ import annotations

import warnings

from eventstudy.core.tabular import normalise
from eventstudy.core.words import closest

NEAR_MISS = 0.8
"""How alike an extra column's name and an absent field's must be for a warning."""


def header_hint(headers: list[str], wanted: tuple[str, ...], sep: str = "; ") -> str:
    """``"; did you mean 'ticker'?"`` for the header closest to a ``wanted`` name."""
    for name in wanted:
        near = closest(name, [normalise(h) for h in headers], n=1)
        if near:
            return f"{sep}did you mean '{name}'?"
    return ""


def warn_near_misses(attributes: list[str], absent: list[str], file: str) -> None:
    """Warn of extra columns whose name is close to an event field's (a misspelling?)."""
    found = [
        f"'{header}' (did you mean '{near[0]}'?)"
        for header in attributes
        if (near := closest(normalise(header), absent, n=1, cutoff=NEAR_MISS))
    ]
    if found:
        one = len(found) == 1
        warnings.warn(
            f"{file}: column{'' if one else 's'} {', '.join(found)} kept as "
            f"{'an event attribute' if one else 'event attributes'}, not read as event fields",
            UserWarning,
            stacklevel=2,
        )
