"""Run a study: align events, load prices, fit models, compute ARs and CARs.

:func:`run_study` is the one pipeline behind both ``eventstudy run`` and
``Study.run()``. All (event, security) pairs are stacked into arrays and estimated
at once; pairs that cannot be estimated are recorded with a reason, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.abnormal import (
    abnormal_returns,
    ar_variance,
    car_variance,
    cumulative_car_variance,
    t_test,
)
from eventstudy.calendar import Alignment, align_event, exchange_for, session_span, sessions
from eventstudy.data import PriceSource, PriceTable, get_source
from eventstudy.errors import EventStudyError
from eventstudy.models import fit_market_model
from eventstudy.returns import session_returns

if TYPE_CHECKING:
    from eventstudy.config import Study, StudySettings
    from eventstudy.results import StudyResult

SKIPPED_COLUMNS = ["event_id", "ticker", "reason"]
_PAD = timedelta(days=10)


@dataclass(frozen=True)
class Pair:
    """One (event, security) pair with its benchmark and alignment."""

    event_id: str
    ticker: str
    benchmark: str
    alignment: Alignment


def align_study(study: Study, event_ids: list[str] | None = None) -> list[Pair]:
    """Day 0 of every (event, security) pair of the selected events.

    Raises
    ------
    EventStudyError
        If an event id is unknown or a date lies outside the exchange calendars.
    """
    pairs = []
    for event in study.select(event_ids):
        for ticker in study.securities_for(event):
            try:
                alignment = align_event(
                    event.id, ticker, event.date, event.time, study.timezone_for(event)
                )
            except EventStudyError as exc:
                exc.file = exc.file or (str(study.path) if study.path else None)
                raise
            pairs.append(Pair(event.id, ticker, study.benchmark_for(event), alignment))
    return pairs


def _stack(
    pairs: list[Pair], returns: dict[str, pd.Series], first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Security and benchmark returns at relative days first..last, one row per pair.

    Returns ``(returns, benchmark_returns, dates)``, each of shape (pairs, days); the
    benchmark is matched to the security's sessions by date, never by position.
    """
    offsets = np.arange(first, last + 1)
    shape = (len(pairs), len(offsets))
    y, x = np.full(shape, np.nan), np.full(shape, np.nan)
    dates = np.empty(shape, dtype="datetime64[ns]")
    groups: dict[tuple[str, str], list[int]] = {}
    for row, pair in enumerate(pairs):
        groups.setdefault((pair.ticker, pair.benchmark), []).append(row)
    for (ticker, benchmark), rows in groups.items():
        grid = sessions(exchange_for(ticker))
        day0_pos = grid.get_indexer([pairs[r].alignment.day0 for r in rows])
        pos = day0_pos[:, None] + offsets[None, :]
        y[rows] = returns[ticker].reindex(grid).to_numpy(dtype="float64")[pos]
        x[rows] = returns[benchmark].reindex(grid).to_numpy(dtype="float64")[pos]
        dates[rows] = grid.to_numpy()[pos]
    return y, x, dates


@dataclass(frozen=True)
class PricePlan:
    """Which prices a set of pairs needs.

    Attributes
    ----------
    spans
        Each pair whose windows fit the exchange calendar, with its sessions from the
        day before the estimation window to the end of the event window.
    skipped
        Pairs whose windows run off the calendar, with the reason.
    tickers, start, end
        Securities and benchmarks to load, over which calendar dates (padded).
    """

    spans: list[tuple[Pair, pd.DatetimeIndex]]
    skipped: list[tuple[str, str, str]]
    tickers: list[str]
    start: date
    end: date


def plan_prices(study: Study, pairs: list[Pair]) -> PricePlan:
    """The tickers and date range the pairs' windows need (used by ``run`` and ``fetch``)."""
    settings = study.study
    first = settings.estimation_window[0] - 1  # one more session for the first return
    last = settings.event_window[1]
    spans, skipped = [], []
    for pair in pairs:
        span = session_span(pair.alignment.exchange, pair.alignment.day0, first, last)
        if span is None:
            reason = "estimation or event window runs past the exchange calendar"
            skipped.append((pair.event_id, pair.ticker, reason))
        else:
            spans.append((pair, span))
    tickers = sorted({p.ticker for p, _ in spans} | {p.benchmark for p, _ in spans})
    if not spans:
        return PricePlan(spans, skipped, [], date.min, date.min)
    start = (min(s[0] for _, s in spans) - _PAD).date()
    end = (max(s[-1] for _, s in spans) + _PAD).date()
    return PricePlan(spans, skipped, tickers, start, end)


def run_study(
    study: Study,
    *,
    source: str | PriceSource = "yahoo",
    prices: str | Path | None = None,
    event_ids: list[str] | None = None,
    **source_options: Any,
) -> StudyResult:
    """Run the event study and return its results.

    Parameters
    ----------
    study
        The validated study (:func:`eventstudy.load_study`).
    source
        ``"yahoo"`` (default), ``"csv"`` or ``"demo"``, or any
        :class:`~eventstudy.data.PriceSource`.
    prices
        For the ``csv`` source: the prices file or folder.
    event_ids
        Run only these events (default: all).
    **source_options
        Passed to :func:`~eventstudy.data.get_source` (``cache_dir``, ``offline``,
        ``refresh``, ``progress`` for the yahoo source).

    Returns
    -------
    StudyResult
        ARs, CARs with MacKinlay standard errors, model estimates and skipped pairs.
    """
    from eventstudy.results import StudyResult

    started = datetime.now(UTC)
    settings = study.study
    price_source = (
        get_source(source, prices, **source_options) if isinstance(source, str) else source
    )
    pairs = align_study(study, event_ids)
    plan = plan_prices(study, pairs)
    skipped = list(plan.skipped)
    in_calendar = plan.spans
    if plan.tickers:
        table = price_source.load(plan.tickers, plan.start, plan.end)
    else:
        table = PriceTable(adj_close=pd.DataFrame(), source=price_source.name)

    available = set(table.tickers)
    returns = {t: session_returns(table.adj_close[t], exchange_for(t)) for t in available}
    runnable = []
    for pair, span in in_calendar:
        gaps = [
            table.missing[t]
            for t in (pair.ticker, pair.benchmark)
            if t in table.missing and table.missing[t].affects(span[0].date(), span[-1].date())
        ]
        missing = [t for t in (pair.ticker, pair.benchmark) if t not in available]
        if gaps:
            skipped.append((pair.event_id, pair.ticker, "; ".join(g.reason for g in gaps)))
        elif missing:
            what = " and ".join(
                f"{'benchmark ' if t == pair.benchmark else ''}{t}" for t in missing
            )
            skipped.append(
                (pair.event_id, pair.ticker, f"no prices for {what} in the {table.source} source")
            )
        else:
            runnable.append(pair)

    frames = _estimate(runnable, returns, settings, skipped)
    ar, car, models = frames
    skipped_frame = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    return StudyResult(
        study=study,
        event_ids=[e.id for e in study.select(event_ids)],
        alignments=[p.alignment for p in pairs],
        abnormal_returns=ar,
        car=car,
        models=models,
        skipped=skipped_frame,
        prices=table,
        started=started,
        finished=datetime.now(UTC),
    )


def _estimate(
    pairs: list[Pair],
    returns: dict[str, pd.Series],
    settings: StudySettings,
    skipped: list[tuple[str, str, str]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit, screen and compute the three result tables for runnable pairs."""
    from eventstudy.results import AR_COLUMNS, CAR_COLUMNS, MODEL_COLUMNS

    est_first, est_last = settings.estimation_window
    evt_first, evt_last = settings.event_window
    min_n = settings.min_estimation_returns
    empty = (
        pd.DataFrame(columns=AR_COLUMNS),
        pd.DataFrame(columns=CAR_COLUMNS),
        pd.DataFrame(columns=MODEL_COLUMNS),
    )
    if not pairs:
        return empty

    y, x, dates = _stack(pairs, returns, est_first, evt_last)
    n_est_days = est_last - est_first + 1
    gap = evt_first - est_last - 1
    y_est, x_est = y[:, :n_est_days], x[:, :n_est_days]
    y_evt, x_evt = y[:, n_est_days + gap :], x[:, n_est_days + gap :]
    fit = fit_market_model(y_est, x_est)
    day0_col = -evt_first

    keep = np.ones(len(pairs), dtype=bool)
    for i, pair in enumerate(pairs):
        day0 = f"{pair.alignment.day0:%Y-%m-%d}"
        reason = None
        if fit.n_est[i] < min_n:
            reason = f"only {fit.n_est[i]} valid estimation returns (minimum {min_n})"
        elif not np.isfinite(fit.beta[i]):
            reason = f"benchmark {pair.benchmark} returns are constant in the estimation window"
        elif not np.isfinite(y_evt[i, day0_col]):
            reason = f"no return for {pair.ticker} on day 0 ({day0}): price missing"
        elif not np.isfinite(x_evt[i, day0_col]):
            reason = f"no return for benchmark {pair.benchmark} on day 0 ({day0})"
        if reason:
            skipped.append((pair.event_id, pair.ticker, reason))
            keep[i] = False
    if not keep.any():
        return empty

    idx = np.flatnonzero(keep)
    pairs = [pairs[i] for i in idx]
    dates = dates[idx]
    y_evt, x_evt = y_evt[idx], x_evt[idx]
    fit = fit.take(idx)
    ar = abnormal_returns(fit, y_evt, x_evt)
    valid = np.isfinite(ar)
    ar_se = np.sqrt(ar_variance(fit, x_evt))
    running_car = np.cumsum(np.where(valid, ar, 0.0), axis=1)
    running_se = np.sqrt(cumulative_car_variance(fit, x_evt, valid))
    rel_days = np.arange(evt_first, evt_last + 1)
    width = len(rel_days)

    event_ids = np.repeat([p.event_id for p in pairs], width)
    tickers = np.repeat([p.ticker for p in pairs], width)
    evt_dates = dates[:, -width:].ravel()
    ar_frame = pd.DataFrame(
        {
            "event_id": event_ids,
            "ticker": tickers,
            "rel_day": np.tile(rel_days, len(pairs)),
            "date": pd.DatetimeIndex(evt_dates).strftime("%Y-%m-%d"),
            "ret": y_evt.ravel(),
            "benchmark_ret": x_evt.ravel(),
            "expected_ret": fit.expected(x_evt).ravel(),
            "ar": ar.ravel(),
            "car": np.where(valid, running_car, np.nan).ravel(),
            "ar_se": np.where(valid, ar_se, np.nan).ravel(),
            "car_se": np.where(valid, running_se, np.nan).ravel(),
        }
    )

    day0s = [f"{p.alignment.day0:%Y-%m-%d}" for p in pairs]
    car_rows = []
    for w_start, w_end in settings.car_windows:
        in_window = (rel_days >= w_start) & (rel_days <= w_end)
        included = valid & in_window[None, :]
        car = np.where(included, ar, 0.0).sum(axis=1)
        se = np.sqrt(car_variance(fit, x_evt, included))
        car[~included.any(axis=1)] = np.nan
        t, p = t_test(car, se, fit.n_est - 2)
        car_rows.append(
            pd.DataFrame(
                {
                    "event_id": [q.event_id for q in pairs],
                    "ticker": [q.ticker for q in pairs],
                    "day0": day0s,
                    "window_start": w_start,
                    "window_end": w_end,
                    "car": car,
                    "car_se": se,
                    "car_t": t,
                    "car_p": p,
                    "n_est": fit.n_est,
                    "alpha": fit.alpha,
                    "beta": fit.beta,
                    "sigma": fit.sigma,
                    "n_days": included.sum(axis=1),
                    "benchmark": [q.benchmark for q in pairs],
                }
            )
        )
    order = {(p.event_id, p.ticker): i for i, p in enumerate(pairs)}
    car_frame = pd.concat(car_rows, ignore_index=True)
    car_frame["_pair"] = [order[k] for k in zip(car_frame.event_id, car_frame.ticker, strict=True)]
    car_frame = (
        car_frame.sort_values(["_pair"], kind="stable").drop(columns="_pair").reset_index(drop=True)
    )

    models = pd.DataFrame(
        {
            "event_id": [p.event_id for p in pairs],
            "ticker": [p.ticker for p in pairs],
            "model": "market",
            "alpha": fit.alpha,
            "beta": fit.beta,
            "sigma": fit.sigma,
            "r2": fit.r2,
            "n_est": fit.n_est,
            "est_start": pd.DatetimeIndex(dates[:, 0]).strftime("%Y-%m-%d"),
            "est_end": pd.DatetimeIndex(dates[:, n_est_days - 1]).strftime("%Y-%m-%d"),
            "benchmark": [p.benchmark for p in pairs],
            "exchange": [p.alignment.exchange for p in pairs],
        }
    )
    return ar_frame, car_frame, models
