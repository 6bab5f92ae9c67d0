"""The report follows the study's design and spends its figure budget by importance.

Study figures are embedded before any event's, whatever the budget; the event list
and sections are in order of significance; the tests table is grouped by measure with
a validity mark per row; no cell prints an integer with decimals; a firm-specific
report has the design's figures and no diagonal heat map; at 430 px the event list
stacks into one column without overlapping boxes (headless chromium).
"""

from __future__ import annotations

import base64
import json
import re
import sys
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import CHROMIUM, DevTools, needs_chromium

from eventstudy.outputs import report
from eventstudy.outputs.plots import save_figures
from eventstudy.outputs.report.figures import Embedder, section_events
from eventstudy.outputs.result import StudyResult
from eventstudy.study import Study, load_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import earnings_study  # the benchmarks' firm-specific study

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]
SECTION = re.compile(r"<section class=event id='event-([a-z0-9-]+)'>")
IMAGE = re.compile(r"<img src='data:image/png;base64,[^']*' alt='([^']*)'")
STUDY = ("caar", "caar_category", "car_distribution", "heatmap", "timeline", "cav", "bhar")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyResult, dict, str]:
    result = load_study(ROOT / "events.yaml").run(source="demo", event_ids=SUBSET)
    images = save_figures(result, tmp_path_factory.mktemp("figures"), workers=1).images
    return result, images, report.render_report(result, images)


@pytest.fixture(scope="module")
def firms(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyResult, str]:
    prices, table = earnings_study(12, 6, 0.01, seed=1)
    study = Study.from_frame(
        table, name="firms", benchmark="SPY", regressions=["car ~ eps_surprise"]
    )
    result = study.run(prices=prices)
    images = save_figures(result, tmp_path_factory.mktemp("firms"), workers=1).images
    return result, report.render_report(result, images)


def columns_named(html: str, name: str) -> list[list[str]]:
    """The cells of every table column headed ``name``."""
    found = []
    for head, body in re.findall(r"<thead><tr>(.*?)</tr></thead><tbody>(.*?)</tbody>", html):
        names = re.findall(r"<th[^>]*>(.*?)</th>", head)
        if name in names:
            k = names.index(name)
            rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
            found.append([re.findall(r"<td[^>]*>(.*?)</td>", r)[k] for r in rows])
    return found


def by_p(result: StudyResult, ids: list[str]) -> list[str]:
    best = result.car_window(0, 1).groupby("event_id")["car_p"].min()
    return sorted(ids, key=lambda e: (best.get(e, 2.0), ids.index(e)))


def test_study_figures_are_embedded_before_any_event(demo) -> None:
    result, images, _ = demo
    study = [n for n in images if "/" not in n]
    assert {"cav", "bhar"} <= set(study)
    size = sum((len(images[n][1]) + 2) // 3 * 4 for n in study)
    # a budget that holds the study figures and one more byte: no event figure fits
    tight = Embedder(images, budget=size + 1, events=SUBSET)
    assert tight.embedded == set(study)
    html = report.render_report(result, images)
    alts = IMAGE.findall(html)  # the main page: study figures and the strongest events' CARs
    strongest = [
        f"{e}: CAR paths from day 0 (0 at day -1) with 95% bands" for e in by_p(result, SUBSET)
    ]
    assert [a for a in alts if ": " in a] == strongest[:5]
    assert "Mean BHAR over the longest window with a 95% band" in alts
    assert "Mean CAV over all estimated pairs with a 95% band" in alts


def test_events_are_listed_and_embedded_in_order_of_p(demo) -> None:
    result, images, _ = demo
    listed = section_events(result, images)  # the events with a page, as the page lists them
    ordered = by_p(result, [e for e in result.event_ids if e in listed])
    assert listed == ordered and len(ordered) > 1
    # with room for the study figures and one event, it is the most significant one
    study = [n for n in images if "/" not in n]
    first = [n for n in images if n.startswith(f"{ordered[0]}/")]
    size = sum((len(images[n][1]) + 2) // 3 * 4 for n in study + first)
    assert Embedder(images, budget=size, events=ordered).embedded == set(study + first)


def test_event_sections_are_titled_with_securities_date_and_title(demo, tmp_path) -> None:
    result, images, _ = demo
    report.write_pages(result, tmp_path / "report.html", images)
    html = (tmp_path / "liberation-day" / "report.html").read_text(encoding="utf-8")
    event = result.study.event("liberation-day")
    title = html_escape(f"BABA, MPNGY · {event.date:%Y-%m-%d} · {event.title}", quote=True)
    assert f"<h3>{title}</h3>" in html


def test_tests_are_grouped_by_measure_and_marked_for_the_design(demo) -> None:
    result, _, html = demo
    part = html[
        html.index("<section id=tests>") : html.index(
            "</section>", html.index("<section id=tests>")
        )
    ]
    headings = re.findall(r"<h4>([^<]+)</h4>", part.split("<details>")[0])
    assert headings == [
        "Returns (CAR)",
        "Volume (CAV)",
        "Volatility (Beaver&#x27;s U, percentile tests)",
        "Long horizon (BHAR)",
    ]
    assert "<span class=valid-sig>recommended</span>" in part
    assert "<span class=valid-bad>not valid</span>" in part
    # within a measure, rows are in order of p
    returns = part.split("<h4>Returns (CAR)</h4>")[1].split("<h4>")[0]
    tests = result.tests()
    rows = tests[(tests["group"] == "all") & (tests["measure"] == "return")]
    first = rows.sort_values("p_value", kind="stable").iloc[0]
    assert re.search(r"<tbody><tr><td>([a-z_0-9]+)</td>", returns).group(1) == first["test"]


def test_no_cell_prints_decimals_for_an_integer(demo, firms, tmp_path) -> None:
    report.write_pages(demo[0], tmp_path / "report.html", demo[1])
    event_page = (tmp_path / "liberation-day" / "report.html").read_text(encoding="utf-8")
    for html in (demo[2], firms[1], event_page):
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
        assert cells
        assert not [c for c in cells if re.fullmatch(r"(&minus;)?\d[\d,]*\.0000", c)]
        # estimation days and counts: whole numbers, never with decimals
        for name in ("Estimation days", "n"):
            for column in columns_named(html, name):
                assert all(re.fullmatch(r"[\d,]+|&ndash;|", c) for c in column), (name, column)
    assert re.findall(r"<td[^>]*>", event_page)
    assert "240.0000" not in demo[2] + event_page and "[+0,+1]" not in demo[2] + event_page


def test_car_regression_coefficients_are_in_percent(firms) -> None:
    result, html = firms
    fit = result.regressions()[0].model_result
    assert "estimate (% of CAR)" in html
    grid = json.loads(re.search(r"id='grid-regression-0-data'>(.*?)</script>", html).group(1))
    names = [c[0] for c in grid["c"]]
    terms, estimates = grid["v"][names.index("term")], grid["v"][names.index("estimate (% of CAR)")]
    terms = [terms["u"][i] for i in terms["i"]] if isinstance(terms, dict) else terms
    shown = estimates[terms.index("eps_surprise")]
    assert shown == pytest.approx(fit.params["eps_surprise"] * 100, rel=1e-3)


def test_firm_specific_report_has_its_figures_and_no_heatmap(firms) -> None:
    _, html = firms
    alts = IMAGE.findall(html)
    for caption in (
        "The most significant pairs with their 95% confidence intervals",
        "When the day 0s fall, pairs per period",
        "CAAR per decile of each numeric characteristic of the events",
        "The CAR against each regressor, binned means with the fitted line",
    ):
        assert caption in alts
    assert not any("per event and security" in a or "normalised to 100" in a for a in alts)
    assert "heatmap.png" not in html and "timeline.png" not in html


def test_embedded_pngs_are_shown_at_half_their_pixels(demo) -> None:
    _, _, html = demo
    img = re.search(r"<img src='data:image/png;base64,([^']*)'[^>]* width=(\d+) height=(\d+)", html)
    data = base64.b64decode(img.group(1))
    width = int.from_bytes(data[16:20], "big")
    assert int(img.group(2)) * 2 == width == 1800


@needs_chromium
def test_the_first_screen_stacks_into_one_column_at_430_px(demo, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "report.html"
    page.write_text(demo[2], encoding="utf-8")
    browser = DevTools(tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.send("Page.enable", session)
        browser.send("Emulation.setDeviceMetricsOverride", session, width=430, height=900,
                     deviceScaleFactor=1, mobile=True)  # fmt: skip
        browser.send("Page.navigate", session, url=page.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        boxes = browser.send(
            "Runtime.evaluate",
            session,
            # the answer's two boxes (sentences, CAAR figure) and the page's width
            expression="""[Array.from(document.querySelectorAll('.answer > *'), e => {
                const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];
            }), document.documentElement.scrollWidth]""",
            returnByValue=True,
        )["result"]["value"]
        shot = browser.send("Page.captureScreenshot", session, format="png")["data"]
    finally:
        browser.close()
    answer, width = boxes
    assert len(answer) == 2 and width <= 430
    (a, b) = answer
    assert a[3] <= b[1] and a[2] <= 430 and b[2] <= 430  # stacked, one under the other
    png = base64.b64decode(shot)
    assert int.from_bytes(png[16:20], "big") == 430


def test_the_first_screen_says_the_pooled_answer_and_the_planted_slope(firms) -> None:
    """The study's sentences come before any event's: all pairs together with the test
    tests.csv marks recommended, and the regression's slope and HC1 t as an independent OLS of
    car.csv's CAR[0, +1] on eps_surprise gives it (the planted 1 pp per unit)."""
    import statsmodels.api as sm

    result, html = firms
    answer = html[html.index("<section id=answer>") :]
    study = re.search(r"<ul class='sentences study'>(.*?)</ul>", answer).group(1)
    assert answer.index("sentences study") < answer.index("<ul class=sentences>")
    tests = result.tests()
    kp = tests[
        (tests["group"] == "all") & (tests["test"] == "kp_bmp_t")
        & (tests["window_start"] == 0) & (tests["window_end"] == 1)
        & (tests["measure"] == "return")
    ].iloc[0]  # fmt: skip
    assert kp["validity"] == "recommended"
    mean = result.car_window(0, 1)["car"].mean() * 100
    n = int(kp["n"])
    assert f"All {n} pairs together: mean CAR[0, +1] {mean:+.2f}%" in study
    assert f"Kolari-Pynnönen adjusted BMP p = {kp['p_value']:.3f}" in study
    assert "recommended for firm-specific events" in study
    car = result.car_window(0, 1).merge(result.events[["event_id", "eps_surprise"]], on="event_id")
    fit = sm.OLS(car["car"], sm.add_constant(car["eps_surprise"])).fit(cov_type="HC1")
    slope = fit.params["eps_surprise"] * 100
    assert abs(slope - 1.0) < 3 * fit.bse["eps_surprise"] * 100  # the planted 1 pp, recovered
    assert f"each unit of eps_surprise adds {slope:+.3g} percentage points" in study
    assert f"t = {fit.tvalues['eps_surprise']:.1f}" in study


def category_fit(
    n: int,
    levels: list[str],
    estimate: list[float],
    t: list[float],
    p: list[float],
    p_placebo: float | list[float] = np.nan,
) -> pd.DataFrame:
    """regression.csv rows of ``car ~ C(category)`` over CAR[0, +1]: the intercept, then
    one term per level."""
    return pd.DataFrame({
        "formula": "car ~ C(category)", "window_start": 0, "window_end": 1, "n": n,
        "term": ["Intercept", *(f"C(category)[T.{level}]" for level in levels)],
        "estimate": estimate, "t": t, "p_value": p, "p_placebo": p_placebo,
    })  # fmt: skip


def test_study_sentences_name_levels_prefer_the_adjusted_test_and_warn_of_shared_dates():
    from eventstudy.outputs.report.study_answer import pooled_sentence, regression_sentences

    car = pd.DataFrame({"window_start": 0, "window_end": [1, 1, 1], "car": [0.01, 0.02, 0.06]})
    tests = pd.DataFrame({
        "group": "all", "window_start": 0, "window_end": 1, "measure": "return", "n": 3,
        "test": ["bmp_t", "kp_bmp_t", "cs_t"], "p_value": [0.01, 0.2, 0.001],
        "validity": ["recommended", "recommended", "valid"],
    })  # fmt: skip
    said = pooled_sentence(car, tests, (0, 1), "shared-dates")
    assert said == (
        "All 3 pairs together: mean CAR[0, +1] +3.00% (Kolari-Pynnönen adjusted BMP "
        "p = 0.200, the test recommended for securities that share event dates)."
    )
    assert pooled_sentence(car, tests.assign(validity="valid"), (0, 1), "shared-dates") == ""
    fit = category_fit(40, ["tariff", "chips"], [0.001, -0.0355, 0.004], [0.1, -3.5, 0.4],
                       [0.9, 0.0012, 0.7])  # fmt: skip
    (sentence,) = regression_sentences([(fit, True)], shared_dates=True)
    assert sentence == (
        "car ~ C(category) over CAR[0, +1]: category = tariff (against the base level) adds "
        "-3.55 percentage points (t = -3.5, p = 0.001) (40 pairs; the pairs share dates, so "
        "these usual standard errors understate the uncertainty)."
    )
    (none,) = regression_sentences([(fit.assign(p_value=0.5), True)])
    assert none == "car ~ C(category) over CAR[0, +1]: no term is significant at 5% (40 pairs)."


def test_the_folded_sentences_say_how_many_would_be_significant_by_chance():
    from eventstudy.outputs.report.page import _sentences

    p = np.r_[np.full(8, 0.01), np.full(32, 0.5)]
    headline = pd.DataFrame({
        "event_id": [f"e{k:02d}" for k in range(40)], "ticker": "X", "day0": "2024-01-02",
        "car": 0.05, "test": "t-test", "p": p, "group_p": np.nan,
    })  # fmt: skip
    html = _sentences(headline, (0, 1), {})
    assert html.count("<li") == 8
    assert "3 more events significant at 5% (8 of 40 events; about 2 would be by chance" in html


def test_a_regression_with_placebo_is_judged_by_its_placebo_p():
    from eventstudy.outputs.report.study_answer import regression_sentences

    fit = category_fit(56, ["export-control", "tariff"], [-0.04, 0.0607, 0.0355],
                       [-12.4, 7.0, 3.5], [1e-17, 6e-9, 0.001], [0.04, 0.0167, 0.108])  # fmt: skip
    (sentence,) = regression_sentences([(fit, True)], shared_dates=True)
    # tariff's usual p is 0.001, but its placebo p (0.108) is not significant: left out
    assert sentence == (
        "car ~ C(category) over CAR[0, +1]: category = export-control (against the base "
        "level) adds +6.07 percentage points (t = 7.0, placebo p = 0.017, usual p < 0.0001) "
        "(56 pairs)."
    )
    (none,) = regression_sentences([(fit.assign(p_placebo=0.5), True)])
    assert "no term is significant at 5% by its placebo p (56 pairs)" in none


def test_the_main_page_embeds_the_strongest_events_in_order_of_p(demo) -> None:
    result, images, html = demo
    section = html[html.index("<section id=strongest>") :]
    section = section[: section.index("</section>")]
    ids = by_p(result, [e for e in result.event_ids if f"{e}/car" in images])[:5]
    assert re.findall(r"<h3><a href='([a-z0-9-]+)/report.html'>", section) == ids
    embedded = IMAGE.findall(section)
    assert embedded == [f"{e}: CAR paths from day 0 (0 at day -1) with 95% bands" for e in ids]
    assert "The 4 strongest events" in section  # the demo subset has 4 events
