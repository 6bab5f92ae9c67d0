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
    """A p-value: ``&lt; 0.0001``, four decimals below 0.001 (never ``0.000``), else
    three; a dash when missing."""
    try:
        p = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if not np.isfinite(p):
        return DASH
    if p < 0.0001:
        return "&lt; 0.0001"
    return f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def count(n: int) -> str:
    """An integer with thousands separators: ``19,950``."""
    return f"{int(n):,}"


def window(start: object, end: object) -> str:
    """``[0, +1]``, ``[-5, +5]``: a window of relative days (0 unsigned)."""
    days = (int(start), int(end))  # type: ignore[call-overload]
    return "[" + ", ".join(f"{d:+d}" if d else "0" for d in days) + "]"


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


LABELS = {
    "test": "Test",
    "validity": "For this design",
    "statistic": "Statistic",
    "distribution": "Reference",
    "clustered": "Pairs share dates",
    "event_id": "Event",
    "ticker": "Security",
    "window_start": "From",
    "window_end": "To",
    "p_value": "p",
    "p_holm": "p (Holm)",
    "p_bh": "p (BH)",
    "p_placebo": "p (placebo)",
    "valid_under_clustering": "Robust to shared dates",
    "n_est": "Estimation days",
    "n_pos": "CAR > 0",
    "n_neg": "CAR < 0",
    "df": "df",
    "avol": "Mean U",
    "avol_p": "p (F)",
    "avol_p_sq": "p (SQ)",
    "rejection_rate": "Rejection rate",
}
"""Human column names of the report's tables (the CSV files keep theirs)."""


def is_p(column: str) -> bool:
    """Whether a column holds p-values (``p``, ``p_value``, ``car_p_sq``, ``SQ p`` ...)."""
    c = column.lower()
    return c == "p" or c.startswith("p_") or c.endswith((" p", "_p")) or "_p_" in c


def column_cells(column: str, values: pd.Series, digits: int = 3) -> tuple[list[str], bool]:
    """The cells of one column and whether it is numeric (right-aligned).

    p-values by :func:`pvalue`; integers (and floats that are all whole numbers) as
    integers with thousands separators; other floats with ``digits`` decimals; the
    rest escaped text.
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(values.dtype):
        return ["yes" if v else "no" for v in values.tolist()], False
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return ["" if v is None or v != v else esc(v) for v in values.tolist()], False
    floats = values.to_numpy(dtype="float64")
    if is_p(column):
        return [pvalue(v) for v in floats.tolist()], True
    finite = floats[np.isfinite(floats)]
    if np.array_equal(finite, np.round(finite)):
        return [f"{int(v):,}" if np.isfinite(v) else DASH for v in floats.tolist()], True
    return [num(v, digits) for v in floats.tolist()], True


def frame_table(
    frame: pd.DataFrame, highlight: Sequence[bool] | None = None, digits: int = 3
) -> str:
    """An HTML table of ``frame``: :data:`LABELS` headings, :func:`column_cells` cells,
    numbers right-aligned; ``highlight`` marks rows (``class=warn``)."""
    columns = [str(c) for c in frame.columns]
    cells = [column_cells(c, frame[c], digits) for c in columns]
    header = [esc(LABELS.get(c, c)) for c in columns]
    numeric = [n for _, n in cells]
    rows = zip(*(c for c, _ in cells), strict=True) if columns else iter(())
    return table(header, rows, numeric, highlight)


def by_p(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` in order of ``column`` (a p-value), smallest first, missing last."""
    return frame.sort_values(column, kind="stable", na_position="last")


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
