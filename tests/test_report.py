"""report.html: self-contained, complete, escaped, and checked in a real browser.

The browser check drives Debian's headless chromium over the DevTools protocol
(``--remote-debugging-pipe``): the page loads from ``file://``, every image decodes,
the console shows no error, nothing but the page itself and ``data:`` URIs is
requested. A second run takes a ``--screenshot``, which must be a non-blank PNG. The
tests skip when chromium is absent. Also here: ``eventstudy run --json``, ``--quiet``,
``--svg`` and the terminal summary on a real TTY.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image
import pandas as pd
import pytest
from chromium import CHROMIUM, FLAGS, DevTools, needs_chromium
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.outputs import report
from eventstudy.outputs.result import StudyResult
from eventstudy.study import load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events.yaml"
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return load_study(EVENTS).run(source="demo", event_ids=SUBSET)


@pytest.fixture(scope="module")
def saved(result: StudyResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return result.save(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(saved: dict[str, Path]) -> str:
    return saved["report"].read_text(encoding="utf-8")


class Page(HTMLParser):
    """The tags, attributes and text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def plain(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


# ----------------------------------------------------------------------------------
# Content
# ----------------------------------------------------------------------------------


def _pages(saved: dict[str, Path]) -> dict[str, str]:
    """report.html and each event's page (``<event_id>/report.html``), by event id ("")."""
    folder = saved["report"].parent
    pages = {"": saved["report"].read_text(encoding="utf-8")}
    for path in folder.glob("*/report.html"):
        pages[path.parent.name] = path.read_text(encoding="utf-8")
    return pages


def _grid(page: str, name: str) -> dict[str, Any]:
    found = re.search(
        rf"<script type='application/json' id='grid-{name}-data'>(.*?)</script>", page
    )
    assert found, name
    return json.loads(found.group(1))


def test_report_is_self_contained(saved: dict[str, Path], page: str) -> None:
    pages = _pages(saved)
    assert sorted(pages) == ["", *sorted(SUBSET)]
    embedded = {}
    for text in pages.values():
        parsed = Page(text)
        scripts = [a for a in parsed.all("script") if a.get("type") != "application/json"]
        assert scripts == [{}]  # the one inline script, allowed by its hash only
        code = text.rsplit("<script>", 1)[1].split("</script>", 1)[0]
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        csp = [m for m in parsed.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        policy = csp[0]["content"] or ""
        assert "default-src 'none'" in policy and f"script-src 'sha256-{digest}'" in policy
        assert "unsafe-eval" not in policy and "script-src 'unsafe-inline'" not in policy
        assert not parsed.all("link")
        assert not parsed.all("iframe")
        assert "url(" not in text
        for img in parsed.all("img"):
            src = img["src"] or ""
            assert src.startswith("data:image/png;base64,"), src[:40]
            embedded[img["alt"]] = base64.b64decode(src.split(",", 1)[1], validate=True)
        for tag, attrs in parsed.tags:
            for name in ("src", "srcset", "data", "poster", "background"):
                value = attrs.get(name)
                assert value is None or value.startswith("data:"), (tag, name, value)
    # report.html: caar_category (the subset has several categories), car_distribution,
    # timeline, the mean BHAR and CAV paths (the CAAR and the heat map are inline SVG
    # there) and the CAR figures of the (up to) 5 strongest events; each event's page:
    # its car, ar, volume and volatility figures.
    assert len(Page(page).all("img")) == 5 + min(5, len(SUBSET))
    assert len(embedded) == 5 + 4 * len(SUBSET)
    # The embedded images are the PNG files written next to the report.
    folder = saved["report"].parent
    files = {p.read_bytes() for p in folder.rglob("*.png") if p.stem not in ("caar", "heatmap")}
    assert set(embedded.values()) == files


def test_report_lists_events_alignment_tables_and_warnings(
    result: StudyResult, saved: dict[str, Path], page: str
) -> None:
    text = Page(page).plain
    study = result.study
    assert study.study.title in text
    assert " ".join(study.study.description.split()) in text
    assert "SYNTHETIC DATA: demo prices" in text
    pages = _pages(saved)
    for event_id in SUBSET:
        event = study.event(event_id)
        mine = pages[event_id]
        own = Page(mine).plain
        assert f"id='event-{event_id}'" in mine
        assert event.title in own
        assert f"{event.date:%Y-%m-%d}" in own
        assert f"href='{html.escape(event.source)}'" in mine
        assert " ".join(event.notes.split()) in own
    assert "2024-11-06 05:35 (America/New_York)" in Page(pages["election-2024"]).plain
    # Day 0 per security, with the reason, on the event's page.
    for a in result.alignments:
        own = Page(pages[a.event_id]).plain
        assert f"{a.day0:%Y-%m-%d}" in own
        assert a.reason in own
    # The CAR table: every window of every pair, t and p, as JSON the script draws.
    car = result.car
    grid = _grid(page, "car")
    labels = [c[0] for c in grid["c"]]
    assert grid["v"][labels.index("t")] == [round(t, 2) for t in car["car_t"]]
    assert f"{len(car)} rows" in text
    # Warnings: the skipped pair with its reason, the shared day 0, synthetic data.
    skipped = result.skipped.iloc[0]
    assert f"skipped pair: {skipped.event_id} / {skipped.ticker}: {skipped.reason}" in text
    assert "2024-01-29: 2 events (tariff-60pct-wapo, kyc-iaas-nprm), " in text
    assert text.count("event-date clustering:") == 1 and "cannot be told apart" not in text
    assert "synthetic data:" in text
    if "confounders" in car.columns:  # CAR windows holding another event's day 0
        assert re.search(r"confounded windows: kyc-iaas-nprm: .*CAR\[0, 0\]", text)
        assert "Other events in window" in labels


def test_report_escapes_every_user_string(tmp_path: Path) -> None:
    nasty = "<script>alert('x')</script> & \"quotes\""
    study = parse_study(
        {
            "study": {
                "name": "escape-check",
                "title": f"Title {nasty}",
                "description": f"Description {nasty}",
                "securities": ["BABA", "NVDA"],
            },
            "events": [
                {
                    "id": "ft-ai-talent",
                    "date": "2024-11-18",
                    "title": f"Event {nasty}",
                    "category": f"cat {nasty}",
                    "source": "javascript:alert('x')",
                    "notes": f"Notes {nasty}",
                }
            ],
        }
    )
    result = study.run(source="demo")
    page = report.render_report(result)
    assert "<script>alert" not in page and "<\\/script>alert" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "javascript:" not in Page(page).all("a").__repr__()
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5
    assert "&amp; &quot;quotes&quot;" in page
    assert "Figures were not drawn" in page


def test_report_shows_the_tests_table_when_the_result_has_one(result: StudyResult) -> None:
    frame = report.tests_frame(result)
    if frame is None:  # until the inference results are attached to StudyResult
        frame = pd.DataFrame(
            {
                "group": ["all", "all", "event:election-2024"],
                "window_start": [0, 0, 0],
                "window_end": [1, 1, 1],
                "test": ["cs_t", "patell_z", "cs_t"],
                "statistic": [-2.5, -3.25, 1.5],
                "p_value": [0.0312, 0.00001, 0.2],
                "n": [11, 11, 3],
            }
        )
        holder = type("WithTests", (type(result),), {"tests": property(lambda self: frame)})
        result = copy.copy(result)
        object.__setattr__(result, "__class__", holder)
    assert report.tests_frame(result) is not None
    page = report.render_report(result)
    text = Page(page).plain
    found = re.search(r"Cross-sectional tests.{0,800}?All pairs\s*Returns \(CAR\)", text)
    assert found, "no test table under the heading"
    section = text[found.start() :]
    for row in frame.head(20).itertuples():
        assert row.test in section
    assert "No cross-sectional tests" not in text


def test_table_cells_print_integers_p_values_and_text_plainly() -> None:
    """A column is formatted at once: whole numbers as integers (also in a float
    column), p-values as "< 0.0001" or 3 decimals (4 below 0.001), other numbers with
    3 decimals, text escaped, missing values empty or a dash."""
    from eventstudy.outputs.report.markup import column_cells

    assert column_cells("n_est", pd.Series([240.0, 1200.0])) == (["240", "1,200"], True)
    assert column_cells("n", pd.Series([3, 11])) == (["3", "11"], True)
    assert column_cells("p_value", pd.Series([0.00001, 0.0004, 0.0312, float("nan")])) == (
        ["&lt; 0.0001", "0.0004", "0.031", "&ndash;"],
        True,
    )
    assert column_cells("statistic", pd.Series([-2.5, 1.25])) == (["&minus;2.500", "1.250"], True)
    assert column_cells("df", pd.Series(["1/3", None, "<b>"], dtype=object)) == (
        ["1/3", "", "&lt;b&gt;"],
        False,
    )


def test_report_without_figures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = CliRunner().invoke(
        app,
        [
            "run",
            str(EVENTS),
            "--source",
            "demo",
            "-e",
            "deepseek-r1",
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    page = (out / "us-china-ai" / "report.html").read_text(encoding="utf-8")
    assert not Page(page).all("img")
    assert "Figures were not drawn" in page


# ----------------------------------------------------------------------------------
# In a real browser
# ----------------------------------------------------------------------------------


@needs_chromium
def test_report_in_headless_chromium(saved: dict[str, Path], tmp_path: Path) -> None:
    decode = """Promise.all(Array.from(document.images, img =>
        img.decode().then(() => [img.naturalWidth, img.naturalHeight, img.complete],
                          () => [0, 0, false])))"""
    browser = DevTools(tmp_path / "profile")
    seen = {}
    try:
        for name in ("report.html", "election-2024/report.html"):
            url = (saved["report"].parent / name).resolve().as_uri()
            session = browser.open(url)
            seen[name] = (
                url,
                session,
                browser.evaluate(session, decode),
                browser.evaluate(session, "document.title"),
            )
    finally:
        browser.close()

    url, session, images, title = seen["report.html"]
    assert "US-China AI news" in title
    assert len(images) == 5 + min(5, len(SUBSET))  # as in test_report_is_self_contained
    assert len(seen["election-2024/report.html"][2]) == 4
    assert "Trump wins the 2024 US presidential election" in seen["election-2024/report.html"][3]
    for url, session, images, _ in seen.values():
        for width, height, complete in images:
            assert complete and width > 0 and height > 0, images
        assert browser.errors(session) == []
        requested = browser.requested(session)
        assert requested, "the page load was not seen"
        assert all(u == url or u.startswith("data:") for u in requested), requested


@needs_chromium
def test_report_screenshot_is_not_blank(saved: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1800",
            f"--screenshot={shot}",
            saved["report"].resolve().as_uri(),
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (1800, 1200)
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05
    not_white = (rgb < 0.9).any(axis=-1).mean()
    assert not_white > 0.05, "the screenshot is (almost) blank"
    # The SYNTHETIC banner is near the top: its red border shows up in the first rows.
    top = rgb[:400]
    red = (top[..., 0] > 0.6) & (top[..., 1] < 0.2) & (top[..., 2] < 0.3)
    assert red.sum() > 100


# ----------------------------------------------------------------------------------
# Command line: --json, --quiet, --svg, the terminal summary
# ----------------------------------------------------------------------------------


def test_json_output_for_scripts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    picked = [arg for event_id in SUBSET for arg in ("-e", event_id)]
    run = CliRunner().invoke(
        app,
        [
            "run",
            str(EVENTS),
            "--source",
            "demo",
            *picked,
            "--no-plots",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    assert run.stderr == ""
    document = json.loads(run.stdout)
    folder = out / "us-china-ai"
    assert document["folder"] == str(folder)
    assert document["synthetic"] is True
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert document["files"] == on_disk
    assert "report.html" in document["files"]
    counts = document["counts"]
    assert counts == {
        "events": 4,
        "pairs": 12,
        "estimated": 11,
        "skipped": 1,
        "files": len(on_disk),
    }
    assert document["skipped"][0]["ticker"] == "NVDA"
    car = pd.read_csv(folder / "car.csv")
    car = car[(car["window_start"] == 0) & (car["window_end"] == 1)].reset_index(drop=True)
    rows = pd.DataFrame(document["car"])
    assert list(rows["event_id"]) == list(car["event_id"])
    assert list(rows["ticker"]) == list(car["ticker"])
    pd.testing.assert_series_equal(rows["car"], car["car"], check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(rows["car_t"], car["car_t"], check_exact=False, rtol=1e-12)
    assert all(w == [0, 1] for w in rows["window"])


def test_quiet_prints_nothing_and_svg_adds_svg_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = CliRunner().invoke(
        app,
        [
            "run",
            str(EVENTS),
            "--source",
            "demo",
            "-e",
            "deepseek-r1",
            "--svg",
            "--quiet",
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    assert run.stdout == ""
    assert run.stderr == ""
    folder = out / "us-china-ai"
    for name in ("caar", "heatmap", "timeline", "deepseek-r1/car", "deepseek-r1/ar"):
        assert (folder / f"{name}.png").is_file(), name
        assert (folder / f"{name}.svg").read_bytes().startswith(b"<?xml"), name


def test_quiet_still_reports_errors(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["run", str(tmp_path / "missing.yaml"), "--quiet"])
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("error: ")


def test_terminal_gets_a_rich_table_and_a_progress_bar(tmp_path: Path) -> None:
    """On a real TTY: a progress bar while drawing, then the event x security table."""
    parent, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eventstudy",
            "run",
            str(EVENTS),
            "--source",
            "demo",
            "-e",
            "deepseek-r1",
            "-e",
            "election-2024",
            "--out",
            str(tmp_path / "out"),
        ],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([parent], [], [], 1)
        if ready:
            try:
                data = os.read(parent, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(parent)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert proc.returncode == 0, text[-3000:]
    assert "figures:" in text  # the progress bar
    assert "CAR[0, +1] in % (t) per event and security" in text
    table = text[text.index("CAR[0, +1] in % (t)") :]
    assert re.search(r"deepseek-r1\s+.*-0\.\d\d \(", table)
    assert re.search(r"-14\.\d\d \(-4\.\d\)\*\*\*", table)
    assert "report.html" in table
