"""The ``parquet`` price source: a long Parquet dataset, local or behind an fsspec URL.

``--source parquet --prices PATH`` (``study.run(source="parquet", prices=PATH)``) reads
prices in the long layout of the csv source: columns ``date``, ``ticker``,
``adj_close`` and optionally ``volume``, one row per ticker and date. ``PATH`` is

- a single Parquet file;
- a folder of Parquet files (a dataset, files starting with ``.`` or ``_`` ignored);
- a folder partitioned by ticker in the hive layout, ``ticker=BABA/part-0.parquet``
  (the partition values are decoded as pyarrow writes them: ``ticker=%5EGSPC`` is
  ``^GSPC``), with or without a ``ticker`` column inside the files;
- any of these as a URL: ``file://``, or a scheme of an fsspec filesystem
  (``s3://`` when ``s3fs`` is installed, ``memory://``, ...), or one pyarrow reads
  itself (``s3://``, ``gs://``, ``hdfs://``).

Only what the study needs is read: the partitions of the requested tickers (the other
partitions' files are not opened), the ``date``, ``ticker``, ``adj_close`` and
``volume`` columns, and, through pyarrow's predicate pushdown on the row-group
statistics, the rows of those tickers within the date span (a timestamp column is read
with a day's margin on either side, then cut to the span). So the checks see only the
rows read: a problem in a row of another ticker or outside the span is not reported.

Column names are matched as in the csv source (case-insensitive, spaces as
underscores, ``adjclose`` too). Dates may be Arrow dates, timestamps (a time of day is
ignored; a tz-aware timestamp counts as its local date) or ISO text. Prices and volumes
are numbers (integers, floats or decimals). The rows read get the csv source's checks
and messages: a missing or bad date, a repeated (date, ticker), a price that is not
positive, a negative volume raise a :class:`~eventstudy.errors.PriceDataError` naming
the file, the row (1-based, within that file), the date and the column; tickers not in
the data are absent from the table (the study skips their pairs); rows on dates that
are not sessions are flagged by the study as for every source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.types as pat

from eventstudy.data.base import PriceTable
from eventstudy.data.layouts import (
    PRICE_COLUMNS,
    Found,
    dates_of,
    load_long,
    parse_dates,
    price_table,
    vouched_long,
)
from eventstudy.errors import PriceDataError
from eventstudy.tabular import Table, normalise

NEEDS = "a long Parquet dataset needs 'date', 'ticker' and 'adj_close' columns"


def _filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of ``location`` and the path on it.

    A plain path is local; ``file://`` and the schemes fsspec does not know are given to
    pyarrow; the others go through fsspec (wrapped for pyarrow).
    """
    if "://" not in location:
        return pafs.LocalFileSystem(), str(Path(location).resolve())
    scheme = location.split("://", 1)[0]
    if scheme != "file":
        try:
            import fsspec

            fs, path = fsspec.core.url_to_fs(location)
        except ImportError as exc:  # fsspec, or the scheme's package (s3fs), is absent
            missing = str(exc)
        except ValueError:  # a scheme fsspec does not know
            missing = ""
        else:
            return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path
    else:
        missing = ""
    try:
        return pafs.FileSystem.from_uri(location)
    except (pa.ArrowException, OSError, ValueError) as exc:
        hint = f" ({missing})" if missing else ""
        raise PriceDataError(f"cannot open the URL: {exc}{hint}", file=location) from None


def _data_files(fs: pafs.FileSystem, root: str) -> list[str]:
    """The files of the dataset folder ``root``, skipping names starting with . or _."""
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    files = []
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        parts = PurePosixPath(info.path).relative_to(PurePosixPath(root)).parts
        if not any(p.startswith((".", "_")) for p in parts):
            files.append(info.path)
    return sorted(files)


def _partition_tickers(files: list[str], root: str) -> tuple[str, dict[str, str]] | None:
    """The hive key and each file's ticker when every file sits under ``ticker=VALUE``.

    None when no file does. A folder where only some files do is an error.
    """
    key, tickers, plain = None, {}, []
    for path in files:
        parts = PurePosixPath(path).relative_to(PurePosixPath(root)).parts[:-1]
        pairs = [p.split("=", 1) for p in parts if "=" in p]
        match = [(k, v) for k, v in pairs if normalise(k) == "ticker"]
        if match:
            key = match[0][0]
            tickers[path] = unquote(match[0][1])
        else:
            plain.append(path)
    if key is None:
        return None
    if plain:
        raise PriceDataError(
            f"the folder is partitioned by {key}=..., but this file is not in a {key}=... "
            "folder: keep one layout",
            file=plain[0],
        )
    return key, tickers


def _text_type(fs: pafs.FileSystem, path: str, key: str, location: str) -> pa.DataType:
    """The type the partition values get: text (``ticker=0700`` stays ``"0700"``), of
    the same kind as a ``ticker`` column inside the files, if they have one."""
    try:
        schema = ds.dataset(path, filesystem=fs, format="parquet").schema
    except (pa.ArrowException, OSError) as exc:
        raise _arrow_error(exc, location) from None
    inside = schema.field(key).type if key in schema.names else pa.string()
    return inside if pat.is_large_string(inside) or pat.is_string_view(inside) else pa.string()


def _arrow_error(exc: Exception, location: str) -> PriceDataError:
    """A pyarrow failure as one line naming the file (pyarrow's message names it)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return PriceDataError(f"not a readable Parquet dataset: {text}", file=location)


@dataclass(frozen=True)
class _Columns:
    """The dataset's column names for each role (``volume`` may be absent)."""

    date: str
    ticker: str
    price: str
    volume: str | None

    @property
    def names(self) -> list[str]:
        return [self.date, self.ticker, self.price] + ([self.volume] if self.volume else [])


def _columns(schema: pa.Schema, location: str) -> _Columns:
    """Find the long layout's columns in ``schema`` and check their types."""
    by_key: dict[str, str] = {}
    for name in schema.names:
        by_key.setdefault(normalise(name), name)
    header = ", ".join(schema.names)
    found = {}
    for role, keys in (("date", ("date",)), ("ticker", ("ticker",)), ("adj_close", PRICE_COLUMNS)):
        name = next((by_key[k] for k in keys if k in by_key), None)
        if name is None:
            raise PriceDataError(
                f"no '{role}' column: {NEEDS}; the columns are {header}",
                file=location,
                field=role,
            )
        found[role] = name
    columns = _Columns(found["date"], found["ticker"], found["adj_close"], by_key.get("volume"))

    def kind(name: str) -> pa.DataType:
        t = schema.field(name).type
        return t.value_type if pat.is_dictionary(t) else t

    def text(t: pa.DataType) -> bool:
        return pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t)

    def number(t: pa.DataType) -> bool:
        return pat.is_integer(t) or pat.is_floating(t) or pat.is_decimal(t)

    checks = [
        (columns.date, lambda t: pat.is_date(t) or pat.is_timestamp(t) or text(t), "dates"),
        (columns.ticker, text, "text (ticker symbols)"),
        (columns.price, number, "numbers (prices)"),
    ]
    if columns.volume:
        checks.append((columns.volume, number, "numbers (volumes)"))
    for name, ok, what in checks:
        if not ok(kind(name)):
            raise PriceDataError(
                f"the column holds {schema.field(name).type}, not {what}",
                file=location,
                field=name,
            )
    return columns


def _span_filter(
    schema: pa.Schema, columns: _Columns, tickers: list[str], start: date, end: date
) -> pc.Expression:
    """The pushdown filter: the requested tickers, within the span (dates of a timestamp
    column with a day's margin, for the time zone; text dates are not filtered), and
    their rows without a date (which the checks then name)."""
    wanted = pc.field(columns.ticker).isin(pa.array(tickers, pa.string()))
    day = pc.field(columns.date)
    kind = schema.field(columns.date).type
    if pat.is_date(kind):
        low, high = pa.scalar(start, kind), pa.scalar(end, kind)
        return wanted & (day.is_null() | ((day >= low) & (day <= high)))
    if pat.is_timestamp(kind):
        tz = UTC if kind.tz else None
        first = datetime(start.year, start.month, start.day, tzinfo=tz) - timedelta(days=1)
        after = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=2)
        low, high = pa.scalar(first, kind), pa.scalar(after, kind)
        return wanted & (day.is_null() | ((day >= low) & (day < high)))
    return wanted


def _session_dates(values: pd.Series) -> pd.Series:
    """Session dates of a date column as read (dates, timestamps or text); NaT if bad."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # the local wall time
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.normalize().astype("M8[ns]")
    texts = values.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return parse_dates(texts.astype("str").where(texts.notna(), ""))


def _frame(table: pa.Table, columns: _Columns) -> pd.DataFrame:
    """The Arrow table as pandas: dates as datetimes, prices and volumes as float64."""
    kind = table.schema.field(columns.date).type
    out = {}
    for name in columns.names:
        array = table.column(name)
        if pat.is_dictionary(array.type):
            array = array.cast(array.type.value_type)
        if name in (columns.price, columns.volume):
            array = array.cast(pa.float64())
        elif name == columns.date and pat.is_date(kind):
            array = array.cast(pa.timestamp("s"))
        out[name] = array.to_pandas()
    return pd.DataFrame(out)


def _fast(
    frame: pd.DataFrame, columns: _Columns, tickers: list[str], detail: str
) -> dict[str, Found] | None:
    """The requested tickers of clean rows, or None when a row needs naming."""
    parsed = _session_dates(frame[columns.date])
    dates = None if parsed.isna().any() else pd.DatetimeIndex(parsed, name="date").as_unit("ns")
    prices = frame[columns.price].to_numpy(dtype=np.float64)
    volumes = None if columns.volume is None else frame[columns.volume].to_numpy(np.float64)
    symbols = frame[columns.ticker].fillna("")
    return vouched_long(dates, symbols, prices, volumes, tickers, detail)


def _cells(frame: pd.DataFrame, columns: _Columns) -> pd.DataFrame:
    """The rows as the text cells the csv source's checked path reads."""

    def number(v: float) -> str:
        return "" if np.isnan(v) else repr(float(v))

    parsed = frame[columns.date]
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        dates = parsed.dt.strftime("%Y-%m-%d").fillna("")
    else:
        dates = parsed.fillna("").astype("str")
    cells = {columns.date: dates, columns.ticker: frame[columns.ticker].fillna("").astype("str")}
    for name in (columns.price, columns.volume):
        if name is not None:
            cells[name] = frame[name].map(number)
    return pd.DataFrame(cells)


def _checked(
    dataset: ds.Dataset, columns: _Columns, span: pc.Expression, tickers: list[str], detail: str
) -> dict[str, Found]:
    """Each file's rows checked by the csv source's checked path, named by file and row.

    Every file is read whole (its columns of the layout only), numbered, cut to the
    rows the fast path read, and checked; then the files are joined, a (date, ticker)
    found in two files being an error naming both.
    """
    found: dict[str, list[tuple[str, Found]]] = {}
    for fragment in dataset.get_fragments(filter=span):
        table = fragment.to_table(schema=dataset.schema, columns=columns.names)
        table = table.append_column("__row", pa.array(np.arange(1, table.num_rows + 1)))
        table = table.filter(span)
        if not table.num_rows:
            continue
        frame = _frame(table, columns)
        rows = table.column("__row").to_numpy()
        cells = Table(Path(fragment.path), _cells(frame, columns), rows, unit="row")
        date_column, dates = dates_of(cells)
        for ticker, item in load_long(cells, date_column, dates, tickers).items():
            found.setdefault(ticker, []).append((fragment.path, item))
    out = {}
    for ticker, parts in found.items():
        for k, (path, item) in enumerate(parts):
            for other_path, other in parts[:k]:
                common = item.price.index.intersection(other.price.index)
                if len(common):
                    raise PriceDataError(
                        f"duplicate row for ticker '{ticker}' on date {common[0]:%Y-%m-%d} "
                        f"(also in {other_path})",
                        file=path,
                        field=columns.ticker,
                    )
        price = pd.concat([item.price for _, item in parts]).sort_index()
        volume = None
        if columns.volume is not None:
            volume = pd.concat([item.volume for _, item in parts]).sort_index()
        out[ticker] = Found(price, volume, detail)
    return {t: out[t] for t in tickers if t in out}


class ParquetSource:
    """Prices from a long Parquet dataset (a file or a folder, local or a URL).

    Parameters
    ----------
    path
        A Parquet file, a folder of them (partitioned by ticker or not), or a URL.

    Attributes
    ----------
    name
        ``"parquet"``.
    synthetic
        Always False: the prices are the user's.
    rows_read
        How many rows the last :meth:`load` read from the dataset (after pushdown).
    """

    name = "parquet"
    synthetic = False

    def __init__(self, path: str | Path) -> None:
        if isinstance(path, pd.DataFrame) or not isinstance(path, str | Path):
            raise PriceDataError(
                f"the parquet source needs a file, folder or URL, not {type(path).__name__}",
                field="--prices",
            )
        self.location = str(path)
        self.rows_read = 0

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Return the adjusted closes of ``tickers`` between ``start`` and ``end`` inclusive.

        Parameters
        ----------
        tickers
            Ticker symbols, matched exactly; those not in the data are left out.
        start, end
            First and last date wanted.

        Returns
        -------
        PriceTable
            One float column per ticker found, on the dates where any of them has a
            price, with volumes when the dataset has a ``volume`` column.

        Raises
        ------
        PriceDataError
            If the path does not exist, holds no Parquet files, is not Parquet, lacks a
            column of the layout or has one of the wrong type, or a row read is bad.
        """
        wanted = list(dict.fromkeys(tickers))
        fs, root = _filesystem(self.location)
        info = fs.get_file_info(root)
        if info.type == pafs.FileType.NotFound:
            raise PriceDataError("no such file or folder", file=self.location)
        options: dict[str, object] = {}
        if info.type == pafs.FileType.Directory:
            files = _data_files(fs, root)
            if not files:
                raise PriceDataError("the folder holds no Parquet files", file=self.location)
            partitioned = _partition_tickers(files, root)
            if partitioned is not None:
                key, by_file = partitioned
                keep = set(wanted)
                files = [f for f in files if by_file[f] in keep]
                if not files:  # none of the tickers has a partition
                    return price_table({}, start, end, self.name)
                schema = pa.schema([(key, _text_type(fs, files[0], key, self.location))])
                options = {
                    "partitioning": ds.HivePartitioning.discover(schema=schema),
                    "partition_base_dir": root,
                }
        else:
            files = [root]
        try:
            dataset = ds.dataset(files, filesystem=fs, format="parquet", **options)
        except (pa.ArrowException, OSError) as exc:
            raise _arrow_error(exc, self.location) from None
        columns = _columns(dataset.schema, self.location)
        span = _span_filter(dataset.schema, columns, wanted, start, end)
        try:
            table = dataset.to_table(columns=columns.names, filter=span)
        except (pa.ArrowException, OSError) as exc:
            raise _arrow_error(exc, self.location) from None
        self.rows_read = table.num_rows
        detail = f"{self.location} (Parquet, long: date, ticker, {columns.price})"
        found = _fast(_frame(table, columns), columns, wanted, detail)
        if found is None:
            found = _checked(dataset, columns, span, wanted, detail)
        return replace(price_table(found, start, end, self.name), extents={})  # span only
