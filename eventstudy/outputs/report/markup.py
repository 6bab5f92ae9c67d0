"""HTML primitives of the report: escaping, numbers, tables, links, capped lists.

Every string that comes from the events file or the data goes through :func:`esc`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np

from eventstudy.pipeline.summary import stars

if TYPE_CHECKING:
    import pandas as pd

DASH = "&ndash;"


def esc(value: object) -> str:
    """HTML-escape any value (quotes too); None becomes an empty string."""
    return "" if value is None else html.escape(str(value), quote=True)


def num(value: object, digits: int = 2, scale: float = 1.0) -> str:
    """A number with ``digits`` decimals (times ``scale``), a true minus sign, or a dash."""
    try:
        x = float(value) * scale  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if not np.isfinite(x):
        return DASH
    return f"{x:.{digits}f}".replace("-", "&minus;")


def pvalue(value: object) -> str:
    """A p-value with four decimals (``<0.0001`` below), or a dash."""
    try:
        p = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if not np.isfinite(p):
        return DASH
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def count(n: int) -> str:
    """An integer with thousands separators: ``19,950``."""
    return f"{int(n):,}"


def window(start: object, end: object) -> str:
    """``[+0,+1]``: a window of relative days."""
    return f"[{int(start):+d},{int(end):+d}]"  # type: ignore[call-overload]


def stars_html(p: object) -> str:
    """The significance stars of a p-value, marked up (empty when not significant)."""
    try:
        mark = stars(float(p))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return f"<span class=sig>{mark}</span>" if mark else ""


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    marked: Sequence[bool] | None = None,
) -> str:
    """An HTML table from already-escaped cells; ``marked`` rows get ``class=warn``."""
    numeric = numeric or [False] * len(header)
    marks = iter(marked) if marked is not None else None
    head = "".join(
        f"<th{' class=num' if n else ''}>{h}</th>" for h, n in zip(header, numeric, strict=True)
    )
    body = "".join(
        ("<tr class=warn>" if marks is not None and next(marks) else "<tr>")
        + "".join(
            f"<td{' class=num' if n else ''}>{c}</td>" for c, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def url_link(url: str | None) -> str:
    """A link for http(s) URLs; anything else (``javascript:`` ...) as escaped text."""
    if not url:
        return DASH
    if urlsplit(url).scheme in {"http", "https"}:
        return f"<a href='{esc(url)}' rel='noopener noreferrer'>{esc(url)}</a>"
    return esc(url)


def listed(items: Sequence[str], total: int | None = None, limit: int = 10) -> str:
    """Plain text ``"a, b, c and 17 more"``: at most ``limit`` of ``total`` items named."""
    total = len(items) if total is None else total
    shown = ", ".join(items[:limit])
    return f"{shown} and {count(total - min(limit, len(items)))} more" if total > limit else shown


def rows_of(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """The values of ``columns``, row by row, as plain Python tuples (much faster than
    ``itertuples`` on Arrow-backed string columns)."""
    return zip(*(frame[c].tolist() for c in columns), strict=True)
