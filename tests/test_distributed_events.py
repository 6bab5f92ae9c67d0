"""A Dask run's events as columns (:mod:`eventstudy.distributed.events`): the same events,
checks and messages as ``load_study``, without a million ``Event`` objects."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from eventstudy.core.errors import ConfigError, EventStudyError
from eventstudy.distributed import events as columns_module
from eventstudy.distributed.events import EventColumns, load_events
from eventstudy.study import load_study


def _table(folder: Path, rows: int = 40, bad: bool = False) -> Path:
    frame = pd.DataFrame(
        {
            "id": [f"e{k:03d}" for k in range(rows)],
            "securities": [["AAA", "BBB;CCC", "DDD"][k % 3] for k in range(rows)],
            "date": [f"2024-0{k % 9 + 1}-1{k % 10}" for k in range(rows)],
            "category": [["x", None][k % 2] for k in range(rows)],
            "role": ["confounder" if k % 7 == 3 else "study" for k in range(rows)],
            "size": np.arange(rows) * 1.5,
        }
    )
    if bad:
        frame.loc[5, "date"] = "2024-13-01"
        frame.loc[17, "securities"] = "lower case"
    path = folder / "events.csv"
    frame.to_csv(path, index=False)
    return path


def test_columns_and_events_equal_load_study(tmp_path) -> None:
    path = _table(tmp_path)
    study = load_study(path, benchmark="SPY")
    with mock.patch.object(columns_module, "CHUNK_EVENTS", 7):  # six chunks
        settings, events = load_events(path, benchmark="SPY")
        dumped = list(events.dumped())
    assert settings.events == [] and settings.study == study.study and settings.path == path
    assert events.events(np.arange(len(events))) == study.events
    assert dumped == study.model_dump(mode="json")["events"]
    assert list(events.ids) == [e.id for e in study.events]
    assert list(events.securities) == [tuple(study.securities_for(e)) for e in study.events]
    assert list(events.category) == [e.category for e in study.events]
    assert list(events.model) == [study.model_for(e) for e in study.events]
    selected = events.selected(None)
    assert list(events.ids[selected]) == [e.id for e in study.select(None)]
    named = events.selected(["e010", "e002"])
    assert list(events.ids[named]) == [e.id for e in study.select(["e010", "e002"])]
    assert events.categories(selected) == {
        e.id: e.category for e in study.select(None) if e.category
    }


def test_problems_are_load_studys(tmp_path) -> None:
    path = _table(tmp_path, bad=True)
    with pytest.raises(ConfigError) as expected:
        load_study(path)
    with (
        mock.patch.object(columns_module, "CHUNK_EVENTS", 10),
        pytest.raises(ConfigError) as got,
    ):
        load_events(path)
    assert [str(p) for p in got.value.problems] == [str(p) for p in expected.value.problems]


def test_unknown_event_and_model_override(tmp_path) -> None:
    path = _table(tmp_path)
    study = load_study(path, benchmark="SPY")
    _, events = load_events(path, benchmark="SPY")
    with pytest.raises(EventStudyError) as expected:
        study.select(["e001", "nope"])
    with pytest.raises(EventStudyError) as got:
        events.selected(["e001", "nope"], study.path)
    assert str(got.value) == str(expected.value)
    forced = events.with_model("constant-mean")
    overridden = study.with_model("constant-mean")
    assert forced.events(np.arange(5)) == overridden.events[:5]
    assert set(forced.model) == {"constant-mean"}


def test_a_study_of_objects_keeps_them(tmp_path) -> None:
    study = load_study(_table(tmp_path), benchmark="SPY")
    events = EventColumns.of_events(study, study.events)
    assert events.events(np.array([3, 1]))[0] is study.events[3]
