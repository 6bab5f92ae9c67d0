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
import contextlib
import copy
import html
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image
import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.outputs import report
from eventstudy.outputs.result import StudyResult
from eventstudy.study import load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events.yaml"
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


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


def test_report_is_self_contained(saved: dict[str, Path], page: str) -> None:
    parsed = Page(page)
    assert not parsed.all("script")
    assert not parsed.all("link")
    assert not parsed.all("iframe")
    assert "url(" not in page
    csp = [m for m in parsed.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    images = parsed.all("img")
    # caar, caar_category (the subset has several categories), car_distribution,
    # heatmap, timeline + car and ar for the three events with estimates... and
    # liberation-day (BABA, MPNGY estimated), the mean BHAR and CAV paths (events.yaml
    # has bhar_windows and measures volume and volatility), and each event's volume and
    # volatility figures: 7 + 4 * 4.
    assert len(images) == 7 + 4 * len(SUBSET)
    folder = saved["report"].parent
    embedded = {}
    for img in images:
        src = img["src"] or ""
        assert src.startswith("data:image/png;base64,"), src[:40]
        embedded[img["alt"]] = base64.b64decode(src.split(",", 1)[1], validate=True)
    # The embedded images are the PNG files written next to the report.
    files = {p.read_bytes() for p in folder.rglob("*.png")}
    assert set(embedded.values()) == files
    for tag, attrs in parsed.tags:
        for name in ("src", "srcset", "data", "poster", "background"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)


def test_report_lists_events_alignment_tables_and_warnings(result: StudyResult, page: str) -> None:
    text = Page(page).plain
    study = result.study
    assert study.study.title in text
    assert " ".join(study.study.description.split()) in text
    assert "SYNTHETIC DATA: demo prices" in text
    for event_id in SUBSET:
        event = study.event(event_id)
        assert f"id='event-{event_id}'" in page
        assert event.title in text
        assert f"{event.date:%Y-%m-%d}" in text
        assert f"href='{html.escape(event.source)}'" in page
        assert " ".join(event.notes.split()) in text
    assert "2024-11-06 05:35 (America/New_York)" in text
    # Day 0 per security, with the reason.
    for a in result.alignments:
        assert f"{a.day0:%Y-%m-%d}" in text
        assert a.reason in text
    # The CAR table: every window of every pair, t and p.
    car = result.car
    for row in car.itertuples():
        assert f"{row.car_t:.2f}".replace("-", "&minus;") in page
    assert f"{len(car)} rows" in text
    # Warnings: the skipped pair with its reason, the shared day 0, synthetic data.
    skipped = result.skipped.iloc[0]
    assert f"skipped pair: {skipped.event_id} / {skipped.ticker}: {skipped.reason}" in text
    assert "day 0 2024-01-29 is shared by 2 events (tariff-60pct-wapo, kyc-iaas-nprm" in text
    assert "synthetic data:" in text
    if "confounders" in car.columns:  # CAR windows holding another event's day 0
        assert re.search(r"confounded windows: kyc-iaas-nprm: .*CAR\[0, 0\]", text)
        assert "Other events in window" in text


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
    assert "<script>" not in page
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

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


# Chromium reads DevTools commands from fd 3 and writes replies to fd 4: put the pipes
# there, then exec chromium (copies first, so that neither pipe end is overwritten).
TRAMPOLINE = """import os, sys
a, b = os.dup(int(sys.argv[1])), os.dup(int(sys.argv[2]))
os.dup2(a, 3)
os.dup2(b, 4)
os.set_inheritable(3, True)  # dup2 onto itself keeps the close-on-exec flag of dup
os.set_inheritable(4, True)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevTools:
    """A headless chromium driven over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        self.log = (profile.parent / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAMPOLINE,
                str(commands_r),
                str(replies_w),
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(commands_r, replies_w),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        os.close(commands_r)
        os.close(replies_w)
        self.deadline = time.monotonic() + timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next = 0

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                assert "error" not in reply, reply
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._commands)
        os.close(self._replies)
        self.log.close()


@needs_chromium
def test_report_in_headless_chromium(saved: dict[str, Path], tmp_path: Path) -> None:
    url = saved["report"].resolve().as_uri()
    browser = DevTools(tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=url)
        browser.wait_for("Page.loadEventFired")
        check = browser.send(
            "Runtime.evaluate",
            session,
            expression="""Promise.all(Array.from(document.images, img =>
                img.decode().then(() => [img.naturalWidth, img.naturalHeight, img.complete],
                                  () => [0, 0, false])))""",
            awaitPromise=True,
            returnByValue=True,
        )
        images = check["result"]["value"]
        title = browser.send(
            "Runtime.evaluate", session, expression="document.title", returnByValue=True
        )["result"]["value"]
    finally:
        browser.close()

    assert "US-China AI news" in title
    assert len(images) == 7 + 4 * len(SUBSET)  # as in test_report_is_self_contained
    for width, height, complete in images:
        assert complete and width > 0 and height > 0, images
    events = [e for e in browser.events if e.get("sessionId") == session]
    errors = [
        e["params"]
        for e in events
        if e["method"] == "Runtime.exceptionThrown"
        or (
            e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in {"error", "assert"}
        )
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or e["method"] == "Network.loadingFailed"
    ]
    assert errors == []
    requested = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
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
