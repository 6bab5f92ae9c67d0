"""The study's answer in plain words: all pairs together, and what explains their CARs.

The report's first screen starts with these sentences, before the per-event ones
(:mod:`eventstudy.outputs.report.headline`). A study of many firm-specific events asks
about the average and its drivers, not about one firm's day:

- :func:`pooled_sentence` reads the ``all`` group of ``tests.csv`` for the main window and
  the return measure, and says the mean CAR with the p of the test that ``tests.csv``
  marks ``recommended`` for the study's design (:func:`eventstudy.measures.design.validity`;
  Kolari & Pynnönen's 2010 adjusted BMP test first, then Boehmer, Musumeci & Poulsen's
  1991 BMP t, then the bootstrap);
- :func:`regression_sentences` says, per second-stage regression of ``regression.csv``,
  each term significant at 5% with its estimate (percentage points of CAR per unit for a
  CAR regression), t and p, or that no term is.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from eventstudy.outputs.report.headline import LEVEL, p_words
from eventstudy.outputs.report.markup import count, window

POOLED_TESTS = {
    "kp_bmp_t": "Kolari-Pynnönen adjusted BMP",
    "bmp_t": "BMP",
    "bootstrap": "bootstrap",
}
"""The pooled tests a sentence may quote, in order of preference, and their names."""
DESIGN_WORDS = {
    "shared-dates": "securities that share event dates",
    "firm-specific": "firm-specific events",
    "one-firm": "one firm on many dates",
}
"""How a sentence names the study's design (:data:`eventstudy.measures.design.Design`)."""


def pooled_sentence(
    car: pd.DataFrame, tests: pd.DataFrame | None, shown: tuple[int, int], design: str
) -> str:
    """ "All N pairs together: mean CAR[a, b] x% (<test> p = ..., the test recommended for
    <design>)." Empty when tests.csv has no recommended pooled row for the window.

    Parameters
    ----------
    car
        ``car.csv`` rows (those of ``shown`` give the mean).
    tests
        ``tests.csv`` with its ``validity`` column, or None.
    shown
        The main CAR window.
    design
        The study's design (``shared-dates``, ``firm-specific`` or ``one-firm``).
    """
    if tests is None or not len(tests) or "validity" not in tests:
        return ""
    rows = tests[
        (tests["group"].astype(str) == "all")
        & (tests["window_start"] == shown[0])
        & (tests["window_end"] == shown[1])
        & (tests["validity"] == "recommended")
        & tests["test"].isin(list(POOLED_TESTS))
        & np.isfinite(tests["p_value"].astype(float))
    ]
    if "measure" in rows:
        rows = rows[rows["measure"].isin(["return", "car"])]
    if rows.empty:
        return ""
    rank = rows["test"].map(list(POOLED_TESTS).index)
    best = rows.loc[rank.idxmin()]
    inside = car[(car["window_start"] == shown[0]) & (car["window_end"] == shown[1])]
    mean = float(inside["car"].mean()) * 100
    return (
        f"All {count(int(best['n']))} pairs together: mean CAR{window(*shown)} {mean:+.2f}% "
        f"({POOLED_TESTS[str(best['test'])]} {p_words(float(best['p_value']))}, the test "
        f"recommended for {DESIGN_WORDS.get(design, design)})."
    )


LEVEL_TERM = re.compile(r"^(?:C\()?(?P<name>[^()\[,]+?)(?:,[^\]]*)?\)?\[T\.(?P<level>.+)\]$")
"""A formula's treatment-coded level: ``C(category)[T.tariff]``, ``sector[T.tech]``."""


def term_words(term: str) -> str:
    """The subject of a term's sentence: ``each unit of eps_surprise``, or ``category =
    tariff (against the base level)`` for a level of a categorical variable."""
    level = LEVEL_TERM.match(term)
    if level:
        return f"{level['name'].strip()} = {level['level']} (against the base level)"
    return f"each unit of {term}"


def regression_sentences(
    regressions: list[tuple[pd.DataFrame, bool]], shared_dates: bool = False
) -> list[str]:
    """One sentence per regression: its significant terms (at :data:`LEVEL`), the
    smallest p first, or that none is.

    A regression run with the placebo (Cohn, Johnson, Liu & Wardlaw 2023) is judged by
    its placebo p, which holds when pairs share dates; its usual p is said beside it.

    Parameters
    ----------
    regressions
        ``(to_frame(), explains a CAR)`` per regression: the ``regression.csv`` rows of
        one formula, and whether its estimates are fractions of CAR (then said in
        percentage points).
    shared_dates
        Whether pairs share event dates: a regression without placebo p-values then
        says that its usual standard errors understate the uncertainty.
    """
    sentences = []
    for frame, of_car in regressions:
        placebo = bool(frame["p_placebo"].notna().any())
        judge = "p_placebo" if placebo else "p_value"
        terms = frame[(frame["term"] != "Intercept") & (frame[judge] < LEVEL)]
        terms = terms.sort_values([judge, "p_value"], kind="stable")
        first = frame.iloc[0]
        head = f"{first['formula']} over CAR{window(first['window_start'], first['window_end'])}"
        n = count(int(first["n"]))
        by = " by its placebo p" if placebo else ""
        if terms.empty:
            sentences.append(f"{head}: no term is significant at {LEVEL:.0%}{by} ({n} pairs).")
            continue
        unit = " percentage points" if of_car else ""
        said = [
            f"{term_words(term)} adds {est * (100 if of_car else 1):+.3g}{unit} (t = {t:.1f}, "
            + (f"placebo {p_words(q)}, usual {p_words(p)})" if placebo else f"{p_words(p)})")
            for term, est, t, p, q in zip(
                terms["term"], terms["estimate"], terms["t"], terms["p_value"],
                terms["p_placebo"], strict=True,
            )
        ]  # fmt: skip
        caveat = (
            "; the pairs share dates, so these usual standard errors understate the uncertainty"
            if shared_dates and not placebo
            else ""
        )
        sentences.append(f"{head}: {'; '.join(said)} ({n} pairs{caveat}).")
    return sentences
