"""What ``--placebo`` costs: the demo, and three same-date clusters of eight securities.

    uv run python benchmarks/bench_placebo.py [--repeat 5] [--placebo 200]

Wall times of ``eventstudy run ... --no-plots`` without and with ``--placebo`` (fresh
processes, alternating, the median of ``--repeat`` each; the machine may be shared, so
the CPU seconds, user + system, are given too):

* the demo study (``--source demo``) with ``--placebo`` (500 dates; target: within 2 s
  of the run without);
* a synthetic study of 3 clusters x 8 securities (each cluster's securities on one day
  0, three days, so three same-date placebo studies) with ``--placebo N`` (target:
  within 3x of the run without).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_cli import EXE, timed
from synthetic import market_prices


def make_clusters(folder: Path, n_clusters: int = 3, size: int = 8) -> tuple[Path, Path]:
    """Prices (wide CSV, 2,000 sessions) and an events file of ``n_clusters`` same-date
    clusters of ``size`` securities each."""
    rng = np.random.default_rng(0)
    prices = market_prices(rng, n_clusters * size, 2000, "2017-01-03", 2)
    prices.round(6).to_csv(folder / "prices.csv")
    names = list(prices.columns[:-1])
    days = prices.index[[1200, 1500, 1800][:n_clusters]]
    lines = ["study:", "  name: clusters", f"  securities: [{names[0]}]", "events:"]
    for k, day in enumerate(days):
        members = names[k * size : (k + 1) * size]
        lines += [f"  - id: cluster-{k}", f"    date: {pd.Timestamp(day):%Y-%m-%d}"]
        lines += [f"    title: cluster {k}", f"    securities: [{', '.join(members)}]"]
    (folder / "events.yaml").write_text("\n".join(lines) + "\n")
    return folder / "events.yaml", folder / "prices.csv"


def cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def compare(label: str, base: list[str], extra: list[str], repeat: int) -> str:
    """A table row: median wall and CPU seconds without and with ``extra`` (alternating)."""
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(repeat):
        for placebo in (False, True):
            before = cpu_seconds()
            wall = timed([*base, *extra] if placebo else base, 1)[0]
            runs[placebo].append((wall, cpu_seconds() - before))
    (a, a_cpu), (b, b_cpu) = (
        tuple(statistics.median(r[i] for r in runs[p]) for i in (0, 1)) for p in (False, True)
    )
    return (
        f"| {label} | {a:.2f} | {b:.2f} | +{b - a:.2f} s | {b / a:.2f}x "
        f"| {a_cpu:.2f} / {b_cpu:.2f} ({b_cpu / a_cpu:.2f}x) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--placebo", type=int, default=200)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = ["--no-plots", "--quiet", "--out", str(Path(tmp) / "out")]
        demo = [EXE, "run", "--source", "demo", *out]
        rows.append(compare("demo, `--placebo` (500)", demo, ["--placebo"], args.repeat))
        events, prices = make_clusters(Path(tmp))
        big = [EXE, "run", str(events), "--source", "csv", "--prices", str(prices), *out]
        label = f"3 clusters x 8 securities, `--placebo {args.placebo}`"
        rows.append(compare(label, big, ["--placebo", str(args.placebo)], args.repeat))
    print(
        "| study | without (s) | with (s) | added | ratio | CPU s without / with |\n"
        "|---|---|---|---|---|---|"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
