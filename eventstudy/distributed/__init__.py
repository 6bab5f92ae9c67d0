"""The whole pipeline on a Dask cluster, from a Parquet price dataset to partitioned outputs.

``--engine dask --scheduler tcp://HOST:8786 --source parquet --prices PATH|URL``
(``study.run(engine="dask", client=..., source="parquet", prices=...)``):

- :mod:`~eventstudy.distributed.plan`: the driver cuts the pairs into partitions by
  security (every event of a security in one partition, a few thousand pairs each);
- :mod:`~eventstudy.distributed.tasks`: each task reads only its securities' and
  benchmarks' prices (Parquet pushdown), aligns, stacks, fits, computes ARs, CARs and
  per-pair statistics with the local pipeline's functions, and writes
  ``OUT/<study>/<table>/part-NNNNN.parquet`` (atomically) for ``abnormal_returns``,
  ``car``, ``models`` and ``alignment``;
- :mod:`~eventstudy.distributed.events`: the driver keeps the events as columns and
  builds each partition's ``Event`` objects as its task is submitted;
- :mod:`~eventstudy.distributed.pieces`, :mod:`~eventstudy.distributed.combine` and
  :mod:`~eventstudy.distributed.tests_table`: ``tests.csv`` from per-partition pieces
  of the moment tests (counts, sums, sums of squared deviations per group) and the
  daily-sum tests (day-by-day sums per group), combined exactly, the gathered CARs
  (``wilcoxon``), two rounds of pieces for ``grank_t`` and ``bootstrap``
  (:mod:`~eventstudy.distributed.rounds`) and, for the tests not combined, the gathered
  per-pair columns they need (``combine`` says which test comes from where);
- :mod:`~eventstudy.distributed.result`: :class:`DaskStudyResult`, which reads the
  datasets lazily and writes the CSVs (under a row limit), ``tests.csv``,
  ``skipped.csv`` and, last, ``manifest.json``;
- :mod:`~eventstudy.distributed.run`: the driver, :func:`run_distributed`.

Not run by this pipeline yet (a one-line error says so): placebo studies, long
horizons, second-stage regressions, factors files, the volume and volatility measures,
the garch model, figures and ``report.html``.
"""

from __future__ import annotations

from eventstudy.distributed.result import DaskStudyResult
from eventstudy.distributed.run import run_distributed

__all__ = ["DaskStudyResult", "run_distributed"]
