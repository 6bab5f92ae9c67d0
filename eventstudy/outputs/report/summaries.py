"""What the command line prints: ``eventstudy run --json`` and the terminal table.

:func:`json_summary` lists every CAR row of the default window (its contract), built
column-wise; :func:`rich_table` shows at most :data:`RICH_EVENTS` events, the most
significant, so the terminal stays readable at any study size.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.outputs.report import markup
from eventstudy.outputs.report.markup import rows_of
from eventstudy.outputs.report.tables import default_window
from eventstudy.pipeline.summary import stars

if TYPE_CHECKING:
    from rich.table import Table

    from eventstudy.pipeline.results import RunResult

RICH_TICKERS = 8
"""Above this many securities the terminal table has one row per event, not a grid."""
RICH_EVENTS = 30
"""Most events (rows) in the terminal table: the smallest CAR p first when cut."""


def _finite(values: pd.Series) -> list[float | None]:
    """Floats for JSON: NaN and infinities become None."""
    x = values.to_numpy(dtype=float)
    out = x.astype(object)
    out[~np.isfinite(x)] = None
    return out.tolist()


def car_rows(result: RunResult, window: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The CAR rows of one window (default ``[0, +1]``) as JSON-ready dicts."""
    window = window or default_window(result)
    rows = result.car_window(*window)
    start, end = int(window[0]), int(window[1])
    values = zip(
        rows["event_id"].tolist(),
        rows["ticker"].tolist(),
        rows["day0"].tolist(),
        *(_finite(rows[c]) for c in ("car", "car_se", "car_t", "car_p")),
        map(stars, rows["car_p"].astype(float).tolist()),
        strict=True,
    )
    return [
        {
            "event_id": event_id,
            "ticker": ticker,
            "day0": day0,
            "window": [start, end],
            "car": car,
            "car_se": se,
            "car_t": t,
            "car_p": p,
            "stars": mark,
        }
        for event_id, ticker, day0, car, se, t, p, mark in values
    ]


def json_summary(result: RunResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """What ``eventstudy run --json`` prints: folder, files, counts, CAR[0,+1] rows."""
    window = default_window(result)
    return run_record(result, folder, written) | {
        "window": list(window),
        "car": car_rows(result, window),
    }


def run_record(result: RunResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """The part of ``--json`` every run has: study, folder, files, counts, skipped pairs
    (an intraday run's result too, :mod:`eventstudy.cli.intraday_json`)."""
    keys = ("event_id", "ticker", "reason")
    return {
        "study": result.study.study.name,
        "folder": str(folder),
        "synthetic": result.synthetic,
        "files": sorted(
            str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p)
            for p in written.values()
        ),
        "counts": {
            "events": len(result.event_ids),
            "pairs": len(result.alignments),
            "estimated": len(result.models),
            "skipped": len(result.skipped),
            "files": len(written),
        },
        "skipped": [dict(zip(keys, row, strict=True)) for row in rows_of(result.skipped, keys)],
    }


def _shown_events(result: RunResult, rows: pd.DataFrame) -> tuple[list[str], str]:
    """At most :data:`RICH_EVENTS` events (file order), the smallest CAR p kept, and a
    caption line saying so when some are left out."""
    ids = pd.Index(result.event_ids)
    if len(ids) <= RICH_EVENTS:
        return list(ids), ""
    smallest = rows.groupby("event_id", sort=False)["car_p"].min().reindex(ids).fillna(2.0)
    keep = np.sort(np.argsort(smallest.to_numpy(), kind="stable")[:RICH_EVENTS])
    note = (
        f"\nShowing {RICH_EVENTS} of {markup.count(len(ids))} events (smallest CAR p, in file "
        "order); every pair is in car.csv"
    )
    return list(ids[keep]), note


def rich_table(result: RunResult, window: tuple[int, int] | None = None) -> Table:
    """A compact event x security table of CAR (%), t and stars for the terminal.

    With more than :data:`RICH_TICKERS` securities, one row per event instead: pairs,
    mean and median CAR, and the share of pairs significant at 5% by sign. Either way
    at most :data:`RICH_EVENTS` events.
    """
    from rich.text import Text

    window = window or default_window(result)
    rows = result.car_window(*window)
    tickers = list(dict.fromkeys(a.ticker for a in result.alignments))
    events, cut = _shown_events(result, rows)
    if len(tickers) > RICH_TICKERS:
        return _rich_event_table(result, rows, window, events, cut)
    skipped = result.skipped[result.skipped["event_id"].isin(events)]
    skipped_pairs = set(zip(skipped["event_id"], skipped["ticker"], strict=True))
    mine = rows[rows["event_id"].isin(events)]
    cells = {(r.event_id, r.ticker): r for r in mine.itertuples(index=False)}
    table = _terminal_table(
        result,
        f"CAR{markup.window(*window)} in % (t) per event and security",
        "* p<0.10  ** p<0.05  *** p<0.01 (MacKinlay t, n_est-2 df)" + cut,
    )
    table.add_column("event", no_wrap=True)
    for ticker in tickers:
        table.add_column(ticker, justify="right", no_wrap=True)
    for event_id in events:
        row: list[Text | str] = [event_id]
        for ticker in tickers:
            r = cells.get((event_id, ticker))
            if r is None:
                missing = "skipped" if (event_id, ticker) in skipped_pairs else ""
                row.append(Text(missing, style="dim"))
                continue
            mark = stars(float(r.car_p))
            style = "red" if r.car < 0 else "green"
            text = Text(f"{r.car * 100:+.2f}", style=style + (" bold" if mark else ""))
            text.append(f" ({r.car_t:.1f})", style="dim")
            text.append(f"{mark:<3}", style="bold yellow")
            row.append(text)
        table.add_row(*row)
    return table


def _terminal_table(result: RunResult, title: str, caption: str) -> Table:
    """An empty rich table in the house style (title flagged when the data are synthetic)."""
    from rich.table import Table

    flag = " · SYNTHETIC data" if result.synthetic else ""
    return Table(title=title + flag, caption=caption, header_style="bold", pad_edge=False, box=None)


def _rich_event_table(
    result: RunResult, rows: pd.DataFrame, window: tuple[int, int], events: list[str], cut: str
) -> Table:
    """Per-event summary of a wide study's CARs for the terminal."""
    table = _terminal_table(
        result,
        f"CAR{markup.window(*window)} per event across securities",
        "significant: MacKinlay t, p<0.05; the tests of the CAAR are in tests.csv" + cut,
    )
    for name in ("event", "pairs", "mean CAR %", "median CAR %", "sig. +", "sig. -"):
        table.add_column(name, justify="left" if name == "event" else "right", no_wrap=True)
    mine = rows[rows["event_id"].isin(events)]
    significant = mine["car_p"] < 0.05
    stats = (
        mine.assign(up=significant & (mine["car"] > 0), down=significant & (mine["car"] < 0))
        .groupby("event_id", sort=False)
        .agg(
            pairs=("car", "size"),
            mean=("car", "mean"),
            median=("car", "median"),
            up=("up", "mean"),
            down=("down", "mean"),
        )
    )
    for event_id in events:
        if event_id not in stats.index:
            table.add_row(event_id, "0", "", "", "", "")
            continue
        s = stats.loc[event_id]
        table.add_row(
            event_id,
            str(int(s["pairs"])),
            f"{s['mean'] * 100:+.2f}",
            f"{s['median'] * 100:+.2f}",
            f"{s['up']:.0%}",
            f"{s['down']:.0%}",
        )
    return table
