"""Command-line benchmark: start-up, the demo study, and a large CSV study.

    uv run python benchmarks/bench_cli.py [--big SECURITIES EVENTS] [--repeat 3]

Times, as a user would run them (a fresh process each time; the best of ``--repeat``
runs, and the slowest, which shows how much else the machine was doing):

* ``eventstudy --help`` (target < 0.5 s; heavy libraries are not imported);
* ``eventstudy run --source demo`` with figures (target < 10 s);
* with ``--big S E``: a synthetic study of S securities x E events on 2,000 trading days
  of prices in one wide CSV, ``eventstudy run --source csv --prices ... --no-plots``
  (target for 500 x 40 = 20,000 pairs: < 10 s), with the default tests, with
  ``--tests cs_t,bmp_t,kp_bmp_t`` and with ``--tests none``; and the same prices as one
  long CSV (date, ticker, adj_close: 1,002,000 rows) with the default tests.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from synthetic import market_prices

EXE = str(Path(sys.executable).with_name("eventstudy"))


def timed(args: list[str], repeat: int) -> list[float]:
    """Wall times of ``repeat`` runs of ``args`` (each must succeed)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def make_big(folder: Path, n_sec: int, n_ev: int, n_days: int = 2000) -> tuple[Path, Path]:
    """Prices (a wide CSV, and the same as a long CSV ``prices-long.csv``) and an events
    file: ``n_sec`` securities x ``n_ev`` events."""
    rng = np.random.default_rng(0)
    prices = market_prices(rng, n_sec, n_days, "2017-01-03", 3)
    days, columns = prices.index, list(prices.columns[:-1])
    prices.round(6).to_csv(folder / "prices.csv")
    long = prices.round(6).reset_index().melt("date", var_name="ticker", value_name="adj_close")
    long.to_csv(folder / "prices-long.csv", index=False)
    ev_days = sorted(rng.choice(days[300:-30], n_ev, replace=False))
    lines = ["study:", "  name: big", f"  securities: [{', '.join(columns)}]"]
    lines += ["  benchmark: SPY", "events:"]
    for k, d in enumerate(ev_days):
        lines += [f"  - id: e{k:03d}", f"    date: {pd.Timestamp(d):%Y-%m-%d}"]
        lines += [f"    title: event {k}"]
    (folder / "events.yaml").write_text("\n".join(lines) + "\n")
    return folder / "events.yaml", folder / "prices.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, nargs=2, metavar=("SECURITIES", "EVENTS"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        rows.append(("eventstudy --help", timed([EXE, "--help"], max(args.repeat, 5))))
        demo = [EXE, "run", "--source", "demo", "--quiet", "--out", str(out)]
        rows.append(("eventstudy run --source demo (figures)", timed(demo, args.repeat)))
        rows.append(("eventstudy run --source demo --no-plots", timed([*demo, "--no-plots"], 1)))
        if args.big:
            s, e = args.big
            events, prices = make_big(Path(tmp), s, e)
            big = [EXE, "run", str(events), "--source", "csv", "--prices", str(prices)]
            big += ["--no-plots", "--quiet", "--out", str(out)]
            label = f"{s} x {e} = {s * e:,} pairs, csv, --no-plots"
            rows.append((f"{label}, default tests", timed(big, args.repeat)))
            cheap = [*big, "--tests", "cs_t,bmp_t,kp_bmp_t"]
            rows.append((f"{label}, --tests cs_t,bmp_t,kp_bmp_t", timed(cheap, args.repeat)))
            rows.append((f"{label}, --tests none", timed([*big, "--tests", "none"], args.repeat)))
            long = [
                a if a != str(prices) else str(prices.with_name("prices-long.csv")) for a in big
            ]
            rows.append((f"{label}, long CSV, default tests", timed(long, args.repeat)))
        shutil.rmtree(out, ignore_errors=True)
    print("| command | seconds (best) | slowest | runs |\n|---|---|---|---|")
    for label, times in rows:
        print(f"| `{label}` | {min(times):.2f} | {max(times):.2f} | {len(times)} |")


if __name__ == "__main__":
    main()
