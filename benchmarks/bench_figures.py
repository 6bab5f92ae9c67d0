"""Figure benchmark: the default figures of the demo study and of 20,000 events.

    uv run python benchmarks/bench_figures.py [--tickers 500] [--per-ticker 40]

Times :func:`eventstudy.outputs.plots.save_figures` (default workers, and one process) on the
demo study and on a synthetic study of ``tickers x per-ticker`` one-security events
(firm-specific news; default 500 x 40 = 20,000 events), whose default figures are the
study figures and the 40 most significant events (target: a few seconds; the time
must not grow with the number of events). Building the big study is not timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import eventstudy as es
from eventstudy.core.prices import PriceTable, provenance_for
from eventstudy.outputs import plots
from eventstudy.outputs.result import StudyResult
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study, run_study

ROOT = Path(__file__).resolve().parents[1]


class Frame:
    """A price source serving one wide frame."""

    name = "frame"
    synthetic = False

    def __init__(self, prices: pd.DataFrame) -> None:
        self.prices = prices

    def load(self, tickers: list[str], start: object, end: object) -> PriceTable:
        frame = self.prices[[t for t in tickers if t in self.prices.columns]]
        return PriceTable(frame, self.name, False, provenance_for(frame, self.name))


def firm_specific(n_tickers: int, per_ticker: int) -> StudyResult:
    """``n_tickers x per_ticker`` events, each on one security's own dates."""
    days = sessions("XNYS")
    days = days[days >= "2019-01-02"][:1300]
    rng = np.random.default_rng(0)
    market = rng.normal(0.0004, 0.01, len(days))
    beta = rng.uniform(0.5, 1.5, n_tickers)
    r = market[:, None] * beta + rng.normal(0, 0.02, (len(days), n_tickers))
    tickers = [f"S{i:03d}" for i in range(n_tickers)]
    prices = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=days, columns=tickers)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    events = [
        {"id": f"{t.lower()}-{k:02d}", "date": f"{pd.Timestamp(d):%Y-%m-%d}",
         "title": f"{t} news {k}", "securities": [t], "category": f"kind-{(i + k) % 10}"}
        for i, t in enumerate(tickers)
        for k, d in enumerate(np.sort(rng.choice(days[300:-30], per_ticker, replace=False)))
    ]  # fmt: skip
    study = parse_study({"study": {"name": "big", "securities": tickers[:1]}, "events": events})
    return run_study(study, source=Frame(prices), tests=["none"])


def timed(result: StudyResult, workers: int | None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        figures = plots.save_figures(result, Path(folder), workers=workers)
        return time.perf_counter() - start, len(figures.images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--per-ticker", type=int, default=40)
    args = parser.parse_args()
    demo = es.load_study(ROOT / "events.yaml").run(source="demo", tests=["none"])
    big = firm_specific(args.tickers, args.per_ticker)
    print("| study | figures | workers | seconds |\n|---|---|---|---|")
    for label, result in (("demo", demo), (f"{len(big.event_ids):,} events", big)):
        for workers in (None, 1):
            seconds, n = timed(result, workers)
            print(f"| {label} | {n} | {workers or 'one per CPU'} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
