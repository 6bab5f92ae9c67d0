"""A run into a folder that holds an earlier run leaves no figure of the earlier run."""

from __future__ import annotations

from pathlib import Path

import eventstudy as es

EVENTS = Path(__file__).resolve().parents[1] / "events.yaml"
TWO = ["ft-ai-talent", "deepseek-r1"]


def figures(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix in {".png", ".svg"}}


def test_figures_of_other_events_formats_and_no_plots_runs_are_removed(tmp_path: Path) -> None:
    study = es.load_study(EVENTS)
    both = study.run(source="demo", event_ids=TWO, tests=["none"])
    both.save(tmp_path, formats=("png", "svg"))
    folder = tmp_path / study.study.name
    drawn = figures(folder)
    assert {"caar.svg", "deepseek-r1/ar.png", "ft-ai-talent/car.svg"} <= drawn
    (folder / "deepseek-r1" / "my-notes.txt").write_text("mine")  # not ours: kept
    (folder / "my-chart.png").write_bytes(b"mine")

    one = study.run(source="demo", event_ids=["ft-ai-talent"], tests=["none"])
    written = one.save(tmp_path)  # PNG only, one event
    left = figures(folder)
    assert left == {"my-chart.png"} | {
        str(p.relative_to(folder)) for p in written.values() if p.suffix == ".png"
    }
    assert not any(name.startswith("deepseek-r1/") for name in left)
    assert (folder / "deepseek-r1" / "my-notes.txt").read_text() == "mine"
    assert not (folder / "deepseek-r1" / "report.html").exists()  # its page: gone too

    one.save(tmp_path, plots=False)
    assert figures(folder) == {"my-chart.png"}
    # its figures removed; its page (drawn from the tables) stays
    assert [p.name for p in (folder / "ft-ai-talent").iterdir()] == ["report.html"]
    assert (folder / "car.csv").is_file() and (folder / "manifest.json").is_file()
