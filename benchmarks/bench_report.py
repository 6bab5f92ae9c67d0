"""Report benchmark: size and render time of report.html, the terminal table and --json.

    uv run python benchmarks/bench_report.py [--repeat 3]

For the demo study (run offline) and two firm-specific studies built without the
pipeline (``tests/big_results.py``): 25 securities x 20 own dates (500 events) and
500 x 40 (20,000 events, plus 50 securities without prices: 2,000 skipped pairs).
Each is rendered as ``save`` would with figures (real PNG bytes of the demo's figures
for the events :func:`eventstudy.outputs.selection.figure_events` picks, which is what the
plots draw) and without (``--no-plots``). Times are the best of ``--repeat`` renders,
base64 encoding of the figures included. Targets: under 10 MB at any size; rendering
20,000 events well under 1 s beyond the figure encoding.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def best(call: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The best wall time of ``repeat`` calls, and the last value."""
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    return min(times), value


def demo_figures() -> tuple[bytes, bytes, bytes]:
    """PNG bytes of a real study figure and of one event's car and ar figures."""
    import matplotlib

    matplotlib.use("Agg")
    from eventstudy.study import load_study

    result = load_study(ROOT / "events.yaml").run(source="demo", event_ids=["deepseek-r1"])

    def encoded(figure: object) -> bytes:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")  # type: ignore[attr-defined]
        return buffer.getvalue()

    return (
        encoded(result.plot(kind="caar")),
        encoded(result.plot("deepseek-r1", "car")),
        encoded(result.plot("deepseek-r1", "ar")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from big_results import firm_specific_result

    from eventstudy.outputs import report
    from eventstudy.outputs.selection import figure_events
    from eventstudy.study import load_study

    study, car, ar = demo_figures()
    studies = {
        "demo": lambda: load_study(ROOT / "events.yaml").run(source="demo"),
        "500 events": lambda: firm_specific_result(25, 20),
        "20,000 events": lambda: firm_specific_result(500, 40, gone=50),
    }
    print(f"{'study':<15} {'figures':<8} {'render s':>9} {'MB':>6} {'rich s':>7} {'json s':>7}")
    for name, build in studies.items():
        result = build()
        result.tests() if result.test_names != () else None  # computed before timing
        drawn = figure_events(result)
        images = {k: ("image/png", study) for k in ("caar", "heatmap", "timeline")}
        images |= {f"{e}/car": ("image/png", car) for e in drawn}
        images |= {f"{e}/ar": ("image/png", ar) for e in drawn}
        rich, _ = best(lambda r=result: report.rich_table(r), args.repeat)
        json, _ = best(lambda r=result: report.json_summary(r, Path("out"), {}), args.repeat)
        for label, given in (("yes", images), ("no", {})):
            seconds, page = best(lambda r=result, i=given: report.render_report(r, i), args.repeat)
            size = len(str(page).encode()) / 1e6
            print(f"{name:<15} {label:<8} {seconds:>9.3f} {size:>6.2f} {rich:>7.3f} {json:>7.3f}")


if __name__ == "__main__":
    main()
