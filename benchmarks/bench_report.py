"""Report benchmark: size, render time and browser timings of report.html, with budgets.

    uv run python benchmarks/bench_report.py [--repeat 3] [--no-run]

For the demo study (run offline, its real figures drawn) and two firm-specific studies
built without the pipeline (``tests/big_results.py``): 25 securities x 20 own dates
(500 events) and 500 x 40 (20,000 events, plus 50 securities without prices: 2,000
skipped pairs). Each big one is rendered as ``save`` would with figures (real PNG bytes
of the demo's figures for the events :func:`eventstudy.outputs.selection.figure_events`
picks) and without (``--no-plots``); times are the best of ``--repeat`` renders of
report.html and the event pages (:func:`eventstudy.outputs.report.write_pages`).

Then, in Debian's headless chromium (skipped when it is absent), the 20,000-event page:
the time its script has drawn the first screen, the time a search for one event id
takes, and every URL it asked for. Last (unless ``--no-run``), a real 20,000-event run
with figures (``benchmarks/bench_figures.py``'s study, ``save(plots=True)``): the share
of its time the report takes, an upper bound of how much the report adds to a run.

Budgets: the demo's report.html < 6 MB; 20,000 events < 10 MB; first screen < 2 s;
search < 1 s; no external URL; the report <= 15% of the 20,000-event run with figures.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
BUDGETS = {"demo MB": 6.0, "20k MB": 10.0, "first screen s": 2.0, "search s": 1.0, "run %": 15.0}


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


def verdict(name: str, value: float) -> str:
    """``value`` against its budget: ``"ok"`` or ``"OVER"``."""
    return f"{name} {value:.2f} (budget {BUDGETS[name]:g}): " + (
        "ok" if value < BUDGETS[name] else "OVER"
    )


def browser_checks(page: Path, event_id: str) -> list[str]:
    """First-screen and search times of ``page`` in headless chromium, and its URLs."""
    from chromium import CHROMIUM, DevTools

    if CHROMIUM is None:
        return ["chromium is not installed: browser budgets not measured"]
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        browser = DevTools(Path(profile) / "profile")
        try:
            session = browser.open(url, (1200, 900))
            ready = browser.evaluate(session, "window.reportReady") / 1000
            took = browser.evaluate(
                session,
                f"""(() => {{ const box = document.querySelector('#grid-car input');
                const start = performance.now(); box.value = {event_id!r};
                box.dispatchEvent(new Event('input'));
                const rows = document.querySelectorAll('#grid-car tbody tr').length;
                return [performance.now() - start, rows]; }})()""",
            )
            outside = [
                u for u in browser.requested(session) if u != url and not u.startswith("data:")
            ]
            errors = browser.errors(session)
        finally:
            browser.close()
    return [
        verdict("first screen s", ready),
        verdict("search s", took[0] / 1000) + f" ({took[1]} rows of {event_id})",
        f"external URLs loaded: {len(outside)}" + (f" {outside[:3]}" if outside else ": ok"),
        f"script errors: {len(errors)}",
    ]


def run_share() -> str:
    """The report's share of a real 20,000-event run with figures."""
    from bench_figures import firm_specific

    from eventstudy.outputs import report

    start = time.perf_counter()
    result = firm_specific(500, 40)
    run = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        written = result.save(folder, plots=True)
        save = time.perf_counter() - start
        images = {}  # the report again, with the figures the run drew
        for role, path in written.items():
            if path.suffix == ".png" and role.endswith(".png"):
                images[role.removesuffix(".png")] = ("image/png", path.read_bytes())
        start = time.perf_counter()
        report.write_pages(result, Path(folder) / "again.html", images)
        pages = time.perf_counter() - start
    share = 100 * pages / (run + save - pages)
    return (
        f"20,000-event run {run:.1f} s + save with figures {save:.1f} s, of which the "
        f"report {pages:.2f} s; " + verdict("run %", share)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-run", action="store_true", help="skip the real 20,000-event run")
    args = parser.parse_args()

    from big_results import firm_specific_result

    from eventstudy.outputs import report
    from eventstudy.outputs.selection import figure_events
    from eventstudy.study import load_study

    lines = []
    with tempfile.TemporaryDirectory() as folder:
        demo = load_study(ROOT / "events.yaml").run(source="demo")
        size = demo.save(folder)["report"].stat().st_size / 1e6
        lines.append(verdict("demo MB", size) + " (demo report.html with its figures)")

    study, car, ar = demo_figures()
    studies = {
        "500 events": lambda: firm_specific_result(25, 20),
        "20,000 events": lambda: firm_specific_result(500, 40, gone=50),
    }
    print(f"{'study':<15} {'figures':<8} {'render s':>9} {'MB':>6} {'rich s':>7} {'json s':>7}")
    keep = Path(tempfile.mkdtemp())
    big_page = keep / "report.html"
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
            seconds, _ = best(
                lambda r=result, i=given: report.write_pages(r, big_page, i), args.repeat
            )
            size = big_page.stat().st_size / 1e6
            print(f"{name:<15} {label:<8} {seconds:>9.3f} {size:>6.2f} {rich:>7.3f} {json:>7.3f}")
        if name == "20,000 events":
            report.write_pages(result, big_page, images)
            lines.append(verdict("20k MB", big_page.stat().st_size / 1e6) + " (with figures)")
            lines += browser_checks(big_page, str(result.event_ids[1234]))
    if not args.no_run:
        lines.append(run_share())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
