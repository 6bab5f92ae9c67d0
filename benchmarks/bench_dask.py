"""Benchmark of ``--engine dask`` (issue 17) against the local engine; prints a markdown table.

    uv run python benchmarks/bench_dask.py [--sizes 100000 1000000] [--local-up-to 100000]

For each size, a firm-specific study of 10,000 securities x (size / 10,000) own-date
events, on 3,000 XNYS sessions of synthetic market-model prices written by the
benchmark as a long Parquet dataset (10 files of 1,000 tickers, row groups of 100
tickers, so the reader's pushdown skips what a task does not need) and an events
table (CSV). It runs, as a user would (a fresh ``eventstudy run`` process each time):

* ``--engine dask --scheduler tcp://127.0.0.1:PORT`` on a loopback cluster of a
  scheduler and 2 worker processes, each ``--memory-limit 4GB`` and one thread
  (:class:`eventstudy.distributed.local.ProcessCluster`, started fresh per size);
* ``--engine local`` on the same study and tests (sizes up to ``--local-up-to``).

Reported: wall time; the driver's peak RSS (``wait4`` of the ``eventstudy``
process); the workers' peak RSS (``VmHWM`` of each worker process, read before it
stops). Targets: the default tests at 1,000,000 pairs complete with the driver under
1.5 GB; at 200,000 pairs the driver's peak is under a quarter of the local engine's;
the 100,000-pair Dask run within 3x the local engine. Tests: the default set at every
size (``--tests`` changes it). On Dask they come from per-partition pieces, two rounds
of them (GRANK-T, the bootstrap, the KP tests' r-bar) and the gathered CARs;
``binder_f``, whose system fit gathers every pair's returns, is left out with a warning
past 25,000,000 gathered numbers (about 52,000 pairs of 240 days,
:func:`eventstudy.distributed.combine.without_heavy_defaults`).
The machine this runs on is shared: the figures are one run each, noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

EXE = str(Path(sys.executable).with_name("eventstudy"))
N_SEC, N_DAYS = 10_000, 3_000  # N_SEC: --securities
FILE_TICKERS, GROUP_TICKERS = 1_000, 100


def write_prices(folder: Path, seed: int = 0) -> tuple[pd.DatetimeIndex, Path]:
    """``prices/``: 10,000 securities and SPY on 3,000 sessions, long layout, by chunks."""
    from eventstudy.sessions.calendar import sessions

    rng = np.random.default_rng(seed)
    days = sessions("XNYS")
    days = days[days >= "2012-01-03"][:N_DAYS]
    market = rng.normal(0.0004, 0.01, N_DAYS)
    root = folder / "prices"
    root.mkdir(parents=True)
    dates = pa.array(days.date, pa.date32())
    for start in range(0, N_SEC, FILE_TICKERS):
        names = [f"S{i:05d}" for i in range(start, min(start + FILE_TICKERS, N_SEC))]
        beta = rng.uniform(0.5, 1.5, len(names))
        r = market[:, None] * beta + rng.normal(0, 0.02, (N_DAYS, len(names)))
        prices = 100 * np.cumprod(1 + r, axis=0)
        columns = {
            "date": pa.concat_arrays([dates] * len(names)),
            "ticker": pa.array(np.repeat(names, N_DAYS)),
            "adj_close": pa.array(prices.T.ravel()),
        }
        pq.write_table(
            pa.table(columns), root / f"part-{start // FILE_TICKERS:02d}.parquet",
            row_group_size=GROUP_TICKERS * N_DAYS,
        )  # fmt: skip
    spy = {
        "date": dates,
        "ticker": pa.array(["SPY"] * N_DAYS),
        "adj_close": pa.array(300 * np.cumprod(1 + market)),
    }
    pq.write_table(pa.table(spy), root / "spy.parquet")
    return days, root


def write_events(folder: Path, days: pd.DatetimeIndex, per_security: int, seed: int = 1) -> Path:
    """``events.csv``: ``per_security`` own dates for each security, after 300 sessions."""
    rng = np.random.default_rng(seed)
    usable = days[300:-30]
    picks = np.sort(
        np.stack([rng.choice(len(usable), per_security, replace=False) for _ in range(N_SEC)]),
        axis=1,
    )
    tickers = np.repeat([f"S{i:05d}" for i in range(N_SEC)], per_security)
    when = usable[picks.ravel()].strftime("%Y-%m-%d")
    ids = [f"e{k:07d}" for k in range(len(tickers))]
    path = folder / f"events-{per_security}.csv"
    pd.DataFrame({"id": ids, "ticker": tickers, "date": when}).to_csv(path, index=False)
    return path


def peak_rss_of(pid: int) -> float:
    """``VmHWM`` of a running process, in GB (its peak resident memory so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def run(args: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (GB) of one ``eventstudy`` process (it must succeed)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{message}")
    return wall, usage.ru_maxrss / 1e6  # ru_maxrss is in KB on Linux


def main() -> None:
    global N_SEC
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--local-up-to", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the data and outputs in this folder")
    parser.add_argument("--securities", type=int, default=N_SEC, help="(a quick trial: fewer)")
    parser.add_argument("--tests", default="default", help="--tests of every run")
    options = parser.parse_args()
    N_SEC = options.securities
    from eventstudy.distributed.local import ProcessCluster

    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-dask-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    days, prices = write_prices(folder)
    print(f"prices written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rows = []
    try:
        for size in options.sizes:
            events = write_events(folder, days, size // N_SEC)
            tests = options.tests
            common = [
                EXE, "run", str(events), "--benchmark", "SPY", "--source", "parquet",
                "--prices", str(prices), "--no-plots", "--quiet",
            ] + ([] if tests == "default" else ["--tests", tests])  # fmt: skip
            with ProcessCluster(2, memory_limit="4GB", cwd=folder, lifetime="4h") as cluster:
                out = folder / f"dask-{size}"
                wall, driver = run(
                    [*common, "--out", str(out), "--engine", "dask", "--scheduler", cluster.address]
                )
                workers = max(peak_rss_of(w.pid) for w in cluster.workers)
            rows.append((size, "dask (2 workers x 4GB)", tests, wall, driver, workers))
            print(rows[-1], file=sys.stderr)
            if size <= options.local_up_to:
                wall, peak = run([*common, "--out", str(folder / f"local-{size}")])
                rows.append((size, "local", tests, wall, peak, float("nan")))
                print(rows[-1], file=sys.stderr)
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print("| pairs | engine | tests | wall (s) | driver peak (GB) | worker peak (GB) |")
    print("|---:|---|---|---:|---:|---:|")
    for size, engine, tests, wall, driver, workers in rows:
        shown = "-" if np.isnan(workers) else f"{workers:.2f}"
        print(f"| {size:,} | {engine} | {tests} | {wall:.1f} | {driver:.2f} | {shown} |")


if __name__ == "__main__":
    main()
