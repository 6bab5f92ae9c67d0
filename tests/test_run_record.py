"""What a run records of itself: its real start and end, and the windows it computed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import EventStudyError
from eventstudy.sessions.calendar import sessions


def _prices() -> pd.DataFrame:
    days = sessions("XNYS")
    days = days[(days >= "2023-01-03") & (days <= "2024-12-31")].rename("date")
    rng = np.random.default_rng(8)
    market = rng.normal(0.0003, 0.01, len(days))
    own = 0.9 * market + rng.normal(0, 0.01, len(days))
    return pd.DataFrame(
        {"AAA": 50 * np.exp(np.cumsum(own)), "SPY": 400 * np.exp(np.cumsum(market))}, index=days
    )


@pytest.fixture(scope="module")
def result() -> es.StudyResult:
    events = pd.DataFrame({"date": ["2024-06-03", "2024-09-03"], "ticker": ["AAA", "AAA"]})
    return es.Study.from_frame(events, benchmark="SPY").run(prices=_prices(), tests="none")


def test_a_window_that_was_not_computed_is_an_error_listing_those_that_were(result):
    message = (
        "field 'window': window [0, 3] is not a CAR window of the study (car_windows: "
        "[0, 0], [-1, 1], [0, 1], [-5, 5], [0, 10]): the run computed these only"
    )
    with pytest.raises(EventStudyError) as info:
        result.summary(window=(0, 3))
    assert str(info.value) == message
    with pytest.raises(EventStudyError, match=re.escape(message)):
        result.car_window(0, 3)
    with pytest.raises(EventStudyError, match=re.escape(message)):
        result.regress("car ~ 1", window=(0, 3))
    assert len(result.summary(window=(-1, 1)).table) == 2  # one that was computed


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_manifest_and_report_record_the_run_until_its_files_are_written(tmp_path: Path):
    _prices().to_csv(tmp_path / "p.csv")
    (tmp_path / "ev.csv").write_text("date,ticker\n2024-06-03,AAA\n", encoding="utf-8")
    before = datetime.now(UTC).replace(microsecond=0)
    args = ["run", tmp_path / "ev.csv", "--prices", tmp_path / "p.csv", "--benchmark", "SPY"]
    outcome = CliRunner().invoke(app, [str(a) for a in [*args, "--out", tmp_path / "out"]])
    after = datetime.now(UTC)
    assert outcome.exit_code == 0, outcome.output
    folder = tmp_path / "out" / "ev"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    started, finished = _stamp(manifest["started"]), _stamp(manifest["finished"])
    computed = _stamp(manifest["computed"])
    assert before <= started <= computed <= finished <= after
    files = [p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"]
    last = max(datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in files)
    assert finished >= last.replace(microsecond=0)  # after the last file (the report)
    page = (folder / "report.html").read_text(encoding="utf-8")
    shown = re.search(r"<th>Run</th><td>(\S+) to (\S+)</td>", page)
    assert shown is not None and _stamp(shown[1]) == started
    tables = max(
        datetime.fromtimestamp((folder / name).stat().st_mtime, UTC)
        for name in ("car.csv", "models.csv", "summary.txt", "caar.png")
    )
    assert computed <= _stamp(shown[2]) and _stamp(shown[2]) >= tables.replace(microsecond=0)
