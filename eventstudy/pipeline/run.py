"""Run a daily study in this process: estimate it, then its long horizons and placebo.

:func:`run_study` is the daily pipeline behind ``eventstudy run`` and
:meth:`eventstudy.Study.run` (which also dispatches intraday and Dask runs):
:func:`~eventstudy.pipeline.estimate.estimate_study`, then the buy-and-hold returns and
calendar-time portfolios (:func:`with_long_horizon`) and the placebo study
(:func:`~eventstudy.pipeline.placebo_run.with_placebo`) beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

from eventstudy.data import PriceSource, ProgressCallback, get_source
from eventstudy.measures.calendar_time import calendar_time
from eventstudy.measures.long_horizon import LongHorizon, buy_and_hold
from eventstudy.measures.record import StudyRecord
from eventstudy.pipeline.estimate import estimate_study
from eventstudy.pipeline.placebo_run import with_placebo
from eventstudy.pipeline.study_tests import check_test_names

if TYPE_CHECKING:
    from eventstudy.core.study import StudySpec
    from eventstudy.sessions.pairs import Pair

__all__ = ["run_study", "with_long_horizon"]

R = TypeVar("R", bound=StudyRecord)


def run_study(
    study: StudySpec,
    *,
    source: str | PriceSource | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    event_ids: list[str] | None = None,
    tests: str | Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> StudyRecord:
    """Run the event study and return its results.

    Parameters
    ----------
    study
        The validated study (:func:`eventstudy.load_study`).
    source
        ``"yahoo"``, ``"csv"``, ``"parquet"``, ``"frame"`` or ``"demo"``, or any
        :class:`~eventstudy.data.PriceSource`. Default: the source of ``prices`` (a
        DataFrame: ``frame``; a path ending in ``.parquet``: ``parquet``; another path:
        ``csv``), else ``yahoo``.
    prices
        A prices file or folder (csv source), a long Parquet file, folder or URL
        (parquet source, :mod:`eventstudy.data.parquet`) or a pandas DataFrame (wide
        or long, see :mod:`eventstudy.data.frame`). Giving it with ``source="yahoo"`` or ``"demo"``
        is an error.
    event_ids
        Run only these events (default: all study events).
    tests
        Test names for ``tests.csv`` (:data:`eventstudy.inference.TESTS`, ``"all"`` or
        ``"none"``); default the standard set. Tests run when first asked for
        (``result.tests()`` or ``save``).
    cache_dir, offline, refresh, progress
        For the yahoo source: the price cache folder (default ``$EVENTSTUDY_CACHE_DIR``
        or the user cache folder), never use the network, download cached ranges
        again, and a ``progress(ticker, i, n)`` callback (see
        :class:`~eventstudy.data.yahoo.YahooSource`). With another source they have no
        effect, and a warning says so.

    Returns
    -------
    StudyRecord
        ARs, CARs with MacKinlay standard errors, model estimates and skipped pairs.
    """
    price_source = get_source(
        source, prices, cache_dir=cache_dir, offline=offline, refresh=refresh, progress=progress
    )
    result, runnable, returns = estimate_study(
        study, price_source, event_ids, check_test_names(tests)
    )
    settings = study.study
    # The placebo study (car.csv's car_p_placebo) runs this pipeline again, on more
    # history, in a thread beside the long horizons (skipped.csv's rows, long_horizon):
    # neither reads what the other adds.
    with ThreadPoolExecutor(max_workers=1) as background:
        placebo = None
        if settings.placebo:
            placebo = background.submit(with_placebo, result, price_source)
        if settings.bhar_windows:  # long horizons: BHARs and calendar-time portfolios
            result = with_long_horizon(result, runnable, returns)
        if placebo is not None:
            placed = placebo.result()
            result = replace(result, car=placed.car, placebo=placed.placebo)
    return result


def with_long_horizon(result: R, pairs: list[Pair], returns: dict[str, pd.Series]) -> R:
    """``result`` with :attr:`~eventstudy.outputs.result.StudyResult.long_horizon` and the skips.

    Parameters
    ----------
    result
        The study run (``study.bhar_windows`` set).
    pairs
        The pairs that were estimated (BHARs are computed for those in ``result.models``).
    returns
        Simple returns by ticker (and factor columns by name) as the run computed them.
    """
    settings = result.study.study
    estimated = set(zip(result.models["event_id"], result.models["ticker"], strict=True))
    kept = [p for p in pairs if (p.event_id, p.ticker) in estimated]
    windows = [tuple(w) for w in settings.bhar_windows]
    bhar, path, skipped = buy_and_hold(kept, returns, windows, settings.bhar_benchmark)
    table, portfolio = calendar_time(result.study, kept, returns, windows)
    extra = pd.DataFrame(skipped, columns=result.skipped.columns)
    frames = [f for f in (result.skipped, extra) if len(f)]
    all_skipped = pd.concat(frames, ignore_index=True) if frames else result.skipped
    return replace(
        result,
        long_horizon=LongHorizon(bhar, path, table, portfolio),
        skipped=all_skipped,
    )
