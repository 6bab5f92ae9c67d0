"""The way in: a study from a file or a DataFrame, run on prices, giving its result.

:class:`Study` is the validated study (:class:`~eventstudy.core.study.StudySpec`, the
plain data every layer reads) with the ways in and out: :meth:`Study.from_frame` and
:meth:`Study.run`. :func:`load_study` reads ``events.yaml`` or an events table,
:func:`parse_study` an already-parsed document, and :func:`run_study` runs a study on
the right pipeline: daily in this process (:mod:`eventstudy.pipeline`), intraday bars
(:mod:`eventstudy.intraday`) or a Dask cluster (:mod:`eventstudy.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.core.errors import ArgumentError
from eventstudy.core.settings import DEFAULT_NAME
from eventstudy.core.study import StudySpec
from eventstudy.events import config
from eventstudy.events.events_table import EventsTable, events_from_frame

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from eventstudy.core.prices import PriceSource
    from eventstudy.distributed import DaskStudyResult
    from eventstudy.intraday.result import IntradayResult
    from eventstudy.outputs.result import StudyResult

__all__ = ["Study", "load_study", "parse_study", "run_study"]


class Study(StudySpec):
    """A validated study (settings and events) that can be run.

    Made by :func:`load_study` (a YAML file or an events table), :func:`parse_study`
    or :meth:`from_frame` (a DataFrame); see :class:`~eventstudy.core.study.StudySpec`
    for its fields and lookups.
    """

    @classmethod
    def from_frame(cls, events: Any, **settings: Any) -> Study:
        """A study of the events in a DataFrame (one row per event).

        Parameters
        ----------
        events
            A pandas DataFrame with the columns of an events table (``date``; ``ticker``
            or ``securities``; optional ``id``, ``time``, ``title``, ``category`` ...;
            any other column is kept as an event attribute). See
            :mod:`eventstudy.events.events_table`.
        **settings
            The ``study:`` keys (``name``, default ``"study"``; ``securities``,
            ``benchmark``, ``model``, ``estimation_window``, ``event_window``,
            ``car_windows``, ...).

        Raises
        ------
        ConfigError
            Listing every problem, each naming the row and the column (or the setting).

        Examples
        --------
        >>> events = pd.DataFrame({"ticker": ["NVDA"], "date": ["2025-01-27"]})  # doctest: +SKIP
        >>> study = es.Study.from_frame(events, benchmark="SPY")                 # doctest: +SKIP
        """
        table = events_from_frame(events, file="<events DataFrame>")
        raw = {"study": {"name": DEFAULT_NAME, **settings}}
        return parse_study(raw, "<events DataFrame>", table=table)

    def run(
        self,
        *,
        source: str | PriceSource | None = None,
        prices: str | Path | pd.DataFrame | None = None,
        event_ids: list[str] | None = None,
        tests: str | Sequence[str] | None = None,
        engine: str = "local",
        client: Client | None = None,
        scheduler: str | None = None,
        cache_dir: str | Path | None = None,
        offline: bool = False,
        refresh: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        out: str | Path = "outputs",
        partition_pairs: int | None = None,
    ) -> StudyResult | IntradayResult | DaskStudyResult:
        """Run the study and return its :class:`~eventstudy.pipeline.results.StudyResult`.

        Parameters
        ----------
        source
            ``"yahoo"``, ``"csv"``, ``"parquet"``, ``"frame"`` or ``"demo"``, or a
            :class:`~eventstudy.data.PriceSource`; default: the source of ``prices``
            (a DataFrame: ``frame``; a path ending in ``.parquet``: ``parquet``;
            another path: ``csv``), else ``"yahoo"``.
        prices
            A prices file or folder, or a DataFrame (wide: a DatetimeIndex or ``date``
            column and one column per ticker; long: ``date, ticker, adj_close[,
            volume]``), checked like a CSV file; for ``source="parquet"`` a long
            Parquet file, folder or URL (:mod:`eventstudy.data.parquet`).
        event_ids
            Run only these events (default: every study event).
        tests
            Tests for ``tests.csv``: names, ``"all"`` or ``"none"`` (default: the
            standard set).
        engine, client, scheduler
            ``"local"`` (default) or ``"dask"`` with a ``distributed.Client`` or a
            scheduler address.
        cache_dir, offline, refresh, progress
            Options of the yahoo source (cache folder, no network, download again, a
            ``progress(ticker, i, n)`` callback).
        out, partition_pairs
            For ``engine="dask"``: where the tasks write the partitioned tables, and
            the pairs per partition (:mod:`eventstudy.distributed`).

        Examples
        --------
        >>> result = study.run(source="demo")          # doctest: +SKIP
        >>> result = study.run(prices=prices_df)       # doctest: +SKIP

        See :func:`run_study`, which this calls.
        """
        return run_study(
            self,
            source=source,
            prices=prices,
            event_ids=event_ids,
            tests=tests,
            engine=engine,
            client=client,
            scheduler=scheduler,
            cache_dir=cache_dir,
            offline=offline,
            refresh=refresh,
            progress=progress,
            out=out,
            partition_pairs=partition_pairs,
        )


def parse_study(
    raw: Any, file: str = "<events>", base: Path | None = None, table: EventsTable | None = None
) -> Study:
    """Validate an already-parsed events document into a :class:`Study`.

    See :func:`eventstudy.events.config.parse_study` for the parameters and errors.
    """
    return config.parse_study(raw, file, base, table, study_type=Study)


def load_study(path: str | Path = "events.yaml", **settings: Any) -> Study:
    """Read and validate ``events.yaml`` (or an events table) into a :class:`Study`.

    ``settings`` override keys of the ``study:`` block. See
    :func:`eventstudy.events.config.load_study` for what is read and the errors.
    """
    return config.load_study(path, study_type=Study, **settings)


def run_study(
    study: StudySpec,
    *,
    source: str | PriceSource | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    event_ids: list[str] | None = None,
    tests: str | Sequence[str] | None = None,
    engine: str = "local",
    client: Client | None = None,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    out: str | Path = "outputs",
    partition_pairs: int | None = None,
) -> StudyResult | IntradayResult | DaskStudyResult:
    """Run the event study on the pipeline its design calls for and return its result.

    Parameters
    ----------
    study
        The validated study (:func:`load_study`).
    source, prices, event_ids, tests, cache_dir, offline, refresh, progress
        See :func:`eventstudy.pipeline.run.run_study`.
    engine
        ``"local"`` (default) runs the study in this process; ``"dask"`` runs it on a
        ``dask.distributed`` cluster, partitioned by security, from a Parquet price
        dataset (:mod:`eventstudy.distributed`); the results are identical.
    client
        For ``engine="dask"``: the ``dask.distributed.Client`` to use.
    scheduler
        For ``engine="dask"`` without ``client``: the scheduler address
        (``tcp://host:8786``); default a local in-process cluster.
    out, partition_pairs
        For ``engine="dask"``: the output folder the tasks write the partitioned tables
        into (``OUT/<study-name>/<table>/part-NNNNN.parquet``) and the pairs per
        partition (:mod:`eventstudy.distributed`).

    Returns
    -------
    StudyResult, IntradayResult or DaskStudyResult
        ARs, CARs with MacKinlay standard errors, model estimates and skipped pairs; for
        an intraday study (``interval`` other than ``1d``) an
        :class:`~eventstudy.intraday.result.IntradayResult`; with ``engine="dask"`` a
        :class:`~eventstudy.distributed.DaskStudyResult`, whose tables are read lazily
        from the partitioned datasets.
    """
    from eventstudy.models.engine import ENGINES

    if study.study.interval != "1d":  # intraday bars (eventstudy.intraday): own pipeline
        from eventstudy.intraday.run import run_intraday

        return run_intraday(
            study, source=source, prices=prices, event_ids=event_ids, tests=tests,
            engine=engine, cache_dir=cache_dir, offline=offline, refresh=refresh,
            progress=progress,
        )  # fmt: skip
    if engine not in ENGINES:
        raise ArgumentError(
            f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})", argument="engine"
        )
    if engine == "dask":  # the whole pipeline on the cluster, partitioned by security
        from eventstudy.distributed import run_distributed
        from eventstudy.pipeline.study_tests import check_test_names

        return run_distributed(
            study, source=source, prices=prices, event_ids=event_ids,
            tests=check_test_names(tests), client=client, scheduler=scheduler, out=out,
            partition_pairs=partition_pairs,
        )  # fmt: skip
    from eventstudy.outputs.result import StudyResult
    from eventstudy.pipeline.run import run_study as run_daily

    record = run_daily(
        study, source=source, prices=prices, event_ids=event_ids, tests=tests,
        cache_dir=cache_dir, offline=offline, refresh=refresh, progress=progress,
    )  # fmt: skip
    return StudyResult.of(record)
