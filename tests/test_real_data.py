"""The study's events on real prices (../shared/data/real) through the csv source.

MPNGY has no real series there; 3690.HK (Meituan's Hong Kong listing, XHKG calendar)
stands in for it. The test skips cleanly where the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstudy.events.yamlsafe import load_yaml
from eventstudy.study import load_study, parse_study, run_study

EVENTS = Path(__file__).resolve().parents[1] / "events.yaml"
SECURITIES = ["BABA", "3690.HK", "NVDA"]


@pytest.fixture(scope="module")
def real_result():
    from tests.conftest import REAL_DATA

    if not (REAL_DATA / "BABA.csv").is_file():
        pytest.skip(f"real price data not found at {REAL_DATA}")
    raw = load_yaml(EVENTS.read_text())
    raw["study"]["securities"] = SECURITIES
    study = parse_study(raw, str(EVENTS))
    return run_study(study, source="csv", prices=REAL_DATA)


def test_every_event_runs_on_real_prices(real_result):
    study = load_study(EVENTS)
    assert set(real_result.models["event_id"]) == {e.id for e in study.select(None)}
    assert set(real_result.models["ticker"]) == set(SECURITIES)
    assert not real_result.synthetic
    # every real pair has the full 240-day estimation window bar holidays/placeholders
    assert (real_result.models["n_est"] >= 200).all()
    # events.yaml's bhar_windows: the half-year windows of recent events run past the
    # prices, which are skipped for that window only, with the reason
    skipped = real_result.skipped
    bhar = skipped["reason"].str.startswith("BHAR [")
    assert skipped[~bhar].empty, skipped.to_string()
    assert skipped.loc[bhar, "reason"].str.contains("runs past the end of the data").all()


def test_deepseek_day_is_a_large_negative_nvda_abnormal_return(real_result):
    row = (
        real_result.car_window(0, 0).set_index(["event_id", "ticker"]).loc[("deepseek-r1", "NVDA")]
    )
    # NVDA -16.97% while SPY -1.41% (shared/data/real/README.md)
    assert row["day0"] == "2025-01-27"
    assert -0.17 < row["car"] < -0.13
    assert row["car_t"] < -4


def test_real_returns_are_read_on_the_right_dates(real_result):
    ar = real_result.abnormal_returns.set_index(["event_id", "ticker", "date"])
    # raw daily returns quoted in research/events.md
    assert ar.loc[("deepseek-r1", "NVDA", "2025-01-27"), "ret"] == pytest.approx(-0.1697, abs=5e-5)
    assert ar.loc[("election-2024", "BABA", "2024-11-06"), "ret"] == pytest.approx(
        -0.0250, abs=5e-5
    )
    assert ar.loc[("election-2024", "3690.HK", "2024-11-06"), "ret"] == pytest.approx(
        -0.0232, abs=5e-5
    )
    assert ar.loc[("election-2024", "NVDA", "2024-11-06"), "benchmark_ret"] == pytest.approx(
        0.0249, abs=5e-5
    )


def test_hong_kong_stand_in_uses_the_hong_kong_calendar(real_result):
    models = real_result.models.set_index(["event_id", "ticker"])
    assert models.loc[("ft-ai-talent", "3690.HK"), "exchange"] == "XHKG"
    alignment = real_result.alignment.set_index(["event_id", "ticker"])
    # Liberation Day: 16:15 ET on Apr 2 is 04:15 HKT Apr 3, before the HK open
    assert alignment.loc[("liberation-day", "3690.HK"), "day0"] == "2025-04-03"
    assert alignment.loc[("liberation-day", "BABA"), "day0"] == "2025-04-03"
