"""Benchmark of the typed table copies: ``--parquet`` and ``--xlsx`` on a big study.

    uv run python benchmarks/bench_export.py [--big SECURITIES EVENTS] [--repeat 3]

Runs the synthetic study of ``bench_cli.py --big`` (default 500 securities x 40 events
= 20,000 pairs, 420,000 abnormal-return rows) once in this process, writes its CSV
tables, then times what ``save(tables=...)`` adds: the Parquet files, and the Excel
workbook, each on its own (best of ``--repeat``, wall and CPU seconds: the CPU time
is steadier on a shared machine), with the files' sizes next to the CSVs'.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_cli import make_big

from eventstudy import load_study
from eventstudy.outputs import export


def timed(write, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` calls of ``write()``."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        write()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, nargs=2, default=(500, 40))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events, prices = make_big(Path(tmp), *args.big)
        result = load_study(events).run(source="csv", prices=prices)
        out = Path(tmp) / "out"
        folder = out / result.study.study.name
        result.save(out, plots=False)
        frames = {name: getattr(result, name) for name in export.TABLES if name != "tests"}
        frames["tests"] = result.tests()
        csv_mb = sum((folder / f"{name}.csv").stat().st_size for name in frames) / 1e6
        print(f"{len(result.models):,} pairs, {len(result.abnormal_returns):,} AR rows")
        print(f"CSV tables: {csv_mb:.0f} MB")
        for fmt in ("parquet", "xlsx"):
            wall, cpu = timed(
                lambda fmt=fmt: export.write_tables(folder, frames, ("csv", fmt)), args.repeat
            )
            files = folder.glob("*.parquet") if fmt == "parquet" else [folder / export.WORKBOOK]
            size = sum(path.stat().st_size for path in files) / 1e6
            print(f"--{fmt}: {wall:.1f} s wall, {cpu:.1f} s CPU, {size:.0f} MB")


if __name__ == "__main__":
    main()
