"""The plain summary of a run: a header of facts, the CARs of one window, notes.

:func:`summarise` builds the :class:`Summary` that ``StudyRecord.summary()`` returns,
``summary.txt`` holds and the command line prints; it lists at most
:data:`SUMMARY_ROWS` pairs (the smallest p) and names at most :data:`SUMMARY_SKIPPED`
skipped pairs, so it stays readable at any study size.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.core.settings import DEFAULT_NAME
from eventstudy.core.words import plural

if TYPE_CHECKING:
    from eventstudy.measures.record import StudyRecord

SYNTHETIC_NOTE = "SYNTHETIC DATA: demo prices with planted effects, not market data."
UNNAMED = f"unnamed (saved as {DEFAULT_NAME}/; name=... names it)"
SUMMARY_ROWS = 200
"""A summary lists at most this many pairs (the smallest p); car.csv holds all."""
SUMMARY_SKIPPED = 50
"""A summary names at most this many skipped pairs; skipped.csv holds all."""


def stars(p: float) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.10."""
    if p != p:  # NaN
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


@dataclass(frozen=True)
class Summary:
    """A printable summary of a run; text in a terminal, HTML in a notebook."""

    header: list[tuple[str, str]]
    table: pd.DataFrame
    window: tuple[int, int]
    notes: list[str]

    def as_text(self) -> str:
        """Plain-text rendering."""
        width = max(len(k) for k, _ in self.header)
        lines = [f"{k.ljust(width)}  {v}" for k, v in self.header]
        lines.append("")
        lines.append(
            f"CAR[{self.window[0]:+d},{self.window[1]:+d}] per event and security "
            "(MacKinlay s.e., t with n_est-2 df)"
        )
        lines.append(self.table.to_string(index=False) if len(self.table) else "(no estimates)")
        lines += ["", *self.notes] if self.notes else []
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML rendering (a definition list and a table)."""
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self.header
        )
        table = self.table.to_html(index=False, border=0) if len(self.table) else ""
        notes = "".join(f"<p><b>{html.escape(n)}</b></p>" for n in self.notes)
        caption = f"CAR[{self.window[0]:+d},{self.window[1]:+d}] per event and security"
        return f"<table>{head}</table><h4>{caption}</h4>{table}{notes}"

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


def summarise(result: StudyRecord, window: tuple[int, int] | None = None) -> Summary:
    """Summary of the run and the CARs of one window (see ``RunResult.summary``)."""
    windows = [tuple(w) for w in result.study.study.car_windows]
    if window is None:
        window = (0, 1) if (0, 1) in windows else windows[0]
    rows = result.car_window(*window)
    notes = [SYNTHETIC_NOTE] if result.synthetic else []
    if len(rows) > SUMMARY_ROWS:
        notes.append(
            f"Showing the {SUMMARY_ROWS} of {len(rows)} pairs with the smallest p "
            "(in file order); every pair is in car.csv."
        )
        rows = rows.loc[rows["car_p"].sort_values(kind="stable").index[:SUMMARY_ROWS]]
        rows = rows.sort_index()
    table = pd.DataFrame(
        {
            "event": rows["event_id"],
            "ticker": rows["ticker"],
            "day0": rows["day0"],
            "CAR %": (rows["car"] * 100).round(2),
            "se %": (rows["car_se"] * 100).round(2),
            "t": rows["car_t"].round(2),
            "p": rows["car_p"].round(4),
            "": [stars(p) for p in rows["car_p"]],
        }
    )
    if "car_p_sq" in rows:
        from eventstudy.models.sample_quantile import sq_notes, sq_summary_columns

        table = sq_summary_columns(table, rows)
        notes += sq_notes(result.car, rows)
    s = result.study.study
    header = [
        ("Study", s.title or (s.name if s.name != DEFAULT_NAME else UNNAMED)),
        ("Data", f"{result.prices.source}" + (" (SYNTHETIC)" if result.synthetic else "")),
        ("Model", _models_line(result.models, s.model, s.benchmark)),
        ("Windows", f"estimation {list(s.estimation_window)}, event {list(s.event_window)}"),
        ("Events", f"{len(result.event_ids)}"),
        ("Pairs estimated", f"{len(result.models)}"),
        ("Pairs skipped", f"{len(result.skipped)}"),
    ]
    if len(s.measures) > 1:  # the measures beyond returns (eventstudy.measures.volume, ...)
        named = [f"volume ({s.volume_model})" if m == "volume" else m for m in s.measures]
        header.insert(3, ("Measures", ", ".join(named)))
    notes += result.placebo.notes if result.placebo is not None else []
    notes += [
        f"skipped {r.event_id}/{r.ticker}: {r.reason}"
        for r in result.skipped.head(SUMMARY_SKIPPED).itertuples()
    ]
    if len(result.skipped) > SUMMARY_SKIPPED:
        notes.append(f"... and {len(result.skipped) - SUMMARY_SKIPPED} more in skipped.csv")
    return Summary(header, table, (int(window[0]), int(window[1])), notes)


def _models_line(models: pd.DataFrame, default: str, benchmark: str) -> str:
    """'market model vs SPY', or the mix of models and benchmarks actually used."""
    if models.empty:
        return f"{default} model vs {benchmark}"
    used = models.groupby(["model", "benchmark"], sort=False).size()
    return "; ".join(f"{m} model vs {b} ({plural(n, 'pair')})" for (m, b), n in used.items())
