"""The result of a Dask run: partitioned datasets on disk, small summaries in memory.

:class:`DaskStudyResult` holds what the driver kept (the study, the skipped pairs, the
row counts, the prices' provenance and what was gathered for the tests) and reads the large
tables lazily from the datasets the tasks wrote, ``OUT/<study>/<table>/part-*.parquet``.
:meth:`DaskStudyResult.save` completes the output folder: ``tests.csv`` and
``skipped.csv`` always; ``car.csv``, ``models.csv`` and ``abnormal_returns.csv`` as
single CSV files (in the local engine's row order, byte-identical to a local run)
when the table has at most :data:`CSV_ROWS` rows; ``manifest.json`` last.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.core import atomic

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from eventstudy.core.study import StudySpec
    from eventstudy.distributed.events import EventColumns
    from eventstudy.distributed.tests_table import TestInputs

CSV_ROWS = 2_000_000
"""A partitioned table with at most this many rows is also written as one CSV file."""

CSV_TABLES = ("car", "models", "abnormal_returns")
"""The partitioned tables that get a CSV beside their dataset (alignment: dataset only)."""

SLICE_ROWS = 200_000
"""Rows of a table converted to pandas at a time when its CSV is written."""

_EVENTS = "<the study's events>"  # where manifest.json's events go, one by one


class _Record(dict):  # type: ignore[type-arg]
    """A JSON-ready dict that answers ``to_dict()`` (as the provenance records do)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)


def _stale(folder: Path, event_ids: list[str]) -> list[Path]:
    """Files of an earlier (local) run in ``folder`` that a Dask run does not rewrite.

    Only the names the toolkit writes: the figures (study kinds, and each event's of
    the events file), ``report.html``, ``summary.txt``, the ``--parquet`` and
    ``--xlsx`` files and the optional tables (:func:`eventstudy.outputs.export.stale_files`),
    and ``tests.csv`` (a run without tests writes none). A folder never mixes runs.
    """
    from eventstudy.outputs.export import stale_files
    from eventstudy.outputs.plots.jobs import MIME
    from eventstudy.outputs.plots.kinds import EVENT_KINDS, STUDY_KINDS

    if not folder.is_dir():
        return []
    folders = {p.name for p in folder.iterdir() if p.is_dir()}
    names = [*STUDY_KINDS, *(f"{e}/{k}" for e in event_ids if e in folders for k in EVENT_KINDS)]
    paths = [folder / f"{name}.{fmt}" for name in names for fmt in MIME]
    paths += [folder / "report.html", folder / "summary.txt", folder / "tests.csv"]
    paths += stale_files(folder, CSV_TABLES, ("csv",))
    return [path for path in paths if path.is_file()]


@dataclass
class DaskStudyResult:
    """What ``study.run(engine="dask")`` returns.

    Attributes
    ----------
    study, event_ids, test_names, started, finished
        As for :class:`~eventstudy.outputs.result.StudyResult` (``study`` may hold no events).
    events
        The study's events as columns.
    folder
        ``OUT/<study-name>``: the partitioned datasets the tasks wrote.
    skipped
        Pairs not estimated, with the reason (``skipped.csv``); a partition that
        failed for data reasons lists each of its pairs here.
    n_pairs, rows, partitions
        Pairs aligned, rows written per table, number of partitions.
    inputs
        What the tasks sent for ``tests.csv`` (let go once it is written).
    width
        The plan's order-key width (the most securities of an event).
    test_sources
        Where each test's result comes from (per-partition pieces, two rounds of them,
        gathered CARs or gathered per-pair columns: :mod:`eventstudy.distributed.combine`).
    provenance, off_session
        Per-ticker price records for ``manifest.json`` (a ticker read by several
        partitions: the record of the widest read, with ``partitions``).
    """

    study: StudySpec
    events: EventColumns
    event_ids: list[str]
    folder: Path
    skipped: pd.DataFrame
    n_pairs: int
    rows: dict[str, int]
    partitions: int
    started: datetime
    finished: datetime
    prices: str
    test_names: tuple[str, ...] = ()
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    off_session: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: TestInputs | None = field(default=None, repr=False)
    width: int = 1
    test_sources: dict[str, str] = field(default_factory=dict)
    long_horizon: None = None
    volume: None = None  # returns only (eventstudy.distributed.plan refuses the others)
    synthetic: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def dataset(self, table: str) -> ds.Dataset:
        """The partitioned dataset of ``table`` (``car``, ``abnormal_returns``, ...), lazily."""
        import pyarrow.dataset as pads

        return pads.dataset(self.folder / table, format="parquet")

    def table(self, table: str) -> pd.DataFrame:
        """All rows of ``table`` as one DataFrame, in the local engine's row order."""
        from eventstudy.measures.record import AR_COLUMNS, CAR_COLUMNS, MODEL_COLUMNS

        if not (self.folder / table).is_dir() or not self.rows.get(table):
            columns = {"car": CAR_COLUMNS, "models": MODEL_COLUMNS}
            return pd.DataFrame(columns=columns.get(table, AR_COLUMNS))
        return self._sorted(table).to_pandas()

    def _sorted(self, table: str) -> pa.Table:
        """The rows of ``table``'s dataset (Arrow, compact) in the local engine's row order.

        Integer columns with missing values become float64, as in one ``to_pandas`` of
        the whole table, so that slices of it convert to the same dtypes.
        """
        import pyarrow as pa

        data = self.dataset(table).to_table()
        for k, column in enumerate(data.columns):
            if pa.types.is_integer(column.type) and column.null_count:
                data = data.set_column(k, data.field(k).name, column.cast(pa.float64()))
        return data.take(np.argsort(self._order(data), kind="stable"))

    def _order(self, data: pa.Table) -> np.ndarray:
        """The order key of each row's pair (see :mod:`eventstudy.distributed.plan`)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.array(self.event_ids, type=pa.string())
        position = pc.index_in(data["event_id"].cast(pa.string()), value_set=ids).to_numpy()
        if self.width == 1:  # one security per event (firm-specific events)
            return position.astype(np.int64)
        keys = pd.MultiIndex.from_arrays([position, data["ticker"].to_numpy()])
        codes, pairs = pd.factorize(keys)
        securities = self.events.securities[self.events.selected(self.event_ids)]
        index = [securities[e].index(t) for e, t in pairs]
        return (pairs.get_level_values(0).to_numpy() * self.width + np.array(index))[codes]

    @property
    def car(self) -> pd.DataFrame:
        """``car.csv`` rows (read from the dataset on first use)."""
        return self._cached("car")

    @property
    def models(self) -> pd.DataFrame:
        """``models.csv`` rows (read from the dataset on first use)."""
        return self._cached("models")

    @property
    def abnormal_returns(self) -> pd.DataFrame:
        """``abnormal_returns.csv`` rows (read from the dataset on first use)."""
        return self._cached("abnormal_returns")

    def _cached(self, table: str) -> pd.DataFrame:
        if table not in self._cache:
            self._cache[table] = self.table(table)
        return self._cache[table]  # type: ignore[no-any-return]

    @property
    def n_estimated(self) -> int:
        """Pairs estimated (rows of ``models``), without reading the dataset."""
        return int(self.rows.get("models", 0))

    def tests(self) -> pd.DataFrame:
        """The ``tests.csv`` table, computed once on the driver from the pieces and columns
        the tasks sent (:mod:`eventstudy.distributed.tests_table`).

        See :mod:`eventstudy.distributed.combine` for what each test needs; ``validity``
        as in :meth:`eventstudy.pipeline.results.RunResult.tests`.
        """
        if "tests" not in self._cache:
            from eventstudy.distributed.tests_table import TestInputs, tests_table
            from eventstudy.measures.design import study_design, validity

            inputs = self.inputs if self.inputs is not None else TestInputs()
            table = tests_table(self, self.test_names, inputs)  # type: ignore[arg-type]
            table["validity"] = validity(table, study_design(self.models))
            self._cache["tests"] = table
        return self._cache["tests"]  # type: ignore[no-any-return]

    def save(self, out: str | Path | None = None, **ignored: Any) -> dict[str, Path]:
        """Complete ``OUT/<study-name>/``: CSVs, ``tests.csv``, ``skipped.csv``, manifest.

        Parameters
        ----------
        out
            The output folder (default: where the run wrote its datasets). Another
            folder gets a copy of the datasets.
        **ignored
            The options of :meth:`eventstudy.outputs.result.StudyResult.save` (figures,
            formats ...): this first version draws no figures and no report.

        Returns
        -------
        dict
            File role to path; the datasets as ``"<table>/"``.
        """
        folder = self.folder if out is None else Path(out) / self.study.study.name
        (folder / "manifest.json").unlink(missing_ok=True)
        written: dict[str, Path] = {}
        for path in _stale(folder, list(self.events.ids)):
            path.unlink()
            if path.parent != folder and not any(path.parent.iterdir()):
                path.parent.rmdir()
        if self.test_names:  # first, then the gathered inputs are let go
            tests = self.tests()
            self.inputs = None
            written["tests"] = atomic.write_csv(folder / "tests.csv", tests)
        for table in ("abnormal_returns", "car", "models", "alignment"):
            source = self.folder / table
            if not source.is_dir():
                continue
            if folder.resolve() != self.folder.resolve():
                shutil.rmtree(folder / table, ignore_errors=True)
                shutil.copytree(source, folder / table)
            written[f"{table}/"] = folder / table
        for table in CSV_TABLES:
            path = folder / f"{table}.csv"
            if not self.rows.get(table):
                written[table] = atomic.write_csv(path, self.table(table))
            elif self.rows[table] <= CSV_ROWS:  # slice by slice: the table is never one frame
                written[table] = atomic.write_csv_frames(path, self._slices(table))
            else:
                path.unlink(missing_ok=True)  # a CSV of an earlier, smaller run
        written["skipped"] = atomic.write_csv(folder / "skipped.csv", self.skipped)
        written["manifest"] = self._write_manifest(folder / "manifest.json")
        return written

    def _slices(self, table: str) -> Iterator[pd.DataFrame]:
        """``table`` in the local row order, :data:`SLICE_ROWS` rows at a time."""
        data = self._sorted(table)
        for start in range(0, len(data), SLICE_ROWS):
            yield data.slice(start, SLICE_ROWS).to_pandas()

    def _write_manifest(self, path: Path) -> Path:
        """``manifest.json``, the study's events (``config.events``) dumped one at a time
        when there are many (a million events as dicts would take gigabytes)."""
        data = self.manifest()
        if len(self.events) <= atomic.LONG_LIST:
            data["config"]["events"] = list(self.events.dumped())
            return atomic.write_json(path, data)
        data["config"]["events"] = [_EVENTS]
        return atomic.write_json_list(path, data, _EVENTS, self.events.dumped())

    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: :func:`eventstudy.outputs.saving.manifest` plus the Dask layout; its
        ``config.events`` is empty (:meth:`save` writes the events one by one)."""
        from eventstudy.outputs.saving import manifest

        view = SimpleNamespace(
            synthetic=False,
            started=self.started,
            finished=self.finished,
            study=self.study.model_copy(update={"events": []}),
            event_ids=self.event_ids,
            prices=SimpleNamespace(
                source="parquet",
                provenance={t: _Record(r) for t, r in self.provenance.items()},
                off_session={t: _Record(r) for t, r in self.off_session.items()},
            ),
            alignments=[],
            models=range(self.n_estimated),
            skipped=self.skipped,
        )
        data = manifest(view)  # type: ignore[arg-type]
        data["alignment"] = "alignment/ (Parquet dataset: one row per pair)"
        data["counts"]["pairs"] = self.n_pairs
        data["engine"] = {
            "name": "dask",
            "partitions": self.partitions,
            "prices": self.prices,
            "rows": self.rows,
            "csv_rows": CSV_ROWS,
            "tests_from": self.test_sources,
            "datasets": {
                table: sorted(p.name for p in (self.folder / table).glob("part-*.parquet"))
                for table in ("abnormal_returns", "car", "models", "alignment")
            },
        }
        return data
