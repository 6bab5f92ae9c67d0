"""Tests of the ``eventstudy`` command line: ``run``, ``list``, ``validate`` and ``--help``.

The whole demo study (with its PNG figures) is run once per module and shared; the
other runs use ``--no-plots`` and an ``--event`` subset or a one-event file to stay fast.
Every user mistake must give exit code 2, one ``error:`` line on stderr naming the file
(and event/field), no traceback, and no output folder.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from eventstudy.cli.app import app
from eventstudy.core.prices import frame_sha256
from eventstudy.data.demo import demo_prices
from eventstudy.measures.record import AR_COLUMNS, CAR_COLUMNS, MODEL_COLUMNS
from eventstudy.pipeline.estimate import SKIPPED_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events.yaml"
STUDY_NAME = "us-china-ai"

# The output contract of DESIGN.md: these columns, at least, in this order.
CONTRACT = {
    "abnormal_returns.csv": [
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "ret",
        "benchmark_ret",
        "expected_ret",
        "ar",
        "car",
    ],
    "car.csv": [
        "event_id",
        "ticker",
        "day0",
        "window_start",
        "window_end",
        "car",
        "car_se",
        "car_t",
        "car_p",
        "n_est",
        "alpha",
        "beta",
        "sigma",
    ],
    "models.csv": [
        "event_id",
        "ticker",
        "model",
        "alpha",
        "beta",
        "sigma",
        "r2",
        "n_est",
        "est_start",
        "est_end",
    ],
    "skipped.csv": ["event_id", "ticker", "reason"],
}
TOP_FILES = {*CONTRACT, "manifest.json", "summary.txt", "report.html", "tests.csv", "columns.csv"}
# events.yaml has a regression, BHAR windows and the volume and volatility measures
DEMO_FILES = TOP_FILES | {
    "regression.csv",
    "bhar.csv",
    "calendar_time.csv",
    "calendar_time_portfolio.csv",
    "abnormal_volume.csv",
    "cav.csv",
    "abnormal_volatility.csv",
    "avol.csv",
}
DEMO_FIGURES = {"bhar.png", "cav.png"}  # the mean BHAR and CAV paths
STUDY_FIGURES = {f"{kind}.png" for kind in ("caar", "caar_category", "car_distribution")} | {
    "heatmap.png",
    "timeline.png",
}  # with plots (not --no-plots)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# The study block of a one-event file; windows as in events.yaml, so its numbers match.
TINY_STUDY = """\
study:
  name: {name}
  securities: [BABA, MPNGY, NVDA]
  benchmark: SPY
  estimation_window: [-250, -11]
  event_window: [-10, 10]
  car_windows: [[0, 0], [-1, 1], [0, 1], [-5, 5], [0, 10]]
  min_estimation_returns: 120
events:
  - id: ft-ai-talent
    date: 2024-11-18
    title: "FT: Chinese tech groups build AI teams in Silicon Valley"
"""


runner = CliRunner()


def invoke(*args: object) -> Result:
    """Run the command line in-process with ``args`` (paths turned into strings)."""
    return runner.invoke(app, [str(a) for a in args])


def read_events() -> dict:
    """events.yaml as plain YAML (independently of the library's loader)."""
    return yaml.safe_load(EVENTS.read_text(encoding="utf-8"))


def pairs_of(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """The (event_id, ticker) pairs of a result table."""
    return set(zip(frame["event_id"], frame["ticker"], strict=True))


def header(path: Path) -> list[str]:
    """The header line of a CSV file, split on commas."""
    with path.open(encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(",")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, checking signature and IEND."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR"), f"{path}: first chunk is not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND", f"{path} is truncated (no IEND chunk)"
    return width, height


def tmp_files(folder: Path) -> list[Path]:
    """Leftover temp files of an atomic write anywhere under ``folder``."""
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".tmp"))


def write_ticker_files(
    folder: Path, tickers: list[str], cell: Callable[[float], str] | None = None
) -> Path:
    """Write the demo prices of ``tickers`` as per-ticker files ``TICKER.csv``.

    Layout: ``date,adj_close,volume``; missing values are empty cells; prices are
    written with ``repr`` so they read back bit for bit.
    """
    prices, volumes = demo_prices()
    folder.mkdir(parents=True, exist_ok=True)
    for ticker in tickers:
        lines = ["date,adj_close,volume"]
        for day, price, volume in zip(prices.index, prices[ticker], volumes[ticker], strict=True):
            p = "" if np.isnan(price) else repr(float(price))
            v = "" if np.isnan(volume) else repr(float(volume))
            lines.append(f"{day:%Y-%m-%d},{p},{v}")
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def tiny_events(folder: Path, name: str = "csv-check") -> Path:
    """A one-event file (ft-ai-talent on BABA, MPNGY, NVDA vs SPY)."""
    path = folder / "tiny.yaml"
    path.write_text(TINY_STUDY.format(name=name), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------
# The full demo run, once per module
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A finished command-line run and its study folder."""

    result: Result
    out: Path
    folder: Path

    def csv(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.folder / name)

    def manifest(self) -> dict:
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``eventstudy run events.yaml --source demo --out DIR`` with figures, run once."""
    out = tmp_path_factory.mktemp("demo") / "out"
    result = invoke("run", EVENTS, "--source", "demo", "--out", out)
    return Run(result, out, out / STUDY_NAME)


def test_demo_run_succeeds_and_says_synthetic(demo_run: Run) -> None:
    result = demo_run.result
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Traceback" not in result.output
    assert result.stderr == ""
    assert "SYNTHETIC" in result.stdout
    assert "demo (SYNTHETIC)" in result.stdout
    assert f"to {demo_run.folder}/" in result.stdout


def test_demo_run_writes_the_contract_files(demo_run: Run) -> None:
    assert sorted(p.name for p in demo_run.out.iterdir()) == [STUDY_NAME]
    top = {p.name for p in demo_run.folder.iterdir() if p.is_file()}
    assert top == DEMO_FILES | STUDY_FIGURES | DEMO_FIGURES
    for name in DEMO_FILES | STUDY_FIGURES | DEMO_FIGURES:
        assert (demo_run.folder / name).stat().st_size > 0, name


def test_demo_run_leaves_no_temp_files(demo_run: Run) -> None:
    assert tmp_files(demo_run.out) == []
    assert list(demo_run.out.rglob(".*")) == []


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_csv_headers_start_with_contract_columns(demo_run: Run, name: str) -> None:
    columns = CONTRACT[name]
    assert header(demo_run.folder / name)[: len(columns)] == columns


def test_library_column_lists_honour_the_contract() -> None:
    for name, columns in [
        ("abnormal_returns.csv", AR_COLUMNS),
        ("car.csv", CAR_COLUMNS),
        ("models.csv", MODEL_COLUMNS),
        ("skipped.csv", SKIPPED_COLUMNS),
    ]:
        assert columns[: len(CONTRACT[name])] == CONTRACT[name], name


def study_events(raw: dict) -> list[dict]:
    """The events that are run (confounders only mask and flag)."""
    return [e for e in raw["events"] if e.get("role", "study") == "study"]


def test_demo_run_tables_cover_every_pair(demo_run: Run) -> None:
    raw = read_events()
    ids = [e["id"] for e in study_events(raw)]
    every = {
        (e["id"], t)
        for e in study_events(raw)
        for t in e.get("securities", raw["study"]["securities"])
    }
    models, skipped = demo_run.csv("models.csv"), demo_run.csv("skipped.csv")
    car, ar = demo_run.csv("car.csv"), demo_run.csv("abnormal_returns.csv")

    # Every pair is either estimated or skipped with a reason, never both.
    assert pairs_of(models) | pairs_of(skipped) == every
    assert not pairs_of(models) & pairs_of(skipped)
    assert len(models) == len(pairs_of(models))
    assert skipped["reason"].str.len().gt(0).all()

    windows = raw["study"]["car_windows"]
    lo, hi = raw["study"]["event_window"]
    assert pairs_of(car) == pairs_of(models) == pairs_of(ar)
    assert len(car) == len(models) * len(windows)
    assert len(ar) == len(models) * (hi - lo + 1)
    assert set(zip(car["window_start"], car["window_end"], strict=True)) == {
        tuple(w) for w in windows
    }
    assert ar["date"].str.fullmatch(ISO_DATE.pattern).all()
    assert car["day0"].str.fullmatch(ISO_DATE.pattern).all()
    # Tables follow the file's event order.
    order = {event_id: i for i, event_id in enumerate(ids)}
    assert car["event_id"].map(order).is_monotonic_increasing


def test_demo_run_draws_the_event_figures_for_every_estimated_event(demo_run: Run) -> None:
    estimated = set(demo_run.csv("models.csv")["event_id"])
    assert estimated
    folders = {p.name for p in demo_run.folder.iterdir() if p.is_dir()}
    assert folders == estimated
    for event_id in sorted(estimated):
        files = sorted(p.name for p in (demo_run.folder / event_id).iterdir())
        # events.yaml measures volume and volatility: their figures too; and its page
        expected = ["ar.png", "car.png", "report.html", "volatility.png", "volume.png"]
        assert files == expected, event_id
        for kind in ("car", "ar", "volume", "volatility"):
            path = demo_run.folder / event_id / f"{kind}.png"
            width, height = png_size(path)
            assert width > 0
            assert height > 0
            pixels = matplotlib.image.imread(path)
            assert pixels.shape[:2] == (height, width)
            assert pixels.std() > 0, f"{path} is a blank image"


def test_demo_manifest_records_synthetic_source_and_provenance(demo_run: Run) -> None:
    manifest = demo_run.manifest()
    assert manifest["synthetic"] is True
    assert "SYNTHETIC" in manifest["warning"]
    assert manifest["data"]["source"] == "demo"
    assert manifest["data"]["synthetic"] is True
    assert manifest["events_run"] == [e["id"] for e in study_events(read_events())]
    assert manifest["config"]["study"]["name"] == STUDY_NAME

    prices, _ = demo_prices()
    tickers = manifest["data"]["tickers"]
    assert set(tickers) == {"BABA", "MPNGY", "NVDA", "SPY"}
    for ticker, record in tickers.items():
        assert record["ticker"] == ticker
        assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"]), ticker
        assert ISO_DATE.match(record["first_date"])
        assert ISO_DATE.match(record["last_date"])
        assert record["first_date"] < record["last_date"]
        assert record["rows"] > 250
        # The hash and row count are those of the demo prices over the recorded range.
        used = prices[ticker].loc[record["first_date"] : record["last_date"]].dropna()
        assert record["rows"] == len(used), ticker
        assert record["sha256"] == frame_sha256(used), ticker


def test_demo_manifest_has_an_alignment_per_pair(demo_run: Run) -> None:
    manifest = demo_run.manifest()
    raw = read_events()
    every = {
        (e["id"], t)
        for e in study_events(raw)
        for t in e.get("securities", raw["study"]["securities"])
    }
    alignment = manifest["alignment"]
    assert len(alignment) == len(every)
    assert {(a["event_id"], a["ticker"]) for a in alignment} == every
    for entry in alignment:
        assert ISO_DATE.match(entry["day0"]), entry
        assert entry["reason"], entry
    by_pair = {(a["event_id"], a["ticker"]): a for a in alignment}
    shifted = by_pair["tariff-truth-10pct", "BABA"]
    assert shifted["day0"] == "2024-11-26"
    assert shifted["shifted"] is True
    assert "close" in shifted["reason"]
    # The day 0 in car.csv is the one recorded in the manifest.
    car = demo_run.csv("car.csv")
    for row in car.drop_duplicates(["event_id", "ticker"]).itertuples():
        assert row.day0 == by_pair[row.event_id, row.ticker]["day0"]

    counts = manifest["counts"]
    assert counts["pairs"] == len(every)
    assert counts["estimated"] == len(demo_run.csv("models.csv"))
    assert counts["skipped"] == len(demo_run.csv("skipped.csv"))


def test_demo_summary_file_is_the_printed_summary(demo_run: Run) -> None:
    summary = (demo_run.folder / "summary.txt").read_text(encoding="utf-8")
    assert "SYNTHETIC" in summary
    assert demo_run.result.stdout.startswith(summary)


def test_output_files_follow_the_umask(demo_run: Run) -> None:
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    if expected == 0o600:
        pytest.skip("this umask cannot tell the difference")
    for name in ["car.csv", "manifest.json", "summary.txt", "election-2024/car.png"]:
        mode = (demo_run.folder / name).stat().st_mode & 0o777
        assert mode == expected, f"{name}: {mode:o} != {expected:o}"


# ----------------------------------------------------------------------------------
# Subsets and the csv source
# ----------------------------------------------------------------------------------


def test_event_subset_without_plots(tmp_path: Path, demo_run: Run) -> None:
    out = tmp_path / "out"
    result = invoke(
        "run",
        EVENTS,
        "--source",
        "demo",
        "--event",
        "ft-ai-talent",
        "-e",
        "election-2024",
        "--no-plots",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    folder = out / STUDY_NAME
    pages = {"election-2024", "ft-ai-talent"}  # each event's page, drawn from the tables
    assert {p.name for p in folder.iterdir()} == DEMO_FILES | pages
    assert all((folder / e / "report.html").is_file() for e in pages)
    assert list(out.rglob("*.png")) == []
    assert tmp_files(out) == []

    car = pd.read_csv(folder / "car.csv")
    # File order, not command-line order.
    assert list(dict.fromkeys(car["event_id"])) == ["election-2024", "ft-ai-talent"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["events_run"] == ["election-2024", "ft-ai-talent"]
    assert {a["event_id"] for a in manifest["alignment"]} == {"election-2024", "ft-ai-talent"}

    # Running a subset gives the same numbers as the full run.
    full = demo_run.csv("car.csv")
    full = full[full["event_id"].isin(["election-2024", "ft-ai-talent"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(car, full, check_exact=False, rtol=1e-12)


def test_csv_folder_source_matches_demo(tmp_path: Path, demo_run: Run) -> None:
    prices = write_ticker_files(tmp_path / "prices", ["BABA", "NVDA", "SPY"])
    events = tiny_events(tmp_path)
    out = tmp_path / "out"
    result = invoke(
        "run", events, "--source", "csv", "--prices", prices, "--no-plots", "--out", out
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "SYNTHETIC" not in result.stdout
    folder = out / "csv-check"
    assert {p.name for p in folder.iterdir()} == TOP_FILES | {"ft-ai-talent"}  # its page
    assert [p.name for p in (folder / "ft-ai-talent").iterdir()] == ["report.html"]

    skipped = pd.read_csv(folder / "skipped.csv")
    assert list(skipped["event_id"]) == ["ft-ai-talent"]
    assert list(skipped["ticker"]) == ["MPNGY"]
    assert "MPNGY" in skipped["reason"].iloc[0]

    car = pd.read_csv(folder / "car.csv")
    assert set(car["ticker"]) == {"BABA", "NVDA"}
    # the same one-event file on the demo source (same prices, same confounders: none)
    demo_out = tmp_path / "demo"
    assert invoke("run", events, "--source", "demo", "--no-plots", "--out", demo_out).exit_code == 0
    full = pd.read_csv(demo_out / "csv-check" / "car.csv")
    expected = full[
        (full["event_id"] == "ft-ai-talent") & full["ticker"].isin(["BABA", "NVDA"])
    ].reset_index(drop=True)
    pd.testing.assert_frame_equal(car, expected, check_exact=False, rtol=1e-12)

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is False
    assert manifest["data"]["source"] == "csv"
    assert set(manifest["data"]["tickers"]) == {"BABA", "NVDA", "SPY"}
    demo, _ = demo_prices()
    for ticker, record in manifest["data"]["tickers"].items():
        # Same prices, same hash: the file read back is the demo series over the range.
        used = demo[ticker].loc[record["first_date"] : record["last_date"]].dropna()
        assert record["rows"] == len(used), ticker
        assert record["sha256"] == frame_sha256(used), ticker
        assert str(prices / f"{ticker}.csv") in record["detail"]


# ----------------------------------------------------------------------------------
# User errors: exit 2, one ``error:`` line, no traceback, nothing written
# ----------------------------------------------------------------------------------


def _missing_events(tmp: Path) -> tuple[list[object], list[str]]:
    path = tmp / "missing.yaml"
    return ["run", path], [str(path), "not found"]


def _malformed_yaml(tmp: Path) -> tuple[list[object], list[str]]:
    path = tmp / "bad.yaml"
    path.write_text("study: [\n  name: x\nevents: {\n", encoding="utf-8")
    return ["run", path], [str(path), "YAML", "line"]


def _unknown_event(tmp: Path) -> tuple[list[object], list[str]]:
    return ["run", EVENTS, "--event", "nope"], [str(EVENTS), "'nope'", "--event"]


def _bad_timezone(tmp: Path) -> tuple[list[object], list[str]]:
    path = tmp / "tz.yaml"
    path.write_text(
        "study:\n  name: tz-check\n  securities: [BABA]\n"
        "events:\n  - id: late-post\n    date: 2024-11-25\n    time: '17:15'\n"
        "    timezone: Mars/Olympus\n    title: t\n",
        encoding="utf-8",
    )
    return ["run", path], [str(path), "'late-post'", "'timezone'", "Mars/Olympus"]


def _csv_without_prices(tmp: Path) -> tuple[list[object], list[str]]:
    return ["run", EVENTS, "--source", "csv"], ["--prices", "csv"]


def _unknown_source(tmp: Path) -> tuple[list[object], list[str]]:
    return ["run", EVENTS, "--source", "nosuch"], ["--source", "'nosuch'"]


def _missing_prices(tmp: Path) -> tuple[list[object], list[str]]:
    path = tmp / "no-such-prices"
    return ["run", tiny_events(tmp), "--source", "csv", "--prices", path], [str(path)]


def _non_numeric_price(tmp: Path) -> tuple[list[object], list[str]]:
    folder = write_ticker_files(tmp / "prices", ["BABA", "NVDA", "SPY"])
    path = folder / "NVDA.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    day, _, volume = lines[4].split(",")
    lines[4] = f"{day},12.5x,{volume}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["run", tiny_events(tmp), "--source", "csv", "--prices", folder]
    return args, [str(path), "adj_close", "line 5", day, "'12.5x'", "not a number"]


def _nothing_estimable(tmp: Path) -> tuple[list[object], list[str]]:
    folder = write_ticker_files(tmp / "prices", ["BABA", "NVDA"])  # no benchmark
    events = tiny_events(tmp)
    args = ["run", events, "--source", "csv", "--prices", folder]
    return args, [str(events), "no (event, security) pair", "SPY"]


def _list_missing_file(tmp: Path) -> tuple[list[object], list[str]]:
    path = tmp / "missing.yaml"
    return ["list", path], [str(path), "not found"]


USER_ERRORS = {
    "missing-events-file": _missing_events,
    "malformed-yaml": _malformed_yaml,
    "unknown-event-id": _unknown_event,
    "bad-timezone": _bad_timezone,
    "csv-without-prices": _csv_without_prices,
    "unknown-source": _unknown_source,
    "missing-prices-path": _missing_prices,
    "non-numeric-price": _non_numeric_price,
    "nothing-estimable": _nothing_estimable,
    "list-missing-file": _list_missing_file,
}


def assert_user_error(result: Result, must_name: list[str]) -> str:
    """Exit 2, exactly one ``error:`` line on stderr naming ``must_name``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for text in must_name:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_user_error(tmp_path: Path, case: str) -> None:
    args, must_name = USER_ERRORS[case](tmp_path)
    out = tmp_path / "out"
    result = invoke(*args, "--no-plots", "--out", out) if args[0] == "run" else invoke(*args)
    assert_user_error(result, must_name)
    assert result.stdout == ""
    assert not out.exists()


def test_unwritable_output_folder_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    result = invoke(
        "run", EVENTS, "--source", "demo", "--event", "ft-ai-talent", "--no-plots", "--out", blocker
    )
    assert_user_error(result, [str(blocker)])
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder\n"
    assert tmp_files(tmp_path) == []


def test_user_error_from_a_real_process(tmp_path: Path) -> None:
    """The installed entry point: one line on the real stderr, exit code 2."""
    missing = tmp_path / "missing.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy", "run", str(missing), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"error: {missing}: file not found"]
    assert not (tmp_path / "o").exists()


def test_interrupt_while_drawing_leaves_only_complete_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the figures: exit 130, one line, the CSVs complete, no temp files."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def interrupted(self: FigureCanvasAgg, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(FigureCanvasAgg, "draw", interrupted)  # every PNG is drawn by Agg
    out = tmp_path / "out"
    result = invoke("run", EVENTS, "--source", "demo", "--event", "ft-ai-talent", "--out", out)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: interrupted")
    folder = out / STUDY_NAME
    assert tmp_files(out) == []
    assert list(out.rglob("*.png")) == []
    assert not (folder / "manifest.json").exists()
    for name, columns in CONTRACT.items():
        frame = pd.read_csv(folder / name)
        assert list(frame.columns[: len(columns)]) == columns
    assert len(pd.read_csv(folder / "models.csv")) == 3


# ----------------------------------------------------------------------------------
# list, validate, --help
# ----------------------------------------------------------------------------------


def test_list_shows_day0_for_every_pair() -> None:
    result = invoke("list", EVENTS)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in result.stdout.splitlines():
        if line and not line.startswith(" "):
            current = line.split()[0]
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)

    raw = read_events()
    assert list(blocks) == [e["id"] for e in raw["events"]]
    for event in raw["events"]:
        day0_lines = [line for line in blocks[event["id"]] if "day 0" in line]
        securities = event.get("securities", raw["study"]["securities"])
        assert [line.split()[0] for line in day0_lines] == securities, event["id"]

    shifted = [line for line in blocks["tariff-truth-10pct"] if "day 0" in line]
    for line in shifted:
        assert "day 0 2024-11-26 (shifted)" in line
        assert "after the 16:00 close" in line
    weekend = [line for line in blocks["tariff-feb-2025"] if "day 0" in line]
    assert all("day 0 2025-02-03 (shifted)" in line for line in weekend)
    unshifted = [line for line in blocks["election-2024"] if "day 0" in line]
    assert all("day 0 2024-11-06:" in line for line in unshifted)


def test_validate_good_file() -> None:
    result = invoke("validate", EVENTS)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "OK" in result.stdout
    assert str(EVENTS) in result.stdout
    assert "19 study events" in result.stdout
    assert "57 (event, security) pairs" in result.stdout


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "three.yaml"
    path.write_text(
        "study:\n  name: three\n  securities: [BABA]\n  colour: blue\n"
        "events:\n"
        "  - id: Bad_Id\n    date: 2024-11-25\n    title: t\n"
        "  - id: two\n    date: 2024-02-30\n    title: t\n",
        encoding="utf-8",
    )
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert all(line.startswith(f"error: {path}: ") for line in lines)
    joined = "\n".join(lines)
    assert "field 'colour'" in joined
    assert "event 'Bad_Id': field 'id'" in joined
    assert "event 'two': field 'date'" in joined


def test_validate_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    assert_user_error(invoke("validate", path), [str(path), "not found"])


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    for command in ("run", "list", "validate"):
        assert re.search(rf"^\W*{command}\b", result.stdout, re.MULTILINE), command


def test_help_does_not_import_heavy_libraries() -> None:
    """DESIGN: heavy imports are lazy so that ``eventstudy --help`` is instant."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from eventstudy.cli.app import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "heavy = ['matplotlib', 'scipy', 'statsmodels', 'yfinance', 'exchange_calendars']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_run_help_lists_the_options() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0, result.output
    for option in ("--event", "--source", "--prices", "--out", "--no-plots"):
        assert option in result.stdout, option
