"""The report's warnings: what a reader must know before trusting the numbers.

Each kind of warning that grows with the study (skipped pairs, missing prices,
confounded windows, overlapping events) lists at most :data:`WARNING_LIMIT` items, then
one line counting the rest and naming the file that holds them; shared day-0 dates
are one warning, with their count and the most crowded dates. The lists are found
with pandas over all pairs; text is built only for the items shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import count, listed, window
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

WARNING_LIMIT = 20
"""Items listed per kind of warning; the rest are counted."""
NAMED = 10
"""Events or securities named inside one warning; the rest are counted."""

WarningItem = tuple[str, str]
"""``(kind, message)``, plain text."""


def _capped(kind: str, messages: list[str], total: int, where: str) -> list[WarningItem]:
    """``messages`` (at most :data:`WARNING_LIMIT` of ``total``) and a line for the rest."""
    items = [(kind, m) for m in messages[:WARNING_LIMIT]]
    if total > len(items):
        items.append((kind, f"... and {count(total - len(items))} more, see {where}"))
    return items


def _pairs(result: RunResult) -> pd.DataFrame:
    """One row per estimated pair: event_id, ticker, day0."""
    return result.car.drop_duplicates(["event_id", "ticker"])[["event_id", "ticker", "day0"]]


def shared_day0s(result: RunResult) -> pd.DataFrame:
    """Calendar day-0 dates shared by more than one event, the most crowded first.

    Returns one row per date: ``day0``, ``events`` (count), ``pairs`` (count).
    """
    pairs = _pairs(result)
    by_date = pairs.groupby("day0", sort=True).agg(
        events=("event_id", "nunique"), pairs=("event_id", "size")
    )
    shared = by_date[by_date["events"] > 1].reset_index()
    return shared.sort_values("events", ascending=False, kind="stable").reset_index(drop=True)


CROWDED = 3
"""Shared day-0 dates named in the clustering warning (the most crowded); the rest counted."""
IGNORE_CLUSTERING = (
    "tests that treat pairs as independent (cs_t, patell_z, bmp_t and the CAAR band) "
    "overstate significance; the Kolari-Pynnönen adjusted tests (kp_patell_z, kp_bmp_t), "
    "calendar-time portfolios and regressions clustered by day0 allow for it"
)


def _clustering(result: RunResult) -> list[WarningItem]:
    """One warning: how many pairs share day-0 dates, and what that means for the tests.

    Pairs on one date have abnormal returns from the same market days, hence
    cross-correlated (Kolari & Pynnönen 2010); that holds for different securities as
    for one event's several securities.
    """
    shared = shared_day0s(result)
    all_pairs = _pairs(result)
    n_pairs, n_dates = len(all_pairs), all_pairs["day0"].nunique()
    if n_pairs <= n_dates:
        return []
    crowded = shared.head(CROWDED)
    pairs = all_pairs[all_pairs["day0"].isin(crowded["day0"])]
    events = pairs.drop_duplicates(["day0", "event_id"]).groupby("day0", sort=False)["event_id"]
    names = {day0: list(ids.head(NAMED)) for day0, ids in events}
    head = f"{count(n_pairs)} estimated pairs fall on {count(n_dates)} distinct day-0 dates"
    if len(shared):
        most = "; ".join(
            f"{r.day0}: {count(r.events)} events ({listed(names[r.day0], r.events)}), "
            f"{count(r.pairs)} pairs"
            for r in crowded.itertuples(index=False)
        )
        more = f"; and {count(len(shared) - CROWDED)} more dates" if len(shared) > CROWDED else ""
        head += (
            f", {count(len(shared))} of them shared by several events (the most crowded: "
            f"{most}{more}; every pair's day 0 is in car.csv)"
        )
    message = (
        f"{head}. Abnormal returns on one date come from the same market days and are "
        f"cross-correlated across the pairs, so {IGNORE_CLUSTERING}"
    )
    return [("event-date clustering", message)]


def _confounded(car: pd.DataFrame) -> list[WarningItem]:
    """Per event: the CAR windows that also hold another event's day 0, and which."""
    flagged = car[car["confounders"].fillna("").astype(str).str.len() > 0]
    events = pd.unique(flagged["event_id"])
    shown = flagged[flagged["event_id"].isin(events[:WARNING_LIMIT])]
    messages = []
    for event_id, rows in shown.groupby("event_id", sort=False):
        parts = []
        for (start, end), group in rows.groupby(["window_start", "window_end"], sort=False):
            others = list(dict.fromkeys(o for v in group["confounders"] for o in v.split(";")))
            tickers = list(dict.fromkeys(group["ticker"]))
            parts.append(f"CAR{window(start, end)} ({listed(tickers)}): {listed(others)}")
        messages.append(f"{event_id}: other events' day 0 inside " + "; ".join(parts))
    return _capped("confounded windows", messages, len(events), "car.csv (confounders)")


def overlapping_windows(result: RunResult) -> pd.DataFrame:
    """Pairs whose event window holds another run event's day 0 for the same security.

    Returns one row per hit: ``event_id``, ``ticker``, ``other`` (the other event) and
    ``rel_day``, where the other event's day 0 falls in this pair's window.
    """
    ar = result.abnormal_returns
    columns = ["event_id", "ticker", "other", "rel_day"]
    if ar.empty:
        return pd.DataFrame(columns=columns)
    day0 = _pairs(result).rename(columns={"event_id": "other", "day0": "date"})
    merged = ar[["event_id", "ticker", "rel_day", "date"]].merge(day0, on=["ticker", "date"])
    return merged.loc[merged["other"] != merged["event_id"], columns].reset_index(drop=True)


def _overlaps(result: RunResult) -> list[WarningItem]:
    """Pairs of run events whose day 0s fall inside each other's event windows."""
    hits = overlapping_windows(result)
    hits = hits[hits["rel_day"] > 0]  # each unordered pair once, from the earlier event
    keys = hits[["event_id", "other"]].drop_duplicates()
    shown = hits.merge(keys.head(WARNING_LIMIT), on=["event_id", "other"])
    messages = []
    for (event_id, other), rows in shown.groupby(["event_id", "other"], sort=False):
        apart = "; ".join(
            f"{day} sessions apart ({listed(list(group['ticker']))})"
            for day, group in rows.groupby("rel_day", sort=False)
        )
        messages.append(
            f"{other} has its day 0 inside the event window of {event_id}, and the "
            f"other way round: {apart}"
        )
    return _capped("overlapping events", messages, len(keys), "abnormal_returns.csv")


def warnings_list(result: RunResult) -> list[WarningItem]:
    """Every kind of warning of a run as ``(kind, message)``, each list capped."""
    items: list[WarningItem] = []
    if result.synthetic:
        items.append(("synthetic data", SYNTHETIC_NOTE))
    skipped = result.skipped
    items += _capped(
        "skipped pair",
        [
            f"{r.event_id} / {r.ticker}: {r.reason}"
            for r in skipped.head(WARNING_LIMIT).itertuples(index=False)
        ],
        len(skipped),
        "skipped.csv",
    )
    missing = getattr(result.prices, "missing", {})
    items += _capped(
        "missing prices",
        [
            f"{ticker}: {getattr(missing[ticker], 'reason', missing[ticker])}"
            for ticker in sorted(missing)[:WARNING_LIMIT]
        ],
        len(missing),
        "skipped.csv",
    )
    items += _clustering(result)
    if "confounders" in result.car.columns:
        items += _confounded(result.car)
    else:
        items += _overlaps(result)
    messages = [str(m) for m in getattr(result, "warnings", None) or []]
    items += _capped("warning", messages, len(messages), "the result's warnings")
    return items
