"""Scale in events: firm-specific studies next to shared-date studies of as many pairs.

    uv run python benchmarks/bench_events.py [--sizes 4000 20000 100000] [--repeat 1]

For each size N two synthetic studies on one wide CSV of 2,000 sessions are timed:

* ``firm``: N firm-specific events, 40 per firm (N / 40 firms), each event its own
  date and one security;
* ``shared``: 40 news dates shared by N / 40 securities (the same N pairs);
* ``onefirm``: one security on min(N, 1,000) of its own dates (of the 1,670 sessions
  that have a full estimation window): a single stock's news flow, whose estimation
  windows hold its other events.

The events are a CSV table (id, date[, ticker]) named by a small events YAML; the
``inline`` shape lists the ``firm`` events in the YAML itself (id, date, securities
and title, which a table defaults to the id: the same events), for sizes whose file
stays under the 5 MB an events file may have. Each
run is a fresh process under ``/usr/bin/time -v`` (wall seconds, CPU seconds and peak
memory; one untimed ``validate`` first, so that every timed run finds the libraries'
bytecode compiled):
``eventstudy validate``, ``eventstudy run`` (the defaults: figures, report and tests)
and ``eventstudy run --no-plots``, with compiled bytecode cached
(``PYTHONDONTWRITEBYTECODE`` is unset for them: otherwise every start compiles the
imported libraries again, 1-2 s). Targets: 20,000 firm-specific events ``run`` < 15 s
and < 2 GB, ``run --no-plots`` < 8 s, ``validate`` < 2 s; 100,000 ``run --no-plots``
< 45 s and < 6 GB; firm-specific within 1.5x of shared at every size. ``validate`` of the
20,000 events as a CSV < 1.5 s, and as an inline YAML list within 2x of that (the lines
after the table give both and the ratio).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from synthetic import market_prices

from eventstudy.events.config import MAX_FILE_BYTES

EXE = str(Path(sys.executable).with_name("eventstudy"))
EVENTS_PER_FIRM = 40
ONE_FIRM_DATES = 1000
"""Most dates of the ``onefirm`` shape."""
N_DAYS = 2000
STEPS = ("validate", "run", "run --no-plots")
"""The commands timed: ``run`` draws the figures and the report (the defaults)."""


def write_prices(path: Path, n_sec: int) -> list[str]:
    """A wide CSV of ``n_sec`` securities and SPY on 2,000 XNYS sessions; the tickers."""
    prices = market_prices(np.random.default_rng(0), n_sec, N_DAYS, "2015-01-02", 4)
    columns = list(prices.columns[:-1])
    prices.round(6).to_csv(path)
    return columns


def event_rows(shape: str, n: int, tickers: list[str]) -> list[tuple[str, str, str | None]]:
    """``(id, date, security or None)`` of the study's events."""
    from eventstudy.sessions.calendar import sessions

    days = sessions("XNYS")
    days = days[days >= "2015-01-02"][:N_DAYS][300:-30]
    rng = np.random.default_rng(1)
    if shape == "shared":
        picked = sorted(rng.choice(len(days), EVENTS_PER_FIRM, replace=False))
        return [(f"e{k:03d}", f"{days[d]:%Y-%m-%d}", None) for k, d in enumerate(picked)]
    if shape == "onefirm":
        picked = sorted(rng.choice(len(days), min(n, ONE_FIRM_DATES), replace=False))
        return [(f"o{k:04d}", f"{days[d]:%Y-%m-%d}", tickers[0]) for k, d in enumerate(picked)]
    rows = []
    for firm, ticker in enumerate(tickers):
        picked = sorted(rng.choice(len(days), EVENTS_PER_FIRM, replace=False))
        rows += [
            (f"f{firm:04d}-{k:02d}", f"{days[d]:%Y-%m-%d}", ticker) for k, d in enumerate(picked)
        ]
    return rows


def write_study(folder: Path, shape: str, n: int, tickers: list[str]) -> Path:
    """``<shape>-events.csv`` (id, date[, ticker]) and the ``<shape>.yaml`` that names it
    (for ``inline``: ``inline.yaml``, the firm events listed in it)."""
    if shape == "inline":
        lines = ["study:", "  name: inline", "  benchmark: SPY", "events:"]
        for event_id, day, ticker in event_rows("firm", n, tickers):
            lines += [f"  - id: {event_id}", f"    date: {day}"]
            lines += [f"    securities: [{ticker}]", f"    title: {event_id}"]
        path = folder / "inline.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path
    rows = event_rows(shape, n, tickers)
    columns = ["id", "date"] if shape == "shared" else ["id", "date", "ticker"]
    table = pd.DataFrame([row[: len(columns)] for row in rows], columns=columns)
    table.to_csv(folder / f"{shape}-events.csv", index=False)
    lines = ["study:", f"  name: {shape}", "  benchmark: SPY"]
    if shape == "shared":
        lines.append(f"  securities: [{', '.join(tickers)}]")
    lines.append(f"events: {shape}-events.csv")
    path = folder / f"{shape}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measured(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory (GB) of one
    run of ``args``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    assert wall is not None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert peak is not None
    cpu = sum(
        float(t) for t in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
    )
    return hours * 3600 + minutes * 60 + seconds, cpu, int(peak.group(1)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 20000, 100000])
    parser.add_argument(
        "--shapes", nargs="+", default=["firm", "shared", "inline", "onefirm"],
        choices=["firm", "shared", "inline", "onefirm"],
    )  # fmt: skip
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the studies here (kept)")
    args = parser.parse_args()
    print("| shape | pairs | step | seconds (best) | CPU s | peak GB |\n|---|---|---|---|---|---|")
    validated: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            folder = (args.keep or Path(tmp)) / f"n{n}"
            folder.mkdir(parents=True, exist_ok=True)
            tickers = write_prices(folder / "prices.csv", n // EVENTS_PER_FIRM)
            for shape in args.shapes:
                events = write_study(folder, shape, n, tickers)
                if events.stat().st_size > MAX_FILE_BYTES:
                    print(f"| {shape} | {n:,} | (an events file over {MAX_FILE_BYTES:,} bytes) |||")
                    continue
                if not validated:  # untimed: the bytecode of every library compiled once
                    measured([EXE, "validate", str(events)])
                run = [EXE, "run", str(events), "--source", "csv", "--quiet"]
                run += ["--prices", str(folder / "prices.csv"), "--out", str(folder / "out")]
                commands = {
                    "validate": [EXE, "validate", str(events)],
                    "run": run,
                    "run --no-plots": [*run, "--no-plots"],
                }
                for step in args.steps:
                    command = commands[step]
                    runs = [measured(command) for _ in range(args.repeat)]
                    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
                    peak = max(r[2] for r in runs)
                    pairs = min(n, ONE_FIRM_DATES) if shape == "onefirm" else n
                    print(
                        f"| {shape} | {pairs:,} | {step} | {wall:.2f} | {cpu:.2f} | {peak:.2f} |",
                        flush=True,
                    )
                    if step == "validate":
                        validated[shape, n] = wall
    for n in args.sizes:
        csv, inline = validated.get(("firm", n)), validated.get(("inline", n))
        if csv is not None:
            print(f"validate {n:,} events, CSV table: {csv:.2f} s (target < 1.5 s at 20,000)")
        if csv is not None and inline is not None:
            print(
                f"validate {n:,} events, inline YAML list: {inline:.2f} s = "
                f"{inline / csv:.2f}x the CSV (target < 2x)"
            )


if __name__ == "__main__":
    main()
