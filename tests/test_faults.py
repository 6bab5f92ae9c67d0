"""Faults: the network, Yahoo's rate limit, the cache, the disk and Ctrl-C.

Each fault must leave the cache and the outputs consistent, say what happened in one
line, and let a re-run complete. Yahoo is faked (``tests/yahoo_fakes.FakeYahoo``); the
disk faults are simulated by monkeypatching, since the suite runs as root, where
``chmod`` does not stop a write.

What "consistent" means here:

* cache: every ``TICKER.parquet`` is complete and readable; tickers fetched before the
  fault stay cached (a re-run does not download them again); no ``*.tmp`` is left; an
  unreadable file is moved aside (``*.corrupt-<time>``), never silently deleted.
* outputs: no partial or temp file, ever. When a re-run over an earlier complete run
  is interrupted (Ctrl-C, disk full), the old files stay until each new file
  atomically replaces it, so every file is complete, but the folder may mix files of
  the old and the new run. ``manifest.json`` marks a complete run: ``save`` removes it
  first and writes it last, so a folder without it was interrupted, and a re-run
  restores it.

Exit codes: 2 for a problem the user can fix (folder, disk, nothing estimable), 1 when
Yahoo keeps rate-limiting, 130 on Ctrl-C. A partial study (some pairs could not be
fetched) exits 0 and reports what was skipped and why in ``skipped.csv`` and the
summary; a corrupt cache file is repaired with one ``warning:`` line.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from curl_cffi.requests.exceptions import DNSError
from typer.testing import CliRunner, Result
from yfinance.exceptions import YFRateLimitError

from eventstudy.cli.app import app
from eventstudy.core import atomic
from eventstudy.data.cache import PriceCache
from eventstudy.data.demo import demo_prices
from eventstudy.data.yahoo import YahooSource
from tests.yahoo_fakes import FakeYahoo

PRICES = demo_prices()[0].loc[:, ["SPY", "BABA", "NVDA"]].dropna()
NAME = "faults"
EVENTS = f"""\
study:
  name: {NAME}
  securities: [BABA, NVDA]
  benchmark: SPY
events:
  - id: ft-ai-talent
    date: 2024-11-18
    title: FT
  - id: deepseek-r1
    date: 2025-01-27
    title: DeepSeek-R1
"""
CSV_TABLES = ["abnormal_returns.csv", "car.csv", "models.csv", "skipped.csv"]
DNS = "Failed to perform, curl: (6) Could not resolve host: query1.finance.yahoo.com"

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def events_file(folder: Path, securities: str = "[BABA, NVDA]") -> Path:
    path = folder / "events.yaml"
    path.write_text(EVENTS.replace("[BABA, NVDA]", securities), encoding="utf-8")
    return path


def run_yahoo(tmp: Path, *extra: object, events: Path | None = None) -> Result:
    events = events or events_file(tmp)
    out, cache = tmp / "out", tmp / "cache"
    return invoke("run", events, "--cache-dir", cache, "--no-plots", "--out", out, *extra)


def one_line(result: Result, code: int, prefix: str = "error: ") -> str:
    """Exit ``code``, one line on stderr starting with ``prefix``, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    return lines[0]


def leftovers(folder: Path) -> list[Path]:
    """Temp files of an atomic write (``.<name>.<random>.tmp``) anywhere under ``folder``."""
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".tmp"))


def cached(tmp: Path) -> dict[str, pd.DataFrame]:
    """Every cache entry, read back (each must be complete and readable)."""
    cache = PriceCache(tmp / "cache")
    entries = {e.ticker: e.bars for e in cache.entries()}
    names = sorted(p.name for p in cache.folder.glob("*.parquet")) if cache.folder.is_dir() else []
    assert names == sorted(f"{t}.parquet" for t in entries), names  # none unreadable
    if (tmp / "cache").exists():
        assert leftovers(tmp / "cache") == []
    return entries


def inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def assert_complete_tables(folder: Path) -> None:
    """Every CSV table parses and has its header; no temp file anywhere."""
    assert leftovers(folder) == []
    for name in CSV_TABLES:
        frame = pd.read_csv(folder / name)
        assert list(frame.columns[:3]) == ["event_id", "ticker", frame.columns[2]], name


def assert_complete_run(folder: Path, skipped: int = 0) -> dict[str, Any]:
    assert_complete_tables(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["skipped"] == skipped
    assert len(pd.read_csv(folder / "skipped.csv")) == skipped
    return manifest


# ----------------------------------------------------------------------------- network


def test_network_failure_mid_fetch_keeps_what_was_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS fails for the second ticker: the first stays cached, nothing is estimable.

    The network is not the user's mistake: exit code 1 (a data-source failure), not 2.
    """
    fake = FakeYahoo(PRICES, errors={"NVDA": DNSError(DNS)}).install(monkeypatch)
    line = one_line(run_yahoo(tmp_path), 1)
    assert "no (event, security) pair could be estimated" in line
    assert "Yahoo unreachable: DNSError: curl: (6) Could not resolve host" in line
    assert "check the network and run again" in line and "--offline" in line
    assert fake.tickers_called() == ["BABA", "NVDA"]  # gives up on the network at once
    assert set(cached(tmp_path)) == {"BABA"}
    assert not (tmp_path / "out").exists()

    (tmp_path / "empty").mkdir()
    offline = one_line(run_yahoo(tmp_path / "empty", "--offline"), 2)  # the user's choice
    assert "(offline)" in offline and "check the network" not in offline

    fake.errors.clear()  # the network is back
    again = run_yahoo(tmp_path)
    assert again.exit_code == 0, again.output
    assert fake.tickers_called()[2:] == ["NVDA", "SPY"]  # BABA comes from the cache
    assert set(cached(tmp_path)) == {"BABA", "NVDA", "SPY"}
    assert_complete_run(tmp_path / "out" / NAME)


def test_network_failure_gives_a_partial_study_that_says_what_was_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES).install(monkeypatch)
    first = run_yahoo(tmp_path, events=events_file(tmp_path, "[BABA]"))  # caches BABA, SPY
    assert first.exit_code == 0, first.output
    fake.errors = {"NVDA": DNSError(DNS)}
    result = run_yahoo(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    folder = tmp_path / "out" / NAME
    assert_complete_run(folder, skipped=2)
    skipped = pd.read_csv(folder / "skipped.csv")
    assert set(zip(skipped.event_id, skipped.ticker, strict=True)) == {
        ("ft-ai-talent", "NVDA"),
        ("deepseek-r1", "NVDA"),
    }
    assert skipped["reason"].str.contains("Yahoo unreachable: DNSError").all()
    assert set(pd.read_csv(folder / "models.csv")["ticker"]) == {"BABA"}
    for text in (result.stdout, (folder / "summary.txt").read_text(encoding="utf-8")):
        assert re.search(r"^Pairs estimated +2$", text, re.MULTILINE)
        assert re.search(r"^Pairs skipped +2$", text, re.MULTILINE)
        assert "skipped deepseek-r1/NVDA: no yahoo prices for NVDA" in text

    fake.errors.clear()
    again = run_yahoo(tmp_path)
    assert again.exit_code == 0, again.output
    assert_complete_run(folder, skipped=0)
    assert set(pd.read_csv(folder / "models.csv")["ticker"]) == {"BABA", "NVDA"}


def test_rate_limit_after_the_retries_exits_1_and_keeps_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES, errors={"NVDA": [YFRateLimitError() for _ in range(20)]})
    fake.install(monkeypatch)
    waits: list[float] = []
    original = YahooSource.__init__

    def recording_sleep(self: YahooSource, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs, sleep=waits.append)

    monkeypatch.setattr(YahooSource, "__init__", recording_sleep)
    line = one_line(run_yahoo(tmp_path), 1)
    assert "Yahoo is rate-limiting requests" in line and "after 4 retries" in line
    assert "fetched and cached so far: BABA" in line and "run again" in line
    assert waits == [2.0, 4.0, 8.0, 16.0]  # exponential backoff, then give up
    assert fake.tickers_called() == ["BABA"] + ["NVDA"] * 5
    assert set(cached(tmp_path)) == {"BABA"}
    assert not (tmp_path / "out").exists()

    fake.errors.clear()
    again = run_yahoo(tmp_path)
    assert again.exit_code == 0, again.output
    assert fake.tickers_called()[6:] == ["NVDA", "SPY"]
    assert_complete_run(tmp_path / "out" / NAME)


# ----------------------------------------------------------------------------- the cache


def _junk(path: Path) -> None:
    path.write_bytes(b"PAR1 not a parquet file at all")


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _other_ticker(path: Path) -> None:
    path.write_bytes((path.parent / "NVDA.parquet").read_bytes())


CORRUPTIONS = {"junk": _junk, "truncated": _truncated, "empty": _empty, "other": _other_ticker}


@pytest.mark.filterwarnings("always::eventstudy.data.cache.CacheWarning")
@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_cache_file_is_moved_aside_and_fetched_again(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES).install(monkeypatch)
    assert run_yahoo(tmp_path).exit_code == 0
    folder = tmp_path / "out" / NAME
    before = {name: (folder / name).read_bytes() for name in CSV_TABLES}
    path = PriceCache(tmp_path / "cache").path("BABA")
    CORRUPTIONS[kind](path)
    corrupt = path.read_bytes()

    result = run_yahoo(tmp_path)
    line = one_line(result, 0, prefix="warning: ")
    assert f"price cache file {path} was unreadable" in line
    assert "will fetch BABA again" in line
    assert fake.tickers_called()[3:] == ["BABA"]  # only the damaged ticker
    aside = list(path.parent.glob("BABA.parquet.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == corrupt  # kept for inspection
    assert set(cached(tmp_path)) == {"BABA", "NVDA", "SPY"}
    assert_complete_run(folder)
    assert {name: (folder / name).read_bytes() for name in CSV_TABLES} == before


@pytest.mark.filterwarnings("always::eventstudy.data.cache.CacheWarning")
def test_corrupt_cache_file_offline_skips_its_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES).install(monkeypatch)
    assert run_yahoo(tmp_path).exit_code == 0
    _junk(PriceCache(tmp_path / "cache").path("BABA"))
    calls = len(fake.calls)
    result = run_yahoo(tmp_path, "--offline")
    line = one_line(result, 0, prefix="warning: ")
    assert "unreadable" in line
    assert len(fake.calls) == calls
    folder = tmp_path / "out" / NAME
    assert_complete_run(folder, skipped=2)
    reasons = pd.read_csv(folder / "skipped.csv").set_index(["event_id", "ticker"])["reason"]
    assert "no yahoo prices for BABA" in reasons[("ft-ai-talent", "BABA")]
    assert "(offline)" in reasons[("ft-ai-talent", "BABA")]


# ----------------------------------------------------------------------------- the disk


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """The outputs of a complete demo run (with figures) of the two-event study."""
    out = tmp_path / "out"
    result = invoke("run", events_file(tmp_path), "--source", "demo", "--out", out)
    assert result.exit_code == 0, result.output
    folder = out / NAME
    assert_complete_run(folder)
    assert (folder / "deepseek-r1" / "car.png").is_file()
    return folder


def demo_run(tmp: Path, *extra: object) -> Result:
    return invoke("run", tmp / "events.yaml", "--source", "demo", "--out", tmp / "out", *extra)


def test_unwritable_output_folder_leaves_earlier_outputs_untouched(
    tmp_path: Path, previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only output folder, simulated (root ignores modes): no file can be created
    in it or removed from it; the earlier run's files stay exactly as they were."""
    before = {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    ids = inodes(previous)
    real_mkstemp, real_unlink = tempfile.mkstemp, os.unlink
    locked = tmp_path / "out"

    def no_create(*args: Any, dir: str | Path | None = None, **kwargs: Any) -> tuple[int, str]:
        if dir is not None and Path(dir).is_relative_to(locked):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    def no_remove(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).is_relative_to(locked):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", no_create)
    monkeypatch.setattr(os, "unlink", no_remove)
    for plots in ("--no-plots", "--plots"):
        line = one_line(demo_run(tmp_path, plots), 2)
        assert line.startswith(f"error: {previous}")
        assert line.endswith(": cannot write the results (Permission denied)")
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()} == before
    assert inodes(previous) == ids
    assert demo_run(tmp_path).exit_code == 0
    assert_complete_run(previous)


def test_output_folder_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    events_file(tmp_path)
    result = invoke(
        "run", tmp_path / "events.yaml", "--source", "demo", "--no-plots", "--out", blocker / "o"
    )
    line = one_line(result, 2)
    assert str(blocker / "o") in line and "cannot write the results (Not a directory)" in line
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def test_unusable_cache_folder_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by this suite: an OSError from the cache used to escape as a traceback."""
    FakeYahoo(PRICES).install(monkeypatch)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    for command in ("run", "fetch"):
        args = [command, events_file(tmp_path), "--cache-dir", blocker / "cache"]
        if command == "run":
            args += ["--out", tmp_path / "out"]
        line = one_line(invoke(*args), 2)
        assert str(blocker / "cache") in line and "(Not a directory)" in line
    assert not (tmp_path / "out").exists()


def test_disk_full_while_writing_outputs(
    tmp_path: Path, previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC on the third file: two files new, the rest old, none partial, no manifest."""
    ids = inodes(previous)
    real_replace = os.replace
    replaced: list[Path] = []

    def full(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(dst).is_relative_to(tmp_path / "out"):
            if len(replaced) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            replaced.append(Path(dst))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", full)
    line = one_line(demo_run(tmp_path), 2)
    assert line == f"error: {tmp_path / 'out'}: cannot write the results (No space left on device)"
    monkeypatch.undo()
    assert_complete_tables(previous)
    assert not (previous / "manifest.json").exists()
    now = inodes(previous)
    new = {str(p.relative_to(previous)) for p in replaced}
    assert len(new) == 2
    for name, inode in now.items():
        assert (inode != ids[name]) == (name in new), name  # replaced whole, or untouched
    assert set(now) == set(ids) - {"manifest.json"}

    assert demo_run(tmp_path).exit_code == 0
    assert_complete_run(previous)


@pytest.mark.parametrize(
    ("fault", "code", "message"),
    [
        (lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), 2, "No space left on device"),
        (KeyboardInterrupt, 130, "interrupted"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_fault_while_writing_the_cache_keeps_it_consistent(
    fault: Any, code: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half of NVDA's cache file is written when the disk fills up (or Ctrl-C)."""
    fake = FakeYahoo(PRICES).install(monkeypatch)
    real_write = pq.write_table

    def failing(table: Any, where: Any, **kwargs: Any) -> None:
        meta = table.schema.metadata or {}
        if b'"ticker": "NVDA"' in meta.get(b"eventstudy", b""):
            where.write(b"PAR1 half a file")
            raise fault()
        real_write(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    line = one_line(run_yahoo(tmp_path), code)
    assert message in line
    assert set(cached(tmp_path)) == {"BABA"}  # no half-written NVDA.parquet, no temp file
    assert not (tmp_path / "out").exists()

    monkeypatch.setattr(pq, "write_table", real_write)
    again = run_yahoo(tmp_path)
    assert again.exit_code == 0, again.output
    assert fake.tickers_called()[2:] == ["NVDA", "SPY"]
    assert set(cached(tmp_path)) == {"BABA", "NVDA", "SPY"}


# ----------------------------------------------------------------------------- Ctrl-C


def test_interrupt_between_events_keeps_complete_files_and_a_rerun_completes(
    tmp_path: Path, previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while drawing the second event's figures, over an earlier complete run."""
    import eventstudy.outputs.plots.kinds as plots

    ids = inodes(previous)
    real_figure = plots.figure

    def interrupted(result: Any, kind: str, event_id: str | None = None, **kw: Any) -> Any:
        if event_id == "deepseek-r1":
            raise KeyboardInterrupt
        return real_figure(result, kind, event_id, **kw)

    monkeypatch.setattr(plots, "figure", interrupted)
    line = one_line(demo_run(tmp_path), 130)
    assert line == "error: interrupted; files already written are complete, nothing is half-written"
    monkeypatch.undo()

    assert_complete_tables(previous)
    assert not (previous / "manifest.json").exists()  # the folder is not one complete run
    now = inodes(previous)
    for name in [*CSV_TABLES, "ft-ai-talent/car.png", "ft-ai-talent/ar.png"]:
        assert now[name] != ids[name], f"{name} should have been rewritten"
    for name in ("deepseek-r1/car.png", "deepseek-r1/ar.png", "report.html"):
        assert now[name] == ids[name], f"{name} should be the earlier run's, untouched"
    for png in previous.rglob("*.png"):
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[-8:-4] == b"IEND", png

    assert demo_run(tmp_path).exit_code == 0
    assert_complete_run(previous)
    assert (previous / "deepseek-r1" / "car.png").stat().st_ino != ids["deepseek-r1/car.png"]


def test_interrupt_during_fetch_keeps_what_was_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES, errors={"NVDA": [KeyboardInterrupt()]}).install(monkeypatch)
    line = one_line(run_yahoo(tmp_path), 130)
    assert line.startswith("error: interrupted")
    assert set(cached(tmp_path)) == {"BABA"}
    assert not (tmp_path / "out").exists()
    fake.errors.clear()
    assert run_yahoo(tmp_path).exit_code == 0
    assert fake.tickers_called()[2:] == ["NVDA", "SPY"]
    assert_complete_run(tmp_path / "out" / NAME)


def test_fetch_command_after_a_network_failure_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeYahoo(PRICES, errors={"NVDA": DNSError(DNS)}).install(monkeypatch)
    cache = tmp_path / "cache"
    result = invoke("fetch", events_file(tmp_path), "--cache-dir", cache)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "NVDA" in result.stdout and "MISSING" in result.stdout
    assert "Yahoo unreachable" in result.stdout
    assert set(cached(tmp_path)) == {"BABA"}
    fake.errors.clear()
    assert invoke("fetch", tmp_path / "events.yaml", "--cache-dir", cache).exit_code == 0
    assert set(cached(tmp_path)) == {"BABA", "NVDA", "SPY"}
    assert date.fromisoformat("2025-01-27") <= cached(tmp_path)["NVDA"].index[-1].date()
