"""Large study results built without running the pipeline (for the report's size tests).

:func:`firm_specific_result` makes the tables of a run of ``n_tickers`` securities with
``n_dates`` own events each (one security per event), shaped like the pipeline's: CARs
of every window with p-values, confounders where a security's next event falls inside a
window, abnormal returns, models, skipped pairs for securities without prices. The
numbers are random; the report only lays them out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from eventstudy.core.prices import MissingPrices, PriceTable
from eventstudy.outputs.result import StudyResult
from eventstudy.sessions.calendar import Alignment, sessions
from eventstudy.study import parse_study

WINDOWS = [(0, 0), (-1, 1), (0, 1), (-5, 5), (0, 10)]


def one_factor_prices(tickers: list[str], seed: int = 3) -> pd.DataFrame:
    """Wide adjusted closes of ``tickers`` and SPY on NY sessions 2021-01-04..2025-06-30:
    each security's return is SPY's plus independent noise."""
    days = sessions("XNYS")
    days = days[(days >= "2021-01-04") & (days <= "2025-06-30")]
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, len(days))
    returns = market[:, None] + rng.normal(0, 0.01, (len(days), len(tickers)))
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=days, columns=tickers)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    prices.index.name = "date"
    return prices


def own_events(tickers: list[str], n_dates: int, seed: int = 0) -> list[dict[str, object]]:
    """``n_dates`` one-security events per ticker (ids ``<ticker>-<k>`` in date order) on
    sessions between 2022-03-01 and 2025-05-01, drawn at random: many share a day 0."""
    rng = np.random.default_rng(seed)
    days = sessions("XNYS")
    days = days[(days >= "2022-03-01") & (days < "2025-05-01")]
    return [
        {"id": f"{t.lower()}-{k}", "date": f"{days[j]:%Y-%m-%d}", "title": f"{t} news",
         "securities": [t]}
        for t in tickers
        for k, j in enumerate(np.sort(rng.choice(len(days), n_dates, replace=False)))
    ]  # fmt: skip


def firm_specific_result(
    n_tickers: int, n_dates: int, *, gone: int = 0, seed: int = 0
) -> StudyResult:
    """A run of ``n_tickers`` x ``n_dates`` one-security events, plus ``gone`` securities
    (with ``n_dates`` events each) whose prices are missing: every pair of theirs skipped."""
    rng = np.random.default_rng(seed)
    tickers = [f"T{i:03d}" for i in range(n_tickers)] + [f"GONE{i:02d}" for i in range(gone)]
    events = own_events(tickers, n_dates, seed)
    study = parse_study({"study": {"name": "big", "securities": ["SPY"]}, "events": events})
    pairs = pd.DataFrame(
        {
            "event_id": [e["id"] for e in events],
            "ticker": [e["securities"][0] for e in events],
            "day0": [e["date"] for e in events],
        }
    )
    every = sessions("XNYS")
    pairs["session"] = every.searchsorted(pd.to_datetime(pairs["day0"]))
    following = pairs.groupby("ticker")["session"].shift(-1)
    pairs["gap"] = (following - pairs["session"]).fillna(10**6).astype(int)
    pairs["next_id"] = pairs.groupby("ticker")["event_id"].shift(-1).fillna("")
    alignments = [
        Alignment(e, t, "XNYS", d, pd.Timestamp(d), False, "date without a time")
        for e, t, d in zip(pairs["event_id"], pairs["ticker"], pairs["day0"], strict=True)
    ]
    is_gone = pairs["ticker"].str.startswith("GONE")
    run = pairs[~is_gone].reset_index(drop=True)
    car = run.loc[run.index.repeat(len(WINDOWS))].reset_index(drop=True)
    car["window_start"] = np.tile([a for a, _ in WINDOWS], len(run))
    car["window_end"] = np.tile([b for _, b in WINDOWS], len(run))
    n = len(car)
    car["car"] = rng.normal(0, 0.02, n)
    car["car_se"] = np.full(n, 0.015)
    car["car_t"] = car["car"] / car["car_se"]
    car["car_p"] = rng.uniform(0, 1, n)
    car["n_est"] = 240
    car["alpha"], car["beta"], car["sigma"] = 0.0, 1.0, 0.01
    inside = car["gap"] <= car["window_end"]
    car["confounders"] = np.where(inside, car["next_id"], "")
    columns = ["event_id", "ticker", "day0", "window_start", "window_end", "car", "car_se"]
    car = car[[*columns, "car_t", "car_p", "n_est", "alpha", "beta", "sigma", "confounders"]]
    rel = np.arange(-10, 11)
    ar = pd.DataFrame(
        {
            "event_id": np.repeat(run["event_id"], len(rel)),
            "ticker": np.repeat(run["ticker"], len(rel)),
            "rel_day": np.tile(rel, len(run)),
            "date": every[np.repeat(run["session"], len(rel)) + np.tile(rel, len(run))].strftime(
                "%Y-%m-%d"
            ),
        }
    )
    ar["ar"] = rng.normal(0, 0.01, len(ar))
    ar["car"] = ar["ar"].to_numpy().reshape(len(run), len(rel)).cumsum(axis=1).ravel()
    ar["car_se"] = np.tile(0.01 * np.sqrt(np.arange(1, len(rel) + 1)), len(run))
    models = run[["event_id", "ticker"]].assign(
        model="market", benchmark="SPY", alpha=0.0, beta=1.0, sigma=0.01, r2=0.5, n_est=240
    )
    skipped = pairs.loc[is_gone, ["event_id", "ticker"]].assign(
        reason=lambda f: "no prices for " + f["ticker"]
    )
    missing = {t: MissingPrices(f"unknown ticker {t}") for t in tickers if t.startswith("GONE")}
    prices = PriceTable(pd.DataFrame(), "frame", synthetic=False, missing=missing)
    now = datetime.now(UTC)
    return StudyResult(
        study=study,
        event_ids=list(pairs["event_id"]),
        alignments=alignments,
        abnormal_returns=ar.reset_index(drop=True),
        car=car,
        models=models.reset_index(drop=True),
        skipped=skipped.reset_index(drop=True),
        prices=prices,
        started=now,
        finished=now,
        test_names=(),
    )
