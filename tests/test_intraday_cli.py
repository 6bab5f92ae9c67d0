"""The intraday study from the command line: run (files, columns, manifest, report), list."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli.app import app

runner = CliRunner()
EVENTS = "examples/intraday.yaml"


def test_run_writes_the_intraday_output_contract(tmp_path):
    result = runner.invoke(app, ["run", EVENTS, "--source", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "Wrote 12 files" in result.output
    folder = tmp_path / "intraday-demo"
    ar = pd.read_csv(folder / "abnormal_returns.csv")
    assert list(ar.columns[:4]) == ["event_id", "ticker", "rel_bar", "timestamp"]
    assert "overnight" in ar.columns and "rel_day" not in ar.columns
    car = pd.read_csv(folder / "car.csv")
    assert list(car.columns[:3]) == ["event_id", "ticker", "bar0"]
    assert {"car_p_tod", "n_tod", "car_se", "car_t", "car_p"} <= set(car.columns)
    assert car["car_p_tod"].between(0, 1).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["interval"], manifest["session"]) == ("5m", "regular")
    assert manifest["config"]["study"]["interval"] == "5m" and manifest["synthetic"]
    shifted = [a for a in manifest["alignment"] if a["shifted"]]
    assert {a["event_id"] for a in shifted} == {"demo-premarket", "demo-afterclose"}
    assert all(a["bar0"].endswith("T09:30:00-04:00") for a in shifted)
    assert manifest["data"]["off_grid"]["SPY"] > 0  # extended-hours bars left out, counted
    tests = pd.read_csv(folder / "tests.csv")
    assert {"all", "event:demo-midday", "category:demo"} <= set(tests["group"])
    assert set(tests["window_end"]) == {0, 2, 12} and "cs_t" in set(tests["test"])
    html = (folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "car_p_tod" in html
    for event in ("demo-midday", "demo-premarket", "demo-afterclose"):
        assert (folder / event / "car.png").stat().st_size > 10_000


def test_run_json_lists_every_car(tmp_path):
    args = ["run", EVENTS, "--source", "demo", "--out", str(tmp_path), "--json", "--no-plots"]
    args += ["--tests", "none"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["interval"] == "5m" and len(data["car"]) == 18
    assert {"bar0", "car_p_tod"} <= set(data["car"][0])
    assert "tests.csv" not in data["files"]


def test_list_shows_bar0_and_every_shift():
    result = runner.invoke(app, ["list", EVENTS])
    assert result.exit_code == 0, result.output
    assert "bar 0 2025-03-26 11:00 EDT: inside the 11:00 bar" in result.output
    assert result.output.count("(shifted)") == 4
    assert "at or after the 16:00 close" in result.output


def test_a_bad_intraday_key_is_one_error_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(EVENTS).read_text().replace("interval: 5m", "interval: 7m"))
    result = runner.invoke(app, ["run", str(bad), "--source", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error:") and "interval" in lines[0]


@pytest.mark.filterwarnings("always::UserWarning")
def test_formats_an_intraday_run_does_not_write_are_named(tmp_path):
    args = ["run", EVENTS, "--source", "demo", "--out", str(tmp_path), "--no-plots", "--parquet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning: parquet not written for an intraday run" in result.output
    assert not list((tmp_path / "intraday-demo").glob("*.parquet"))
