"""Events of a table built column by column (:mod:`eventstudy.events.table_events`).

A row whose cells all pass the column checks becomes an ``Event`` without a pydantic
validation: it must equal the validated one field for field (same fields set, same
``__dict__`` order). A row with any cell that fails goes to pydantic as its mapping, so
every problem of a table is the one validating each row gives: the messages below are
compared with a load that hands every row to pydantic.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy.events.table_events as table_events_module
from eventstudy.core.errors import ConfigError
from eventstudy.core.settings import Event
from eventstudy.events.events_table import EventsTable, events_from_frame, read_events_table
from eventstudy.events.table_events import table_events
from eventstudy.study import Study, load_study

EVERY_FIELD = (
    "id,date,time,timezone,title,category,source,notes,ticker,benchmark,model,role,eps,sector\n"
    "nvda-q4,2025-01-27,16:20,America/New_York,NVDA Q4,earnings,https://x.org,n1,NVDA,QQQ,"
    "market,study,0.12,semis\n"
    ",2024-11-18,,,,,,,BABA,,,confounder,,retail\n"
    "baba-q3,2024-11-15,06:00:30,Asia/Hong_Kong,,ai,,,BABA,,dimson,,-3,\n"
    "x1,2024-11-19,,,T,,,,9988.HK,^HSI,constant-mean,,7,\n"
)
BAD_ROWS = (
    "id,date,time,timezone,ticker,benchmark,model,role,eps\n"
    "good-1,2025-01-27,,,NVDA,,,,1\n"
    "Not A Slug,2025-01-28,,,NVDA,,,,2\n"
    f"{'a' * 101},2025-01-29,,,NVDA,,,,3\n"
    "bad-day,2024-02-30,,,NVDA,,,,4\n"
    "short-day,2024-1-5,,,NVDA,,,,5\n"
    "other-digits,\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0665,,,NVDA,,,,6\n"
    "bad-time,2025-01-30,25:00,,NVDA,,,,7\n"
    "bad-zone,2025-01-30,10:00,Mars/Base,NVDA,,,,8\n"
    "zone-alone,2025-01-30,,Europe/London,NVDA,,,,9\n"
    "bad-ticker,2025-01-31,,,BA BA,,,,10\n"
    "bad-benchmark,2025-01-31,,,NVDA,S P Y,,,11\n"
    "bad-model,2025-01-31,,,NVDA,,nope,,12\n"
    "bad-role,2025-01-31,,,NVDA,,,watcher,13\n"
    "good-2,2025-02-03,09:00,Europe/London,NVDA,,,,14\n"
)


def _validated(table: EventsTable, rows: int | None = None) -> list[Event]:
    return [Event.model_validate(table.row(i)) for i in range(rows or len(table))]


def _same(built: Event, validated: Event) -> None:
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert list(built.__dict__) == list(validated.__dict__)
    assert built.model_dump() == validated.model_dump()
    assert repr(built) == repr(validated)


def _every_row_to_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load as before the column checks: every row's mapping validated by pydantic."""
    monkeypatch.setattr(
        table_events_module, "table_events", lambda t: [t.row(i) for i in range(len(t))]
    )


def test_built_events_equal_validated_ones(tmp_path: Path) -> None:
    path = tmp_path / "every.csv"
    path.write_text(EVERY_FIELD, encoding="utf-8")
    table = read_events_table(path)
    built = table_events(table)
    assert all(isinstance(e, Event) for e in built)
    for event, expected in zip(built, _validated(table), strict=True):
        _same(event, expected)
    assert built[0].time == time(16, 20) and built[2].time == time(6, 0, 30)
    assert built[1].role == "confounder" and built[1].attributes == {"sector": "retail"}
    assert built[2].attributes == {"eps": -3.0} and built[3].attributes == {"eps": 7.0}


def test_frames_with_typed_cells_build_the_validated_events() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["NVDA", "BABA", "NVDA", "BABA"],
            "date": [date(2025, 1, 27), date(2024, 11, 18), date(2025, 1, 27), None],
            "id": ["a", "b", "c", "d"],
            "time": [time(16, 20), None, "09:30", None],
            "timezone": ["America/New_York", None, "Europe/London", None],
            "flag": [True, np.True_, False, None],
            "size": [np.int64(3), 4, None, 5],
            "mixed": [1, True, 1.0, "one"],
        }
    )
    table = events_from_frame(frame)
    built = table_events(table)
    assert [type(e) for e in built] == [Event, Event, Event, dict]  # no date: pydantic's
    for event, expected in zip(built[:3], _validated(table, 3), strict=True):
        _same(event, expected)
    assert [type(e.attributes["mixed"]) for e in built[:3]] == [int, bool, float]
    stamps = frame.assign(date=pd.to_datetime(["2025-01-27", "2024-11-18", "2025-01-27", None]))
    from_stamps = table_events(events_from_frame(stamps))
    assert [e.date for e in from_stamps[:3]] == [e.date for e in built[:3]]


def test_cells_of_other_types_go_to_pydantic() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["NVDA", "NVDA", "NVDA", "NVDA"],
            "date": ["2025-01-27", "2025-01-28", 20250129, "2025-01-30"],
            "title": ["ok", 5, "ok", "ok"],
            "price": [1.5, 2.5, 3.5, Decimal("4.5")],
        }
    )
    built = table_events(events_from_frame(frame))
    assert [type(e) for e in built] == [Event, dict, dict, dict]


def test_every_bad_cell_is_left_to_pydantic(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    built = table_events(read_events_table(path))
    assert isinstance(built[0], Event) and isinstance(built[-1], Event)
    assert all(isinstance(e, dict) for e in built[1:-1])  # each middle row has one bad cell


def test_problems_are_those_of_validating_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS + "good-1,2025-02-04,,,NVDA,,,,15\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 13  # twelve bad cells and a repeated id
    assert problems[0] == (
        f"{path}: line 3: column 'id': 'Not A Slug' is not a slug: use lower-case letters, "
        "digits and '-' (starting with a letter or digit)"
    )
    assert (
        problems[-1] == f"{path}: line 16: column 'id': duplicate event id 'good-1', also on line 2"
    )
    _every_row_to_pydantic(monkeypatch)
    with pytest.raises(ConfigError) as before:
        load_study(path)
    assert [str(p) for p in before.value.problems] == problems


def test_a_table_loads_the_same_study_as_validating_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "every.csv"
    path.write_text(EVERY_FIELD, encoding="utf-8")
    study = load_study(path)
    _every_row_to_pydantic(monkeypatch)
    before = load_study(path)
    assert study == before
    for event, expected in zip(study.events, before.events, strict=True):
        _same(event, expected)


def test_study_checks_still_run_on_built_events(tmp_path: Path) -> None:
    path = tmp_path / "factor.csv"
    path.write_text("ticker,date,model\nNVDA,2025-01-27,factor\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"the factor model needs study\.factors"):
        load_study(path)
    study = load_study(path, factors=["QQQ"])
    copy = study.with_model("market")  # model_copy of built events
    assert [e.model for e in copy.events] == [None] and study.events[0].model == "factor"
    assert isinstance(Study.model_validate(study.model_dump()), Study)
