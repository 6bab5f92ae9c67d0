"""Saving an intraday run: the output contract's files, the figures and ``report.html``.

Written into ``out/<study-name>/``, each atomically: ``abnormal_returns.csv``,
``car.csv``, ``tests.csv`` (unless ``--tests none``), ``models.csv``, ``skipped.csv``,
``alignment.csv`` (bar 0 of every pair
and why), ``summary.txt``, ``<event_id>/car.png`` (:mod:`eventstudy.intraday.plots`),
``report.html`` (one self-contained page with the figures) and, last,
``manifest.json``.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.core import atomic
from eventstudy.outputs.report.figures import Embedder, Images
from eventstudy.outputs.report.markup import esc, num, pvalue, table
from eventstudy.outputs.report.page import document
from eventstudy.outputs.saving import write_contract_tables
from eventstudy.pipeline.summary import SYNTHETIC_NOTE

if TYPE_CHECKING:
    from eventstudy.intraday.record import IntradayRecord

CAR_SHOWN = ("event_id", "ticker", "bar0", "window_start", "window_end", "car", "car_se",
             "car_t", "car_p", "car_p_tod", "n_tod")  # fmt: skip


def save_intraday(result: IntradayRecord, out: Path, *, plots: bool = True) -> dict[str, Path]:
    """Write the run's files (see the module docstring); returns role -> path."""
    folder = out / result.study.study.name
    (folder / "manifest.json").unlink(missing_ok=True)  # written last: a complete run
    written = write_contract_tables(folder, result)
    written |= {
        "alignment": atomic.write_csv(folder / "alignment.csv", result.alignment()),
        "summary": atomic.write_text(folder / "summary.txt", result.summary_text() + "\n"),
    }
    if result.test_names:
        written["tests"] = atomic.write_csv(folder / "tests.csv", result.tests())
    else:
        (folder / "tests.csv").unlink(missing_ok=True)  # not this run's
    images: Images = {}
    if plots:
        from eventstudy.intraday.plots import event_car_figure

        for event_id in dict.fromkeys(result.abnormal_returns["event_id"]):
            figure = event_car_figure(result, event_id)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            data = buffer.getvalue()
            images[f"{event_id}/car"] = ("image/png", data)
            path = folder / event_id / "car.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            written[f"{event_id}/car.png"] = atomic.write_atomic(
                path, lambda f, data=data: f.write(data)
            )
    written["report"] = atomic.write_text(folder / "report.html", render(result, images))
    ended = datetime.now(UTC).isoformat(timespec="seconds")  # the files are written
    written["manifest"] = atomic.write_json(
        folder / "manifest.json", result.manifest() | {"finished": ended}
    )
    return written


def render(result: IntradayRecord, images: Images) -> str:
    """The self-contained HTML report of an intraday run."""
    s = result.study.study
    title = s.title or s.name
    banner = f"<div class=banner role=alert>{esc(SYNTHETIC_NOTE)}</div>" if result.synthetic else ""
    numeric = [False, False, False, True, True, True, True, True, True, True, True]
    cars = table(
        [esc(c) for c in CAR_SHOWN],
        (
            [esc(r.event_id), esc(r.ticker), esc(r.bar0), str(r.window_start), str(r.window_end),
             num(r.car, 3, 100), num(r.car_se, 3, 100), num(r.car_t), pvalue(r.car_p),
             pvalue(r.car_p_tod), str(r.n_tod)]
            for r in result.car.itertuples(index=False)
        ),
        numeric,
    )  # fmt: skip
    align = table(
        ["event", "ticker", "news", "bar 0", "shifted", "why"],
        (
            [esc(a.event_id), esc(a.ticker), esc(a.news_time), esc(a.to_dict()["bar0"]),
             "yes" if a.shifted else "no", esc(a.reason)]
            for a in result.alignments
        ),
    )  # fmt: skip
    skipped = (
        table(
            ["event", "ticker", "reason"],
            ([esc(v) for v in r] for r in result.skipped.itertuples(index=False)),
        )
        if len(result.skipped)
        else "<p>None.</p>"
    )
    embed = Embedder(images)  # the daily report's figure budget: a link past it
    figures = (
        "".join(
            embed.figure(
                f"{e}/car", f"{e}: CAR against clock time, session breaks dotted, news time dashed"
            )
            for e in dict.fromkeys(result.abnormal_returns["event_id"])
        )
        if images
        else "<p>Figures were not drawn for this run.</p>"
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = " Synthetic demo data: not market data." if result.synthetic else ""
    return document(
        f"{title} · intraday event study report",
        f"""<header>
<h1>{esc(title)}</h1>
<p class=lead>Intraday event study <code>{esc(s.name)}</code>: {esc(s.interval)} bars,
{esc(s.session)} session, {esc(s.model)} model on the benchmark's bars; CAR standard errors
of MacKinlay (1997); <code>car_p_tod</code> compares each CAR with the same window at the
same clock time on the estimation window's other sessions.</p>
{banner}
</header>
<section id=cars><h2>CARs</h2>{cars}</section>
<section id=figures><h2>Figures</h2>{figures}</section>
<section id=alignment><h2>Bar 0 of every pair</h2>{align}</section>
<section id=skipped><h2>Skipped pairs</h2>{skipped}</section>
<footer>Generated on {generated}.{note}</footer>""",
    )
