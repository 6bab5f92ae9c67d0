"""report.html in a real browser (Debian's headless chromium over the DevTools pipe,
nothing downloaded; skipped without chromium): the first screen holds the headline
table, the search leaves only the rows asked for, a header click sorts, a hover shows
a value, nothing outside the page is loaded, and a 20,000-event report finds one
event by its id in under a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from big_results import firm_specific_result
from chromium import DevTools, needs_chromium

from eventstudy.outputs import report
from eventstudy.outputs.result import StudyResult
from eventstudy.study import load_study

ROOT = Path(__file__).resolve().parents[1]
SCREEN = (1200, 900)

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyResult, Path]:
    result = load_study(ROOT / "events.yaml").run(source="demo")
    return result, result.save(tmp_path_factory.mktemp("demo"), plots=False)["report"]


@pytest.fixture()
def browser(tmp_path: Path) -> DevTools:
    tools = DevTools(tmp_path / "profile")
    yield tools
    tools.close()


def _type(browser: DevTools, session: str, selector: str, text: str) -> None:
    browser.evaluate(session, f"document.querySelector({selector!r}).focus()")
    browser.send("Input.insertText", session, text=text)


def _wait(browser: DevTools, session: str, condition: str, seconds: float = 10.0) -> float:
    """Milliseconds until the JavaScript ``condition`` holds (polled in the page)."""
    return browser.evaluate(
        session,
        f"""new Promise((ok, fail) => {{
            const start = performance.now();
            (function poll() {{
                if ({condition}) {{ ok(performance.now() - start); }}
                else if (performance.now() - start > {seconds * 1000}) {{ fail("timeout"); }}
                else {{ setTimeout(poll, 10); }}
            }})();
        }})""",
    )


def _column(browser: DevTools, session: str, grid: str, col: int) -> list[str]:
    return browser.evaluate(
        session,
        f"Array.from(document.querySelectorAll('#grid-{grid} tbody tr'), "
        f"r => r.cells[{col}].textContent)",
    )


def test_demo_report_answers_searches_sorts_and_hovers(
    demo: tuple[StudyResult, Path], browser: DevTools
) -> None:
    result, path = demo
    url = path.resolve().as_uri()
    session = browser.open(url, SCREEN)
    # the first screen holds the headline table and its first rows
    top = browser.evaluate(
        session,
        "[document.querySelector('#grid-headline table').getBoundingClientRect().top, "
        "document.querySelectorAll('#grid-headline tbody tr').length, window.innerHeight]",
    )
    assert 0 < top[0] < top[2] == SCREEN[1] and top[1] == 12
    main = result.car_window(0, 1)
    info = browser.evaluate(session, "document.querySelector('#grid-headline .info').textContent")
    assert info == f"1\u201312 of {len(main)} rows"

    # sorting by CAR puts the largest first
    browser.evaluate(
        session,
        "Array.from(document.querySelectorAll('#grid-headline th'))"
        ".find(th => th.textContent === 'CAR %').click()",
    )
    cars = _column(browser, session, "headline", 2)
    assert cars[0] == f"{main['car'].max() * 100:.2f}"
    assert [float(c.replace("\u2212", "-")) for c in cars] == sorted(
        (float(c.replace("\u2212", "-")) for c in cars), reverse=True
    )

    # typing "deepseek" into the search leaves only DeepSeek's rows, in every table
    _type(browser, session, "#search-all", "deepseek")
    mine = result.car[result.car["event_id"] == "deepseek-r1"]
    _wait(
        browser,
        session,
        "document.querySelector('#grid-car .info').textContent.startsWith('1\u2013')"
        f" && document.querySelector('#grid-car .info').textContent.includes(' of {len(mine)} ')",
    )
    for grid, rows in (("headline", 3), ("car", len(mine))):
        events = _column(browser, session, grid, 0)
        assert set(events) == {"deepseek-r1"} and len(events) == min(rows, 25)
    groups = set(_column(browser, session, "tests", 0))
    assert groups == {"event:deepseek-r1"}

    # a hover on a point of the CAAR shows its value
    box = browser.evaluate(
        session,
        """(() => { const c = document.querySelectorAll('#answer circle')[11];
        c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2, c.dataset.tip]; })()""",
    )
    browser.send("Input.dispatchMouseEvent", session, type="mouseMoved", x=box[0], y=box[1])
    tip = browser.evaluate(
        session,
        "[document.getElementById('tip').hidden, document.getElementById('tip').textContent]",
    )
    stats = result.abnormal_returns.groupby("rel_day")["car"].mean() * 100
    assert tip == [False, box[2]]
    assert box[2].startswith(f"CAAR, day +1: {stats.loc[1]:+.2f}%".replace("-", "\u2212"))

    assert browser.errors(session) == []
    assert all(u == url or u.startswith("data:") for u in browser.requested(session))


def test_event_page_opens_without_errors(demo: tuple[StudyResult, Path], browser: DevTools) -> None:
    _, path = demo
    url = (path.parent / "deepseek-r1" / "report.html").resolve().as_uri()
    session = browser.open(url, SCREEN)
    rows = _column(browser, session, "car", 1)
    assert sorted(set(rows)) == ["BABA", "MPNGY", "NVDA"]
    assert browser.evaluate(session, "document.querySelectorAll('svg [data-tip]').length") > 21
    assert browser.errors(session) == []
    assert all(u == url or u.startswith("data:") for u in browser.requested(session))


def test_a_20000_event_report_finds_one_event_by_id(tmp_path: Path, browser: DevTools) -> None:
    result = firm_specific_result(500, 40, gone=50)
    path = tmp_path / "report.html"
    path.write_text(report.render_report(result), encoding="utf-8")
    assert path.stat().st_size < 10_000_000
    start = time.perf_counter()
    session = browser.open(path.resolve().as_uri(), SCREEN)
    assert time.perf_counter() - start < 10
    ready = browser.evaluate(session, "window.reportReady")
    assert ready < 2000, f"first screen drawn {ready:.0f} ms after navigation"
    wanted = "t123-17"
    rows = result.car[result.car["event_id"] == wanted]
    start = time.perf_counter()
    _type(browser, session, "#search-all", wanted)
    _wait(
        browser,
        session,
        f"document.querySelector('#grid-car .info').textContent === '1\u2013{len(rows)} of "
        f"{len(rows)} rows ({len(result.car):,} in all)'",
    )
    took = time.perf_counter() - start
    assert took < 1.0, f"{took:.2f} s to find {wanted}"
    assert set(_column(browser, session, "car", 0)) == {wanted}
    assert browser.errors(session) == []
