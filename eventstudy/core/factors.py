"""Factor returns from a CSV file (e.g. Kenneth French's daily Fama-French factors).

The file has a date column (``date``/``Date``, ISO ``YYYY-MM-DD`` or ``YYYYMMDD`` as
in French's files) and one column per factor holding *returns* (not prices). ``scale``
converts units (0.01 for files in percent). The risk-free column, if named, turns the
factor model into an excess-return model: security and benchmark returns minus the
risk-free rate are regressed on the factors.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from eventstudy.core.errors import PriceDataError


class FactorsFile(BaseModel):
    """``study.factors_file`` in events.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    columns: list[str] = Field(min_length=1)
    risk_free: str | None = None
    scale: float = Field(default=1.0, gt=0)


def load_factor_returns(spec: FactorsFile, base: Path | None = None) -> dict[str, pd.Series]:
    """Read the factor columns (and the risk-free column) as return series by date.

    Raises
    ------
    PriceDataError
        Missing file or columns, unparseable dates, duplicate dates, non-numeric values.
    """
    path = Path(spec.path)
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        raw = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except FileNotFoundError:
        raise PriceDataError("factors file not found", file=path) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise PriceDataError(f"cannot read the factors file ({exc})", file=path) from None
    by_name = {c.strip().lower(): c for c in raw.columns}
    date_col = by_name.get("date") or raw.columns[0]
    wanted = [*spec.columns, *([spec.risk_free] if spec.risk_free else [])]
    absent = [c for c in wanted if c not in raw.columns]
    if absent:
        raise PriceDataError(
            f"columns {absent} not in the factors file", file=path, field=absent[0]
        )
    text = raw[date_col].str.strip()
    dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    compact = text.str.fullmatch(r"\d{8}")
    dates[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    if dates.isna().any():
        bad = text[dates.isna()].iloc[0]
        raise PriceDataError(f"unparseable date {bad!r}", file=path, field=date_col)
    if dates.duplicated().any():
        dup = dates[dates.duplicated()].iloc[0]
        raise PriceDataError(f"duplicate date {dup:%Y-%m-%d}", file=path, field=date_col)
    out = {}
    for column in wanted:
        values = pd.to_numeric(raw[column], errors="coerce")
        bad = raw[column][values.isna() & raw[column].notna() & (raw[column].str.strip() != "")]
        if len(bad):
            raise PriceDataError(f"non-numeric value {bad.iloc[0]!r}", file=path, field=column)
        out[column] = pd.Series(values.to_numpy() * spec.scale, index=pd.DatetimeIndex(dates))
    return out
