"""Interactive tables of the report: every row as compact JSON, drawn by the page's script.

:func:`data_table` turns a DataFrame into a ``<div class=grid>`` and a ``<script
type="application/json">`` block holding its columns (not HTML rows): numbers rounded
to what is shown, repeated strings as a dictionary and codes. The page's script
(:mod:`eventstudy.outputs.report.script`) sorts, searches and pages them, so a table
keeps all its rows at 20,000 events in a few MB.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.outputs.report.markup import count, esc

KINDS = ("text", "event", "int", "num", "p", "stars", "yesno")
"""How the script shows a column: plain text, an event id (a link to its page when it
has one), an integer, a number with ``digits`` decimals, a p-value, the stars of the
p-value column named by ``key``, yes/no."""
PAGE_ROWS = 25
"""Rows per page of a table."""


@dataclass(frozen=True)
class Column:
    """One column of a :func:`data_table`.

    Parameters
    ----------
    key
        The frame's column (for ``stars``: the p-value column the stars are of).
    label
        Its header.
    kind
        One of :data:`KINDS`.
    digits
        Decimals of a ``num`` column (the JSON holds the rounded value).
    scale
        Multiplies a ``num`` column first (100 for percent).
    search
        The search box looks in this column (event ids, tickers, groups).
    """

    key: str
    label: str
    kind: str = "text"
    digits: int = 2
    scale: float = 1.0
    search: bool = False


def _numbers(values: np.ndarray, digits: int | None) -> str:
    """A JSON list of ``values`` rounded to ``digits`` decimals (None: 3 significant
    digits), null where not finite."""
    finite = np.isfinite(values)
    if digits is None:
        texts = [
            f"{v:.3g}" if ok else "null"
            for v, ok in zip(values.tolist(), finite.tolist(), strict=True)
        ]
        return "[" + ",".join(texts) + "]"
    if digits == 0 and finite.all():
        return json.dumps(values.astype("int64").tolist(), separators=(",", ":"))
    text = json.dumps(np.round(values, digits).tolist(), separators=(",", ":"))
    return text.replace("NaN", "null").replace("-Infinity", "null").replace("Infinity", "null")


def _strings(values: pd.Series) -> str:
    """A JSON list of strings, or ``{"u": uniques, "i": codes}`` when values repeat."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = ["" if v is None else str(v) for v in uniques.tolist()]
    if len(uniques) * 2 > len(values):
        words = ["" if c < 0 else texts[c] for c in codes.tolist()]
        return json.dumps(words, ensure_ascii=False, separators=(",", ":"))
    if (codes < 0).any():
        texts.append("")
        codes = np.where(codes < 0, len(texts) - 1, codes)
    unique = json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
    return f'{{"u":{unique},"i":[{",".join(map(str, codes.tolist()))}]}}'


def _values(column: Column, values: pd.Series) -> str:
    if column.kind in ("text", "event"):
        return _strings(values)
    if column.kind == "yesno":
        return json.dumps([None if v is None or v != v else bool(v) for v in values.tolist()])
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    if column.kind == "int":
        return _numbers(numbers, 0)
    if column.kind == "p":
        return _numbers(numbers, None)
    return _numbers(numbers * column.scale, column.digits)


def _safe(text: str) -> str:
    """JSON text that cannot end or re-open its ``<script>`` element (``<`` only occurs
    inside strings, where ``\\u003c`` reads the same)."""
    return text.replace("<", "\\u003c")


def table_json(frame: pd.DataFrame, columns: Sequence[Column]) -> str:
    """The JSON text of a table: ``{"c": [[label, kind, digits, search, stars-of], ...],
    "v": [values of each column]}`` (the ``stars`` columns carry no values)."""
    keys = [c.key for c in columns]
    heads = [
        [c.label, c.kind, c.digits, int(c.search), keys.index(c.key) if c.kind == "stars" else -1]
        for c in columns
    ]
    values = ["0" if c.kind == "stars" else _values(c, frame[c.key]) for c in columns]
    head = json.dumps(heads, ensure_ascii=False, separators=(",", ":"))
    return _safe(f'{{"c":{head},"v":[{",".join(values)}]}}')


def data_table(
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    sort: tuple[str, bool] | None = None,
    caption: str = "",
    rows: int = PAGE_ROWS,
) -> str:
    """A sortable, searchable, paged table of every row of ``frame``.

    Parameters
    ----------
    name
        Unique on the page (the ids ``grid-<name>``).
    frame
        The rows; the columns named by ``columns`` must exist (missing ones are left out).
    columns
        What to show, in order.
    sort
        ``(label, descending)`` the table is first sorted by; None keeps the frame's order.
    caption
        Escaped HTML shown above the table.
    rows
        Rows per page.
    """
    shown = [c for c in columns if c.key in frame.columns]
    labels = [c.label for c in shown]
    order = "" if sort is None else f" data-sort={labels.index(sort[0])} data-desc={int(sort[1])}"
    order += f" data-rows={rows}" if rows != PAGE_ROWS else ""
    fallback = (
        f"<noscript><p class=meta>{count(len(frame))} rows: this table needs JavaScript; "
        "the CSV files hold every row.</p></noscript>"
    )
    return (
        f"<div class=grid id='grid-{esc(name)}'{order}>{caption}{fallback}</div>"
        f"<script type='application/json' id='grid-{esc(name)}-data'>"
        f"{table_json(frame, shown)}</script>"
    )


def links_json(events: Collection[str], base: str = "") -> str:
    """The ``<script type=application/json id=event-pages>`` block: the events that have
    a page (``<base><event_id>/report.html``)."""
    text = json.dumps({"base": base, "ids": sorted(events)}, ensure_ascii=False)
    return f"<script type='application/json' id='event-pages'>{_safe(text)}</script>"
