"""Small pieces of wording shared by messages: plurals and "did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6
"""How alike (difflib's ratio, 0..1) a name must be to be suggested."""
MAX_COMPARED = 2_000
"""Of more names, only those sharing the longest start with the name are compared."""


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 pair"``, ``"2 pairs"`` (``many`` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def closest(name: str, names: Iterable[str], n: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """The (up to ``n``) ``names`` closest to ``name``, best first.

    A name equal to ``name`` but for upper and lower case comes first; then difflib's
    closest matches, compared in lower case.
    """
    known = list(dict.fromkeys(names))
    same_case = [k for k in known if k.lower() == name.lower() and k != name]
    if len(known) > MAX_COMPARED:  # difflib is slow: those sharing the longest start
        shared = [_shared_start(name.lower(), k.lower()) for k in known]
        order = sorted(range(len(known)), key=lambda i: -shared[i])[:MAX_COMPARED]
        known = [known[i] for i in sorted(order)]
    lower = {k.lower(): k for k in reversed(known)}
    wanted = name.lower()
    near = difflib.get_close_matches(wanted, list(lower), n=4 * n, cutoff=cutoff)
    near.sort(  # equally alike: the one sharing the longer start first
        key=lambda k: (-difflib.SequenceMatcher(None, wanted, k).ratio(), -_shared_start(wanted, k))
    )
    return list(dict.fromkeys([*same_case, *(lower[k] for k in near if lower[k] != name)]))[:n]


def _shared_start(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` share at their start."""
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def did_you_mean(name: str, names: Iterable[str], cutoff: float = CUTOFF) -> str:
    """``"did you mean 'ticker'?"`` (or ``'a' or 'b'``) for the closest names; ``""``
    when none is close."""
    near = closest(name, names, n=2, cutoff=cutoff)
    return f"did you mean {' or '.join(repr(k) for k in near)}?" if near else ""


def unknown_id(event_id: str, ids: list[str], shown: int = 20) -> str:
    """``no event with id 'x' (closest: ...)``, or, with none close, the first ``shown``
    known ids."""
    near = closest(event_id, ids, n=5)
    if near:
        return f"no event with id '{event_id}' (closest: {', '.join(near)})"
    more = f" and {len(ids) - shown:,} more" if len(ids) > shown else ""
    return f"no event with id '{event_id}' (known: {', '.join(ids[:shown])}{more})"
