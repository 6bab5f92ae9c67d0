"""Figures drawn by worker processes: the same files, progress, warnings and errors as
drawn in one process, and no worker left behind.

``save()`` and the CLI draw with one worker per CPU (see ``test_plots.py`` and
``test_cli.py``); here the worker count is set, so these tests hold on one CPU too.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from eventstudy.outputs import plots
from eventstudy.outputs.result import StudyResult
from eventstudy.study import load_study

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ["tariff-60pct-wapo", "kyc-iaas-nprm", "election-2024", "liberation-day"]
FORMATS = ("png", "svg")

pytestmark = pytest.mark.skipif(
    plots.figure_workers(2, 2) < 2, reason="figures are drawn in one process on this platform"
)


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return load_study(ROOT / "events.yaml").run(source="demo", event_ids=SUBSET)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def save(
    result: StudyResult, folder: Path, workers: int
) -> tuple[plots.Figures, list[tuple[str, int, int]]]:
    calls: list[tuple[str, int, int]] = []
    figures = plots.save_figures(
        result,
        folder,
        formats=FORMATS,
        workers=workers,
        progress=lambda name, done, total: calls.append((name, done, total)),
    )
    return figures, calls


@pytest.fixture(scope="module")
def serial(
    result: StudyResult, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, plots.Figures, list[tuple[str, int, int]]]:
    folder = tmp_path_factory.mktemp("serial")
    return folder, *save(result, folder, workers=1)


def test_workers_write_the_same_files_as_one_process(
    result: StudyResult, serial: tuple[Path, plots.Figures, list], tmp_path: Path
) -> None:
    folder, figures, calls = serial
    names = [name for name, _, _ in plots.figure_names(result)]
    # 7 study figures (events.yaml: cav, bhar too) + car, ar, volatility, volume of 4 events
    assert len(names) == 7 + 4 * 4
    assert calls == [(name, i, len(names)) for i, name in enumerate(names, start=1)]

    pooled, pooled_calls = save(result, tmp_path, workers=3)
    assert pooled_calls == calls
    assert list(pooled.paths) == list(figures.paths)
    assert pooled.images == figures.images
    assert files(tmp_path) == files(folder)  # byte for byte, PNG and SVG
    assert not list(tmp_path.rglob("*.tmp"))
    assert multiprocessing.active_children() == []


def test_figures_are_drawn_in_worker_processes(
    result: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pid(*args: Any) -> list[bytes]:
        return [str(os.getpid()).encode()] * len(FORMATS)

    monkeypatch.setattr(plots.jobs, "_draw", pid)  # the forked workers see it too
    save(result, tmp_path / "pool", workers=2)
    save(result, tmp_path / "here", workers=1)
    drawn_by = {int(data) for data in files(tmp_path / "pool").values()}
    assert os.getpid() not in drawn_by
    assert 1 <= len(drawn_by) <= 2
    assert set(files(tmp_path / "here").values()) == {str(os.getpid()).encode()}


def test_a_failed_fork_draws_in_this_process(
    result: StudyResult,
    serial: tuple[Path, plots.Figures, list],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    _, calls = save(result, tmp_path, workers=2)
    assert calls == serial[2]
    assert files(tmp_path) == files(serial[0])


def test_a_worker_error_stops_the_run_after_the_figures_before_it(
    result: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [name for name, _, _ in plots.figure_names(result)]
    events = list(dict.fromkeys(e for _, _, e in plots.figure_names(result) if e))
    real_figure = plots.figure

    def broken(result: StudyResult, kind: str, event_id: str | None = None) -> Any:
        if event_id == events[2]:
            raise RuntimeError("cannot draw")
        return real_figure(result, kind, event_id)

    monkeypatch.setattr(plots.kinds, "figure", broken)
    with pytest.raises(RuntimeError, match="cannot draw"):
        save(result, tmp_path, workers=2)
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}
    before = names[: names.index(f"{events[2]}/car")]
    assert written == {f"{n}.{f}" for n in before for f in FORMATS} | set(events[:2])
    assert multiprocessing.active_children() == []


def test_worker_warnings_are_shown_by_this_process(
    result: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_figure = plots.figure

    def warned(result: StudyResult, kind: str, event_id: str | None = None) -> Any:
        warnings.warn("Glyph 27700 missing from font(s) DejaVu Sans.", UserWarning, stacklevel=1)
        return real_figure(result, kind, event_id)

    monkeypatch.setattr(plots.kinds, "figure", warned)
    shown: dict[int, list[str]] = {1: [], 2: []}
    for workers, messages in shown.items():
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *args, m=messages: m.append(f"{message}")
            save(result, tmp_path / str(workers), workers=workers)
    assert shown[1]
    assert set(shown[1]) == {"Glyph 27700 missing from font(s) DejaVu Sans."}
    assert shown[2] == shown[1]
    # A warning that the filters turn into an error fails the run, as in one process.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="Glyph 27700"):
            save(result, tmp_path / "error", workers=2)


def test_a_worker_exits_when_its_parent_dies() -> None:
    """A forked child waiting for work must not outlive its parent."""
    code = (
        "import os\n"
        "from eventstudy.outputs.plots.jobs import _exit_with_parent\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    _exit_with_parent(parent, every=0.05)\n"
    )
    # The child holds the pipes too: the run ends when both processes have exited.
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_figure_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert plots.figure_workers(41) == min(os.cpu_count() or 1, 41)
    assert plots.figure_workers(3, 8) == 3
    assert plots.figure_workers(41, 1) == 1
    assert plots.figure_workers(41, 0) == 1
    assert plots.figure_workers(0) == 1
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    assert plots.figure_workers(41, 4) == 1
    monkeypatch.undo()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert plots.figure_workers(41, 4) == 1
