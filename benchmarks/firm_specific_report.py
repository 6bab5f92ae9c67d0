"""A firm-specific earnings study on synthetic prices, saved with its report.

``--firms`` securities with ``--events`` own announcements each (one security per
event, dates drawn at random), an ``eps_surprise`` attribute ~ N(0, 1) and a planted
day-0 abnormal return of ``--slope`` times it, the regression ``car ~ eps_surprise``.
The report shows the figures of a firm-specific design (forest plot, day-0 histogram,
CAAR by decile of eps_surprise, binned scatter), and no heat map or price timeline.

    uv run python benchmarks/firm_specific_report.py --firms 250 --events 40 --out /tmp/big
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import earnings_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=250)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--slope", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=Path("outputs/firm-specific"))
    args = parser.parse_args()
    from eventstudy.study import Study

    prices, table = earnings_study(args.firms, args.events, args.slope)
    study = Study.from_frame(
        table,
        name="firm-specific",
        title=f"Earnings surprises of {args.firms} firms",
        benchmark="SPY",
        regressions=["car ~ eps_surprise"],
    )
    start = time.perf_counter()
    result = study.run(prices=prices)
    ran = time.perf_counter() - start
    saved = result.save(args.out)
    print(f"{len(table):,} events: run {ran:.1f} s, save {time.perf_counter() - start - ran:.1f} s")
    print(saved["report"])


if __name__ == "__main__":
    main()
