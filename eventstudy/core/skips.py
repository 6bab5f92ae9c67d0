"""What a run says about the pairs it could not estimate.

A run that estimates no pair raises :class:`~eventstudy.core.errors.NoPairsError` (or, when
the data source itself failed, :class:`~eventstudy.core.errors.FetchError`) naming the
first reasons; a run that skips some pairs warns with their count and first reasons
(:class:`~eventstudy.core.errors.SkippedPairsWarning`). The command line shows the skipped
pairs in its summary instead of the warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from eventstudy.core.errors import (
    EventStudyError,
    FetchError,
    NoPairsError,
    SkippedPairsWarning,
)

SHOWN = 3
"""Distinct reasons named in the error or the warning; the rest are counted."""


def first_reasons(reasons: Iterable[str], shown: int = SHOWN) -> str:
    """The first ``shown`` distinct reasons (each split at ``"; "``), and a count of the rest."""
    parts = (part for reason in reasons for part in str(reason).split("; "))
    unique = list(dict.fromkeys(parts))
    rest = len(unique) - shown
    return "; ".join(unique[:shown]) + (f"; and {rest} more" if rest > 0 else "")


def no_pairs_error(
    reasons: Iterable[str], *, source_failed: bool = False, file: str | Path | None = None
) -> EventStudyError:
    """The error of a run that estimated no pair: :class:`NoPairsError`, or a
    :class:`~eventstudy.core.errors.FetchError` (exit code 1) when the source failed."""
    message = (
        f"no (event, security) pair could be estimated ({first_reasons(reasons) or 'no pairs'})"
    )
    if source_failed:  # the network, not the user's input
        return FetchError(
            f"{message}; check the network and run again (what was fetched is cached), "
            "or use --offline to run on cached prices only",
            file=file,
        )
    return NoPairsError(message, file=file)


def check_estimated(
    n_pairs: int,
    n_estimated: int,
    reasons: list[str],
    *,
    source_failed: bool = False,
    file: str | Path | None = None,
) -> None:
    """Raise :func:`no_pairs_error` when no pair was estimated; warn when some were skipped.

    Raises
    ------
    NoPairsError, FetchError
        When ``n_estimated`` is 0.
    """
    if n_estimated == 0:
        raise no_pairs_error(reasons, source_failed=source_failed, file=file)
    if reasons:
        noun = "pair" if n_pairs == 1 else "pairs"
        warnings.warn(
            f"{len(reasons)} of {n_pairs} (event, security) {noun} skipped "
            f"({first_reasons(reasons)}); see result.skipped or skipped.csv",
            SkippedPairsWarning,
            stacklevel=4,
        )
