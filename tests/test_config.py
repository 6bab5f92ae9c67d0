"""Tests of the events file: the real ``events.yaml``, and every way a file can be wrong.

Each bad file must give a :class:`ConfigError` whose message is one line naming the file
and, where it applies, the event and the field, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import copy
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from eventstudy.core.errors import ConfigError, EventStudyError, UnknownEventError
from eventstudy.study import Study, load_study, parse_study

EVENTS_YAML = Path(__file__).resolve().parents[1] / "events.yaml"

BASE: dict[str, Any] = {
    "study": {
        "name": "test-study",
        "securities": ["BABA", "MPNGY"],
        "benchmark": "SPY",
        "estimation_window": [-250, -11],
        "event_window": [-10, 10],
        "car_windows": [[0, 0], [-1, 1]],
        "min_estimation_returns": 120,
    },
    "events": [
        {"id": "first", "date": "2024-11-15", "title": "First"},
        {"id": "second", "date": "2024-11-18", "time": "10:00", "title": "Second"},
    ],
}


def doc(study: dict[str, Any] | None = None, **event_changes: Any) -> dict[str, Any]:
    """A copy of BASE with study keys and the first event's keys changed.

    A value of ``...`` removes the key.
    """
    raw = copy.deepcopy(BASE)
    for target, changes in ((raw["study"], study or {}), (raw["events"][0], event_changes)):
        for key, value in changes.items():
            if value is ...:
                target.pop(key, None)
            else:
                target[key] = value
    return raw


def write(tmp_path: Path, content: dict[str, Any] | list[Any] | str | bytes) -> Path:
    """Write ``content`` (a document to dump, YAML text or raw bytes) to events.yaml."""
    path = tmp_path / "events.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def config_error(path: Path) -> ConfigError:
    """Load ``path``, expect a ConfigError, check it is one line naming the file."""
    with pytest.raises(ConfigError) as info:
        load_study(path)
    exc = info.value
    text = str(exc)
    assert "\n" not in text and "\r" not in text, text
    assert text.startswith(f"{path}: "), text
    assert exc.file == str(path)
    assert exc.problems, "a ConfigError lists at least one problem"
    assert all(isinstance(p, EventStudyError) for p in exc.problems)
    assert all(p.file == str(path) for p in exc.problems)
    assert isinstance(exc, EventStudyError)
    return exc


# ------------------------------------------------------------------ the real events.yaml


def test_real_events_yaml_loads() -> None:
    study = load_study(EVENTS_YAML)
    assert isinstance(study, Study)
    assert study.path == EVENTS_YAML
    s = study.settings
    assert s.name == "us-china-ai"
    assert s.securities == ["BABA", "MPNGY", "NVDA"]
    assert s.benchmark == "SPY"
    assert s.model == "market"
    assert s.estimation_window == (-250, -11)
    assert s.event_window == (-10, 10)
    assert s.car_windows == [(0, 0), (-1, 1), (0, 1), (-5, 5), (0, 10)]
    assert s.min_estimation_returns == 120
    assert s.timezone == "America/New_York"


def test_real_events_yaml_events() -> None:
    study = load_study(EVENTS_YAML)
    ids = [e.id for e in study.events]
    for wanted in [
        "ft-ai-talent",
        "election-2024",
        "tariff-60pct-wapo",
        "tariff-truth-10pct",
        "kyc-iaas-nprm",
        "tsmc-halt-order",
    ]:
        assert wanted in ids
    assert len(ids) == len(set(ids))
    export_controls = [e for e in study.events if e.category == "export-control"]
    assert len(export_controls) >= 3
    assert {"export-ctrl-2022", "export-ctrl-2023", "export-ctrl-2024-12"} <= set(ids)
    for event in study.events:
        assert event.title.strip(), event.id
        assert event.category, event.id
        if event.role == "study":  # confounders cite their sources in notes
            assert event.source is not None and event.source.startswith("http"), event.id
        else:
            assert "Sources:" in (event.notes or "") or event.source, event.id
        assert date(2022, 1, 1) <= event.date <= date(2025, 12, 31), event.id
        if event.timezone is not None:
            assert event.time is not None, event.id
    # the file says its events are in chronological order (study events, then confounders)
    for role in ("study", "confounder"):
        dates = [e.date for e in study.events if e.role == role]
        assert dates == sorted(dates)


def test_real_events_yaml_times_are_clock_times() -> None:
    study = load_study(EVENTS_YAML)
    assert study.event("election-2024").time == time(5, 35)
    assert study.event("tariff-truth-10pct").time == time(17, 15)
    assert study.event("ft-ai-talent").time is None
    assert study.event("ft-ai-talent").date == date(2024, 11, 18)


def test_valid_minimal_document(tmp_path: Path) -> None:
    study = load_study(write(tmp_path, BASE))
    assert [e.id for e in study.events] == ["first", "second"]
    assert study.events[1].time == time(10, 0)
    assert study.events[0].date == date(2024, 11, 15)


# --------------------------------------------------------------------- file-level errors


def test_file_not_found(tmp_path: Path) -> None:
    exc = config_error(tmp_path / "missing.yaml")
    assert "not found" in str(exc)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "events.yaml"
    folder.mkdir()
    exc = config_error(folder)
    assert "folder" in str(exc)


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "study:\n  name: caf\xe9\n".encode("latin-1"))
    exc = config_error(path)
    assert "UTF-8" in str(exc)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("study:\n  name: x\n\tsecurities: [BABA]\nevents: []\n", 3),  # tab indentation
        ("study:\n  name: x\n  securities: [BABA\nevents: []\n", 4),  # unclosed flow list
        ("study:\n  name: x\nevents:\n  - id: a\n    date: 2024-01-02\n   title: t\n", 6),
    ],
)
def test_malformed_yaml_names_the_line(tmp_path: Path, text: str, line: int) -> None:
    exc = config_error(write(tmp_path, text))
    assert "not valid YAML" in str(exc)
    assert f"line {line}" in str(exc)


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    exc = config_error(write(tmp_path, "study: !!python/object/apply:os.getcwd []\n"))
    assert "YAML" in str(exc)


@pytest.mark.parametrize("content", ["- study\n- events\n", "", "just a string\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path: Path, content: str) -> None:
    exc = config_error(write(tmp_path, content))
    assert "mapping" in str(exc)


def test_parse_study_rejects_non_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        parse_study([1, 2], "list.yaml")
    assert str(info.value).startswith("list.yaml: ")


# -------------------------------------------------------------- validation, one problem

# (document, event id named or None, field named or None, words in the message)
BAD = {
    "unknown-study-key": (doc({"benchmrk": "SPY"}), None, "benchmrk", "unknown key"),
    "unknown-event-key": (doc(titel="x"), "first", "titel", "unknown key"),
    "unknown-top-key": ({**copy.deepcopy(BASE), "extra": 1}, None, "extra", "unknown key"),
    "missing-title": (doc(title=...), "first", "title", "missing"),
    "missing-date": (doc(date=...), "first", "date", "missing"),
    "missing-id": (doc(id=...), "#1", "id", "missing"),
    "missing-study": ({"events": BASE["events"]}, None, "study", "missing"),
    "missing-events": ({"study": BASE["study"]}, None, "events", "missing"),
    "missing-name": (doc({"name": ...}), None, "name", "missing"),
    "empty-title": (doc(title=""), "first", "title", ""),
    "id-with-space": (doc(id="FT AI"), "FT AI", "id", "slug"),
    "id-upper": (doc(id="FT-AI"), "FT-AI", "id", "slug"),
    "id-dotdot": (doc(id="../x"), "../x", "id", "slug"),
    "id-slash": (doc(id="a/b"), "a/b", "id", "slug"),
    "id-leading-dash": (doc(id="-x"), "-x", "id", "slug"),
    "id-empty": (doc(id=""), "#1", "id", "slug"),
    "study-name-not-slug": (doc({"name": "US China"}), None, "name", "slug"),
    "impossible-date": (doc(date="2024-02-30"), "first", "date", ""),
    "date-us-order": (doc(date="11/18/2024"), "first", "date", "YYYY-MM-DD"),
    "date-no-padding": (doc(date="2024-1-5"), "first", "date", "YYYY-MM-DD"),
    "date-with-time": (doc(date="2024-11-18T10:00"), "first", "date", "YYYY-MM-DD"),
    "date-words": (doc(date="Nov 18 2024"), "first", "date", "YYYY-MM-DD"),
    "unknown-event-tz": (doc(time="10:00", timezone="Mars/Olympus"), "first", "timezone", ""),
    "unknown-study-tz": (doc({"timezone": "Eastern"}), None, "timezone", "time zone"),
    "tz-without-time": (doc(timezone="Europe/London"), "first", None, "timezone"),
    "bad-time-25": (doc(time="25:00"), "first", "time", "25:00"),
    "bad-time-minutes": (doc(time="10:61"), "first", "time", "clock time"),
    "bad-time-ampm": (doc(time="4:30 pm"), "first", "time", "clock time"),
    "time-as-integer": (doc(time=1000), "first", "time", "quoted"),
    "reversed-estimation": (
        doc({"estimation_window": [-11, -250]}),
        None,
        "estimation_window",
        "reversed",
    ),
    "reversed-event": (doc({"event_window": [10, -10]}), None, "event_window", "reversed"),
    "reversed-car": (doc({"car_windows": [[0, 0], [1, -1]]}), None, "car_windows.1", "reversed"),
    "estimation-overlaps-event": (
        doc({"estimation_window": [-250, -5]}),
        None,
        "study",
        "overlaps",
    ),
    "estimation-touches-event": (
        doc({"estimation_window": [-250, -10]}),
        None,
        "study",
        "overlaps",
    ),
    "estimation-after-event": (
        doc({"estimation_window": [11, 260], "min_estimation_returns": 100}),
        None,
        "study",
        "event_window",
    ),
    "car-outside-event": (doc({"car_windows": [[0, 20]]}), None, "study", "outside"),
    "car-before-event": (doc({"car_windows": [[-11, 0]]}), None, "study", "outside"),
    "min-returns-too-many": (
        doc({"estimation_window": [-30, -11], "min_estimation_returns": 21}),
        None,
        "study",
        "exceeds",
    ),
    "min-returns-too-few": (doc({"min_estimation_returns": 2}), None, "min_estimation_returns", ""),
    "empty-events": ({"study": BASE["study"], "events": []}, None, "events", ""),
    "empty-securities": (doc({"securities": []}), None, "securities", ""),
    "empty-car-windows": (doc({"car_windows": []}), None, "car_windows", ""),
    "empty-event-securities": (doc(securities=[]), "first", "securities", ""),
    "bad-ticker": (doc({"securities": ["BA BA"]}), None, "securities.0", "ticker"),
    "bad-benchmark": (doc(benchmark="S&P"), "first", "benchmark", "ticker"),
    "unknown-model": (doc({"model": "fama-french-9"}), None, "model", ""),
    "securities-not-list": (doc({"securities": "BABA"}), None, "securities", ""),
    "event-not-mapping": (
        {"study": BASE["study"], "events": ["first: 2024-01-01"]},
        "#1",
        None,
        "",
    ),
}


@pytest.mark.parametrize(("raw", "event_id", "field", "words"), list(BAD.values()), ids=list(BAD))
def test_invalid_document(
    tmp_path: Path, raw: dict[str, Any], event_id: str | None, field: str | None, words: str
) -> None:
    path = write(tmp_path, raw)
    exc = config_error(path)
    text = str(exc)
    assert len(exc.problems) == 1, [str(p) for p in exc.problems]
    assert words in text
    assert exc.event_id == event_id
    if event_id is not None:
        assert f"event '{event_id}'" in text
    if field is not None:
        assert exc.field == field
        assert f"field '{field}'" in text


def test_unquoted_time_stays_a_clock_time(tmp_path: Path) -> None:
    """YAML 1.1 reads an unquoted 10:00 as the base-60 integer 600; the loader must not."""
    text = (
        "study:\n  name: s\n  securities: [BABA]\n"
        "events:\n"
        "  - id: a\n    date: 2024-11-18\n    time: 10:00\n    title: A\n"
        "  - id: b\n    date: 2024-11-18\n    time: 16:30:15\n    title: B\n"
        "  - id: c\n    date: 2024-11-18\n    time: 09:05\n    title: C\n"
    )
    study = load_study(write(tmp_path, text))
    assert [e.time for e in study.events] == [time(10, 0), time(16, 30, 15), time(9, 5)]
    assert study.events[0].date == date(2024, 11, 18)


def test_unquoted_bad_time_is_reported(tmp_path: Path) -> None:
    text = (
        "study:\n  name: s\n  securities: [BABA]\n"
        "events:\n  - id: late\n    date: 2024-11-18\n    time: 25:00\n    title: T\n"
    )
    exc = config_error(write(tmp_path, text))
    assert exc.event_id == "late"
    assert exc.field == "time"
    assert "25:00" in str(exc)


def test_unquoted_impossible_date_is_reported(tmp_path: Path) -> None:
    text = (
        "study:\n  name: s\n  securities: [BABA]\n"
        "events:\n  - id: leap\n    date: 2024-02-30\n    title: T\n"
    )
    exc = config_error(write(tmp_path, text))
    assert (exc.event_id, exc.field) == ("leap", "date")


def test_event_id_of_second_event_is_named(tmp_path: Path) -> None:
    raw = doc()
    raw["events"][1]["date"] = "2024-13-01"
    exc = config_error(write(tmp_path, raw))
    assert exc.event_id == "second"
    assert "event 'second'" in str(exc)


def test_duplicate_ids(tmp_path: Path) -> None:
    raw = doc()
    raw["events"][1]["id"] = "first"
    exc = config_error(write(tmp_path, raw))
    assert "duplicate" in str(exc)
    assert "'first'" in str(exc)


def test_duplicate_id_is_one_problem(tmp_path: Path) -> None:
    raw = doc()
    raw["events"][1]["id"] = "first"
    exc = config_error(write(tmp_path, raw))
    assert len(exc.problems) == 1, [str(p) for p in exc.problems]


def test_duplicate_ids_reported_alongside_other_problems(tmp_path: Path) -> None:
    raw = doc(title=...)
    raw["events"][1]["id"] = "first"
    exc = config_error(write(tmp_path, raw))
    texts = [str(p) for p in exc.problems]
    assert any("duplicate event id 'first'" in t for t in texts), texts
    assert any("field 'title'" in t for t in texts), texts


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    raw = doc({"benchmrk": "SPY"}, title=..., date="2024-02-30")
    raw["events"][1]["id"] = "Bad Id"
    raw["events"][1]["time"] = "25:00"
    exc = config_error(write(tmp_path, raw))
    texts = [str(p) for p in exc.problems]
    assert len(texts) == 5, texts
    assert any("field 'benchmrk'" in t for t in texts), texts
    assert any("event 'first': field 'title'" in t for t in texts), texts
    assert any("event 'first': field 'date'" in t for t in texts), texts
    assert any("event 'Bad Id': field 'id'" in t for t in texts), texts
    assert any("event 'Bad Id': field 'time'" in t for t in texts), texts
    assert str(exc).endswith("(and 4 more problems)")
    assert str(exc).startswith(texts[0])


def test_two_problems_say_one_more(tmp_path: Path) -> None:
    exc = config_error(write(tmp_path, doc(title=..., date=...)))
    assert len(exc.problems) == 2
    assert str(exc).endswith("(and 1 more problem)")


# ---------------------------------------------------------- edge cases found in review


@pytest.mark.parametrize(
    "raw",
    [doc(id="ft-ai\n"), doc({"securities": ["BABA\n"]}), doc({"name": "us-china\n"})],
    ids=["id", "ticker", "study-name"],
)
def test_trailing_newline_is_not_a_slug_or_ticker(tmp_path: Path, raw: dict[str, Any]) -> None:
    config_error(write(tmp_path, raw))


def test_message_stays_one_line_with_newline_in_value(tmp_path: Path) -> None:
    config_error(write(tmp_path, doc(id="a\nb")))


@pytest.mark.parametrize(
    "raw",
    [doc(time="10:00", timezone="America"), doc({"timezone": "Europe"})],
    ids=["event", "study"],
)
def test_timezone_that_is_a_tzdata_folder(tmp_path: Path, raw: dict[str, Any]) -> None:
    exc = config_error(write(tmp_path, raw))
    assert exc.field == "timezone"


def test_float_time_is_rejected(tmp_path: Path) -> None:
    text = (
        "study:\n  name: s\n  securities: [BABA]\n"
        "events:\n  - id: a\n    date: 2024-11-18\n    time: 16.30\n    title: T\n"
    )
    exc = config_error(write(tmp_path, text))
    assert exc.field == "time"


def test_integer_date_is_rejected(tmp_path: Path) -> None:
    exc = config_error(write(tmp_path, doc(date=1706486400)))
    assert exc.field == "date"


# ------------------------------------------------------------------- Study helpers


def overrides_study() -> Study:
    raw = doc()
    raw["events"][1]["securities"] = ["9988.HK"]
    raw["events"][1]["benchmark"] = "^HSI"
    raw["events"][1]["time"] = "09:00"
    raw["events"][1]["timezone"] = "Asia/Hong_Kong"
    return parse_study(raw, "mem.yaml")


def test_select_all_and_some() -> None:
    study = overrides_study()
    assert [e.id for e in study.select(None)] == ["first", "second"]
    assert [e.id for e in study.select([])] == ["first", "second"]
    # file order, not the order asked for
    assert [e.id for e in study.select(["second", "first"])] == ["first", "second"]
    assert [e.id for e in study.select(["second"])] == ["second"]


def test_select_unknown_id_lists_known_ids(tmp_path: Path) -> None:
    study = load_study(write(tmp_path, BASE))
    with pytest.raises(UnknownEventError) as info:
        study.select(["first", "nope"])
    text = str(info.value)
    assert "'nope'" in text
    assert "first" in text and "second" in text
    assert "\n" not in text
    assert info.value.file == str(tmp_path / "events.yaml")
    assert isinstance(info.value, EventStudyError)


def test_overrides() -> None:
    study = overrides_study()
    first, second = study.events
    assert study.securities_for(first) == ["BABA", "MPNGY"]
    assert study.benchmark_for(first) == "SPY"
    assert study.timezone_for(first) == "America/New_York"
    assert study.securities_for(second) == ["9988.HK"]
    assert study.benchmark_for(second) == "^HSI"
    assert study.timezone_for(second) == "Asia/Hong_Kong"
    # the returned list is a copy: changing it does not change the study
    study.securities_for(first).append("XXX")
    assert study.securities_for(first) == ["BABA", "MPNGY"]


def test_defaults_fill_in() -> None:
    study = parse_study({"study": {"name": "s", "securities": ["BABA"]}, "events": BASE["events"]})
    s = study.settings
    assert s.benchmark == "SPY"
    assert s.model == "market"
    assert s.estimation_window == (-250, -11)
    assert s.event_window == (-10, 10)
    assert s.car_windows == [(0, 0), (-1, 1), (0, 1), (-5, 5), (0, 10)]
    assert s.min_estimation_returns == 120
    assert s.timezone == "America/New_York"


def test_window_boundaries_that_are_valid() -> None:
    """The edges of each window rule are allowed: they only fail one step further."""
    raw = doc(
        {
            "estimation_window": [-30, -11],
            "event_window": [-10, 10],
            "min_estimation_returns": 20,  # exactly the estimation window's length
            "car_windows": [[-10, 10], [0, 0], [10, 10]],
        }
    )
    s = parse_study(raw, "edges.yaml").settings
    assert s.min_estimation_returns == 20
    assert s.car_windows == [(-10, 10), (0, 0), (10, 10)]


def test_measures_always_include_return_and_are_listed_once() -> None:
    def settings(measures: list[str]) -> list[str]:
        study = {"name": "m", "securities": ["A"], "measures": measures}
        raw = {"study": study, "events": [{"id": "a", "date": "2024-01-02", "title": "a"}]}
        return parse_study(raw).study.measures

    assert settings(["volume"]) == ["return", "volume"]
    assert settings(["return", "volatility"]) == ["return", "volatility"]
    with pytest.raises(ConfigError, match="measure volume is listed twice"):
        settings(["volume", "volume"])
    with pytest.raises(ConfigError, match="measures"):
        settings(["price"])
