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
positive, a negative volume raise a :class:`~eventstudy.core.errors.PriceDataError` naming
the file, the row (1-based, within that file), the date and the column; tickers not in
the data are absent from the table (the study skips their pairs); rows on dates that
are not sessions are flagged by the study as for every source.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.types as pat

from eventstudy.core.errors import PriceDataError
from eventstudy.core.prices import PriceTable
from eventstudy.core.tabular import normalise
from eventstudy.data.layouts import (
    price_table,
)
from eventstudy.data.parquet_columns import (
    checked_frame,
    fast_frame,
    find_columns,
    span_filter,
    table_frame,
)


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
        columns = find_columns(dataset.schema, self.location)
        span = span_filter(dataset.schema, columns, wanted, start, end)
        try:
            table = dataset.to_table(columns=columns.names, filter=span)
        except (pa.ArrowException, OSError) as exc:
            raise _arrow_error(exc, self.location) from None
        self.rows_read = table.num_rows
        detail = f"{self.location} (Parquet, long: date, ticker, {columns.price})"
        found = fast_frame(table_frame(table, columns), columns, wanted, detail)
        if found is None:
            found = checked_frame(dataset, columns, span, wanted, detail)
        return replace(price_table(found, start, end, self.name), extents={})  # span only
