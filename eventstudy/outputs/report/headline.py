"""The answer of a study in one table and a few sentences (the report's first screen).

:func:`headline_frame` picks, for the main CAR window, each pair's CAR and standard
error and the p-value of the test the design calls for: the placebo p (the CAR among
the same security's CARs on days without news) where the placebo study ran, else the
sample-quantile p (Gelbach, Helland & Klick 2013) where it ran, else the per-pair t
(MacKinlay 1997). For an event whose securities share its day 0 it adds the
Kolari-Pynnönen (2010) adjusted BMP test of the event's group from tests.csv, which
allows for their cross-correlation. :func:`headline_sentences` says the same in plain
words, one sentence per event significant at 5%, from ``car.csv`` and ``tests.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.outputs.report.markup import count

LEVEL = 0.05
"""An event gets a sentence when its design p (a pair's, or its group's) is below this."""
GROUP_TEST = "kp_bmp_t"
"""The tests.csv test of a same-date group: Kolari & Pynnönen's adjusted BMP t."""
TESTS = {"car_p_placebo": "placebo", "car_p_sq": "sample-quantile", "car_p": "t-test"}
"""car.csv's p-value columns, the design's choice first, and what the sentences call them."""


def _group_p(tests: pd.DataFrame | None, window: tuple[int, int]) -> pd.Series:
    """The adjusted BMP p of each ``event:<id>`` group of tests.csv, by event id."""
    if tests is None or not len(tests) or "group" not in tests:
        return pd.Series(dtype="float64")
    mine = tests[
        (tests["test"] == GROUP_TEST)
        & (tests["window_start"] == window[0])
        & (tests["window_end"] == window[1])
        & tests["group"].astype(str).str.startswith("event:")
        & (tests["n"] > 1)
    ]
    if "measure" in mine:
        mine = mine[mine["measure"].isin(["return", "car"])]
    return (
        pd.Series(
            mine["p_value"].to_numpy(dtype="float64"),
            index=mine["group"].astype(str).str.slice(len("event:")),
        )
        .groupby(level=0)
        .first()
    )


def headline_frame(
    car: pd.DataFrame, tests: pd.DataFrame | None, window: tuple[int, int]
) -> pd.DataFrame:
    """The headline rows of one CAR window, the smallest design p first.

    Parameters
    ----------
    car
        Rows of ``car.csv`` (any windows; those of ``window`` are used).
    tests
        ``tests.csv``, or None when the run has no tests.
    window
        The main CAR window.

    Returns
    -------
    DataFrame
        ``event_id``, ``ticker``, ``day0``, ``car``, ``car_se``, ``car_p`` and, where
        car.csv has them, ``car_p_sq`` and ``car_p_placebo``; ``p`` (the design's p),
        ``test`` (its name, see :data:`TESTS`) and ``group_p`` (the event's adjusted
        BMP p; NaN for a single-security event).
    """
    rows = car[(car["window_start"] == window[0]) & (car["window_end"] == window[1])]
    keep = ["event_id", "ticker", "day0", "car", "car_se"] + [c for c in TESTS if c in rows]
    frame = rows[keep].reset_index(drop=True)
    p = np.full(len(frame), np.nan)
    test = np.full(len(frame), "", dtype=object)
    for column in reversed([c for c in TESTS if c in frame]):  # the design's first wins
        values = frame[column].to_numpy(dtype="float64")
        ok = np.isfinite(values)
        p[ok], test[ok] = values[ok], TESTS[column]
    frame["p"], frame["test"] = p, test
    frame["group_p"] = frame["event_id"].map(_group_p(tests, window)).astype("float64")
    order = np.lexsort((np.fmin(frame["p"].fillna(2.0), frame["group_p"].fillna(2.0)),))
    return frame.iloc[order].reset_index(drop=True)


def p_words(p: float) -> str:
    """``p < 0.0001``, ``p = 0.0004`` (4 decimals below 0.001), ``p = 0.012``."""
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}" if p < 0.001 else f"p = {p:.3f}"


def _moves(rows: pd.DataFrame) -> str:
    words = [
        f"{t} {'rose' if c > 0 else 'fell'} {abs(c) * 100:.1f}% ({name} {p_words(p)})"
        for t, c, name, p in zip(rows["ticker"], rows["car"], rows["test"], rows["p"], strict=True)
    ]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _sentence(event_id: str, rows: pd.DataFrame, span: str) -> str:
    moved = rows[rows["p"] < LEVEL]
    day0 = sorted(pd.unique(rows["day0"].astype(str)))
    when = day0[0] if len(day0) == 1 else f"{day0[0]} to {day0[-1]}"
    text = f"{event_id} ({when}): "
    if len(moved):
        text += f"{_moves(moved)} over {span}"
        rest = len(rows) - len(moved)
        text += f"; {count(rest)} other{'s' if rest > 1 else ''} did not" if rest else ""
    else:
        text += f"no single security moved significantly over {span}"
    group = rows["group_p"].iloc[0]
    if np.isfinite(group):
        text += (
            f"; all {count(len(rows))} together {rows['car'].mean() * 100:+.1f}% "
            f"(adjusted BMP {p_words(group)})"
        )
    return text + "."


def significant_events(headline: pd.DataFrame) -> list[str]:
    """The events of ``headline`` (:func:`headline_frame`) significant at :data:`LEVEL`
    (a pair's p or the event's group p), the smallest p first."""
    p, group = headline["p"].to_numpy(dtype="float64"), headline["group_p"].to_numpy("float64")
    return [str(e) for e in pd.unique(headline["event_id"][(p < LEVEL) | (group < LEVEL)])]


def headline_sentences(
    headline: pd.DataFrame, window: tuple[int, int], limit: int | None = None
) -> list[tuple[str, str]]:
    """``(event id, sentence)`` in plain words per event significant at :data:`LEVEL`, the
    smallest p first: which securities moved, by how much, over which window, how sure.

    ``headline`` is :func:`headline_frame` (built from car.csv and tests.csv); ``limit``
    the most sentences (the first events of :func:`significant_events`).
    """
    a, b = window
    span = f"day {a:+d}" if a == b else f"days {a:+d} to {b:+d}"
    chosen = significant_events(headline)[:limit]
    rows = headline[headline["event_id"].isin(chosen)]
    return [(str(e), _sentence(str(e), g, span)) for e, g in rows.groupby("event_id", sort=False)]
