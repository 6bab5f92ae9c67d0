"""The data of a second-stage regression: one window's CARs with what explains them.

:func:`regression_frame` merges three sources into one row per (event, security):

1. ``car.csv``'s rows of the chosen CAR window (``car``, ``car_se``, ``car_t``, ``beta``,
   ``sigma``, ``n_est`` ...);
2. the event's fields and attributes (:attr:`eventstudy.measures.record.StudyRecord.events`:
   ``category``, ``title``, the extra columns of an events table, ``attributes:`` of a
   YAML event), on ``event_id``;
3. a characteristics table (``study.characteristics`` or a DataFrame): column
   ``ticker`` and optionally ``event_id`` (one row per pair) or ``date`` (the value in
   force at day 0 is the ticker's last row dated on or before day 0), then any
   variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.measures.record import StudyRecord

__all__ = ["load_characteristics", "regression_frame", "study_characteristics"]


def load_characteristics(path: str | Path, base: Path | None = None) -> pd.DataFrame:
    """Read a characteristics CSV (``ticker`` [, ``event_id`` | ``date``], variables...).

    Parameters
    ----------
    path
        The file; relative to ``base`` (the events file's folder) when not absolute.
    base
        Folder of the events file.

    Raises
    ------
    EventStudyError
        The file is missing or unreadable, or lacks a ``ticker`` column.
    """
    where = Path(path)
    if base is not None and not where.is_absolute():
        where = base / where
    try:
        frame = pd.read_csv(where, skipinitialspace=True)
    except FileNotFoundError:
        raise EventStudyError("characteristics file not found", file=where) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise EventStudyError(f"cannot read the characteristics file ({exc})", file=where) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return check_characteristics(frame, str(where))


def study_characteristics(result: StudyRecord) -> pd.DataFrame | None:
    """The study's ``characteristics`` file, read once per run (None: the study has none)."""
    path = result.study.study.characteristics
    if path is None:
        return None
    if "characteristics" not in result._tests_cache:
        base = result.study.path.parent if result.study.path else None
        result._tests_cache["characteristics"] = load_characteristics(path, base)
    return result._tests_cache["characteristics"]


def check_characteristics(frame: pd.DataFrame, file: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a characteristics table: ``ticker``, at most one key, parseable dates."""
    if "ticker" not in frame.columns:
        raise EventStudyError(
            "the characteristics table needs a 'ticker' column", file=file, field="ticker"
        )
    if "event_id" in frame.columns and "date" in frame.columns:
        raise EventStudyError(
            "the characteristics table has both 'event_id' and 'date': give one key "
            "(event_id: a value per pair; date: the value in force at day 0)",
            file=file,
            field="date",
        )
    frame = frame.copy()
    frame["ticker"] = frame["ticker"].astype(str)
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], format="ISO8601", errors="coerce")
        bad = frame.index[dates.isna()]
        if len(bad):
            raise EventStudyError(
                f"'{frame.loc[bad[0], 'date']}' is not a date YYYY-MM-DD (line {bad[0] + 2})",
                file=file,
                field="date",
            )
        frame["date"] = dates.astype("datetime64[ns]")
    keys = ["ticker"] + [k for k in ("event_id", "date") if k in frame.columns]
    twice = frame.duplicated(keys, keep=False)
    if twice.any():
        first = frame.loc[twice].iloc[0]
        raise EventStudyError(
            f"two rows for {', '.join(f'{k}={first[k]}' for k in keys)}: one row per key",
            file=file,
            field=keys[-1],
        )
    return frame


def regression_frame(
    result: StudyRecord,
    window: tuple[int, int],
    characteristics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One window's ``car.csv`` rows merged with event fields and characteristics.

    Parameters
    ----------
    result
        The study run.
    window
        The CAR window, one of ``study.car_windows``.
    characteristics
        A table checked by :func:`check_characteristics`, or None.

    Returns
    -------
    pandas.DataFrame
        ``car.csv``'s columns for the window, then the event columns that ``car.csv``
        lacks, then the characteristics' variables (missing where none applies).

    Raises
    ------
    EventStudyError
        The window is not a CAR window of the study; a characteristics column repeats
        a ``car.csv`` or event column.
    """
    frame = result.car_window(*window)  # raises for a window the run did not compute
    events = result.events
    extra = [c for c in events.columns if c not in frame.columns and c != "event_id"]
    frame = frame.merge(events[["event_id", *extra]], on="event_id", how="left")
    if characteristics is None:
        return frame
    keys = ["ticker"] + [k for k in ("event_id", "date") if k in characteristics.columns]
    clash = [c for c in characteristics.columns if c not in keys and c in frame.columns]
    if clash:
        raise EventStudyError(
            f"characteristics column '{clash[0]}' is also a column of car.csv or of the "
            "events: rename it",
            field=clash[0],
        )
    if "date" not in characteristics.columns:
        return frame.merge(characteristics, on=keys, how="left")
    left = frame.assign(_day0=pd.to_datetime(frame["day0"]).astype("datetime64[ns]"))
    left = left.reset_index(names="_row").sort_values("_day0", kind="stable")
    right = characteristics.sort_values("date", kind="stable")
    merged = pd.merge_asof(
        left, right, left_on="_day0", right_on="date", by="ticker", direction="backward"
    )
    merged = merged.sort_values("_row").drop(columns=["_row", "_day0", "date_y"], errors="ignore")
    return merged.rename(columns={"date_x": "date"}).reset_index(drop=True)
