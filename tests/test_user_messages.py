"""What a new user hits (issue 32): each mistake, and its siblings, gives one exact
message, exit code 2 on the command line and an ``EventStudyError`` in Python."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import ArgumentError, ConfigError, PriceDataError, UnknownEventError
from eventstudy.data.demo import demo_prices
from eventstudy.study import load_study, parse_study

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def error_line(result: Result) -> str:
    """Exit 2, nothing on stdout, one ``error:`` line on stderr: that line."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def table(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------ 5. dates, pydantic's wording


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("2024-02-30", "February has 29 days in 2024"),
        ("2023-02-29", "February has 28 days in 2023"),
        ("2024-04-31", "April has 30 days in 2024"),
        ("2024-13-01", "there is no month 13"),
        ("2024-00-10", "there is no month 0"),
        ("2024-05-00", "days start at 01"),
    ],
)
def test_a_date_that_is_no_calendar_date(tmp_path: Path, cell: str, why: str) -> None:
    path = table(tmp_path, f"date,ticker\n{cell},BABA\n")
    expected = f"{path}: line 2: column 'date': '{cell}' is not a calendar date ({why})"
    assert error_line(invoke("validate", path)) == f"error: {expected}"
    assert error_line(invoke("run", path, "--source", "demo", "--no-plots")) == f"error: {expected}"
    frame = pd.DataFrame({"date": [cell], "ticker": ["BABA"]})
    with pytest.raises(ConfigError) as caught:
        es.Study.from_frame(frame)
    assert str(caught.value) == (
        f"<events DataFrame>: row 1: column 'date': '{cell}' is not a calendar date ({why})"
    )


def test_a_yaml_date_that_is_no_calendar_date(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "study: {name: s, securities: [BABA]}\nevents:\n  - {id: e, date: 2024-02-30, title: t}\n",
        "events.yaml",
    )
    assert error_line(invoke("validate", path)) == (
        f"error: {path}: event 'e': field 'date': '2024-02-30' is not a calendar date "
        "(February has 29 days in 2024)"
    )


STUDY = {"name": "s", "securities": ["BABA"]}
EVENT = {"id": "e", "date": "2024-11-18", "title": "t"}


@pytest.mark.parametrize(
    ("study", "event", "message"),
    [
        (
            {"min_estimation_returns": "abc"},
            {},
            "field 'min_estimation_returns': 'abc' is not a whole number",
        ),
        (
            {"min_estimation_returns": 1.5},
            {},
            "field 'min_estimation_returns': 1.5 is not a whole number",
        ),
        (
            {"min_estimation_returns": 1},
            {},
            "field 'min_estimation_returns': must be at least 3, not 1",
        ),
        (
            {"dimson_lags": 9},
            {},
            "field 'dimson_lags': must be at most 5, not 9",
        ),
        (
            {"event_window": [1, 2, 3]},
            {},
            "field 'event_window': a window is two whole numbers [start, end], not 3",
        ),
        (
            {"event_window": [1]},
            {},
            "field 'event_window': a window is two whole numbers [start, end]",
        ),
        (
            {"event_window": "a"},
            {},
            "field 'event_window': 'a' is not a window [start, end]",
        ),
        (
            {"car_windows": 5},
            {},
            "field 'car_windows': 5 is not a list",
        ),
        (
            {"estimation_skip_overnight": "maybe"},
            {},
            "field 'estimation_skip_overnight': 'maybe' is not true or false",
        ),
        (
            {"measures": ["volum"]},
            {},
            "field 'measures.0': 'volum' is not one of 'return', 'volume' or "
            "'volatility' (did you mean 'volume'?)",
        ),
        (
            {"benchmarks": ["x"]},
            {},
            "field 'benchmarks': ['x'] is not a mapping (key: value)",
        ),
        (
            {"name": 5},
            {},
            "field 'name': 5 is not text",
        ),
        (
            {"placebo": -1},
            {},
            "field 'placebo': must be at least 1, not -1",
        ),
        (
            {"regressions": [5]},
            {},
            "field 'regressions.0': 5 is not a mapping (key: value)",
        ),
        (
            {"event_windw": [-5, 5]},
            {},
            "field 'event_windw': unknown key (did you mean 'event_window'?)",
        ),
        (
            {},
            {"title": ""},
            "event 'e': field 'title': must not be empty",
        ),
        (
            {},
            {"title": [1, 2]},
            "event 'e': field 'title': [1, 2] is not text",
        ),
        (
            {},
            {"securities": "BABA"},
            "event 'e': field 'securities': 'BABA' is not a list",
        ),
        (
            {},
            {"model": "markt"},
            "event 'e': field 'model': 'markt' is not one of 'constant-mean', "
            "'market-adjusted', 'market', 'factor', 'scholes-williams', 'dimson' or "
            "'garch' (did you mean 'market'?)",
        ),
        (
            {},
            {"attributes": {"a": [1]}},
            "event 'e': field 'attributes.a': [1] is not text, a number or true/false",
        ),
        (
            {},
            {"attributes": 3},
            "event 'e': field 'attributes': 3 is not a mapping (key: value)",
        ),
        (
            {},
            {"titel": "x"},
            "event 'e': field 'titel': unknown key (did you mean 'title' or 'time'?)",
        ),
    ],
)
def test_no_pydantic_wording_reaches_a_user(
    study: dict[str, object], event: dict[str, object], message: str
) -> None:
    raw = {"study": {**STUDY, **study}, "events": [{**EVENT, **event}]}
    with pytest.raises(ConfigError) as caught:
        parse_study(raw, "f.yaml")
    assert str(caught.value) == f"f.yaml: {message}"
    assert "Input should" not in str(caught.value) and "valid" not in str(caught.value)


def test_from_frame_settings_in_the_toolkit_words() -> None:
    frame = pd.DataFrame({"date": ["2024-11-18"], "ticker": ["BABA"]})
    with pytest.raises(ConfigError) as caught:
        es.Study.from_frame(frame, min_estimation_returns="many")
    assert str(caught.value) == (
        "<events DataFrame>: field 'min_estimation_returns': 'many' is not a whole number"
    )


# ----------------------------------------------------------------- 6. a misspelt column


@pytest.mark.filterwarnings("default::UserWarning")  # shown as a 'warning:' line
def test_a_misspelt_ticker_column(tmp_path: Path) -> None:
    path = table(tmp_path, "date,tikcer\n2024-11-18,BABA\n")
    result = invoke("validate", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"warning: {path}: column 'tikcer' (did you mean 'ticker'?) kept as an event "
        "attribute, not read as event fields",
        f"error: {path}: line 2: no 'ticker' or 'securities' column (the header is date, "
        "tikcer: did you mean 'ticker'?), and the study names no default securities "
        "(study.securities)",
    ]


def test_a_misspelt_date_column(tmp_path: Path) -> None:
    path = table(tmp_path, "Dte,ticker\n2024-11-18,BABA\n")
    assert error_line(invoke("validate", path)) == (
        f"error: {path}: no 'date' column; the header is Dte, ticker: did you mean 'date'?"
    )


def test_a_misspelt_known_column_warns(tmp_path: Path) -> None:
    path = table(tmp_path, "date,ticker,titel,catgory,sector\n2024-11-18,BABA,x,y,z\n")
    with pytest.warns(UserWarning) as caught:
        study = load_study(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: columns 'titel' (did you mean 'title'?), 'catgory' (did you mean "
        "'category'?) kept as event attributes, not read as event fields"
    ]
    assert study.event_attributes == ("titel", "catgory", "sector")


# -------------------------------------------------------------------------- 7. Excel


def workbook(path: Path, rows: list[list[object]], sheets: int = 1) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for i in range(1, sheets):
        book.create_sheet(f"other{i}")
    book.save(path)
    return path


def test_an_excel_events_table_runs(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "events.xlsx",
        [["date", "ticker", "eps"], [dt.date(2024, 11, 18), "BABA", 1.5], [None, None, None],
         ["2024-11-20", "NVDA", 2]],
    )  # fmt: skip
    study = load_study(path)
    assert [(e.id, e.date.isoformat(), e.attributes) for e in study.events] == [
        ("baba-2024-11-18", "2024-11-18", {"eps": 1.5}),
        ("nvda-2024-11-20", "2024-11-20", {"eps": 2}),
    ]
    out = tmp_path / "out"
    result = invoke("run", path, "--source", "demo", "--no-plots", "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "events" / "models.csv")) == 2


def test_excel_cells_follow_the_table_rules(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "bad.xlsx", [["date", "ticker"], ["x", "BABA"], ["2024-02-30", "NVDA"]]
    )
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: row 2: column 'date': 'x' is not a date YYYY-MM-DD",
        f"error: {path}: row 3: column 'date': '2024-02-30' is not a calendar date "
        "(February has 29 days in 2024)",
    ]


def test_an_excel_workbook_of_several_sheets_warns(tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", [["date", "ticker"], ["2024-11-18", "BABA"]], 2)
    with pytest.warns(
        UserWarning, match=r"^.*two\.xlsx: events read from the first sheet, 'Sheet', of 2$"
    ):
        load_study(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("csv.xlsx", b"date,ticker\n2024-11-18,BABA\n",
         "text, not an Excel workbook (a CSV file named .xlsx?): events tables are .csv, "
         ".parquet or .xlsx files; name it by its format"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
         "an old Excel .xls workbook: save it as .xlsx (or .csv) and use that"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "not a readable Excel workbook"),
    ],
)  # fmt: skip
def test_a_file_that_is_no_workbook(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert error_line(invoke("validate", path)).startswith(f"error: {path}: {message}")
    with pytest.raises(ConfigError, match="^" + str(path).replace(".", r"\.")):
        load_study(path)


# --------------------------------------------------------- 8. Python errors in Python words


@pytest.fixture(scope="module")
def result() -> es.StudyResult:
    frame = pd.DataFrame({"ticker": ["BABA", "NVDA"], "date": ["2024-11-18", "2025-01-27"]})
    return es.Study.from_frame(frame).run(source="demo")


def test_plot_names_the_argument_and_the_closest_ids(result: es.StudyResult) -> None:
    with pytest.raises(UnknownEventError) as caught:
        result.plot("baba-2024-11-19")
    assert str(caught.value) == (
        "argument 'event_id': no event with id 'baba-2024-11-19' (closest: baba-2024-11-18)"
    )
    with pytest.raises(UnknownEventError) as caught:
        result.plot("nope")
    assert str(caught.value) == (
        "argument 'event_id': no event with id 'nope' (known: baba-2024-11-18, nvda-2025-01-27)"
    )


def test_python_arguments_are_named_as_arguments(result: es.StudyResult) -> None:
    study = result.study
    known = "(known: baba-2024-11-18, nvda-2025-01-27)"
    cases = [
        (lambda: study.run(source="demo", event_ids=["nope"]),
         f"argument 'event_ids': no event with id 'nope' {known}"),
        (lambda: study.with_model("markt"), "argument 'model': unknown model 'markt'"),
        (lambda: study.run(source="demo", tests=["nope"]), "argument 'tests': unknown test"),
        (lambda: study.run(source="demo", engine="spark"), "argument 'engine': unknown engine"),
        (lambda: study.run(source="nope"), "argument 'source': unknown price source 'nope'"),
        (lambda: study.run(source="csv"), "argument 'prices': the csv source needs a prices"),
        (lambda: result.save("unused", figures="few"), "argument 'figures': 'few': use auto"),
    ]  # fmt: skip
    for call, start in cases:
        with pytest.raises(ArgumentError) as caught:
            call()
        assert str(caught.value).startswith(start), str(caught.value)


def test_the_command_line_names_the_options(tmp_path: Path) -> None:
    path = table(tmp_path, "date,ticker\n2024-11-18,BABA\n")
    run = ["run", path, "--source", "demo", "--no-plots", "--out", tmp_path / "out"]
    assert error_line(invoke(*run, "-e", "baba-2024-11-19")) == (
        f"error: {path}: field '--event': no event with id 'baba-2024-11-19' "
        "(closest: baba-2024-11-18)"
    )
    assert error_line(invoke(*run, "--model", "markt")).startswith(
        "error: field '--model': unknown model 'markt'"
    )
    assert error_line(invoke(*run, "--tests", "nope")).startswith(
        "error: field '--tests': unknown test 'nope'"
    )


# ------------------------------------------------------ 9. default windows fit the user's


def test_default_car_windows_are_clipped_to_the_event_window() -> None:
    frame = pd.DataFrame({"ticker": ["BABA"], "date": ["2024-11-18"]})
    with pytest.warns(UserWarning) as caught:
        study = es.Study.from_frame(frame, event_window=(-5, 5))
    assert [str(w.message) for w in caught] == [
        "the default windows are fitted to event_window [-5, 5]: car_windows [0, 0], "
        "[-1, 1], [0, 1], [-5, 5], [0, 5] (set them to choose others)"
    ]
    assert study.study.car_windows == [(0, 0), (-1, 1), (0, 1), (-5, 5), (0, 5)]
    with pytest.warns(UserWarning) as caught:
        study = es.Study.from_frame(frame, event_window=(-20, 20))
    assert [str(w.message) for w in caught] == [
        "the default windows are fitted to event_window [-20, 20]: estimation_window "
        "[-250, -21] (set them to choose others)"
    ]
    assert study.study.estimation_window == (-250, -21)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es.Study.from_frame(frame, event_window=(-10, 10))  # the defaults fit: no warning


def test_windows_the_user_set_stay_errors() -> None:
    frame = pd.DataFrame({"ticker": ["BABA"], "date": ["2024-11-18"]})
    with pytest.raises(ConfigError) as caught:
        es.Study.from_frame(frame, event_window=(-5, 5), car_windows=[(0, 10)])
    assert str(caught.value) == (
        "<events DataFrame>: field 'study': car window [0, 10] lies outside event_window [-5, 5]"
    )
    with pytest.raises(ConfigError) as caught:
        es.Study.from_frame(frame, event_window=(-20, 20), estimation_window=(-250, -11))
    assert str(caught.value).startswith(
        "<events DataFrame>: field 'study': estimation_window [-250, -11] overlaps"
    )


# -------------------------------------------------------------------- 12. small wording


def test_summary_wording(result: es.StudyResult) -> None:
    text = str(result)
    assert "Study            unnamed (saved as study/; name=... names it)" in text
    assert "Model            market model vs SPY (2 pairs)" in text
    one = es.Study.from_frame(
        pd.DataFrame({"ticker": ["BABA"], "date": ["2024-11-18"]}), name="one"
    ).run(source="demo")
    assert "Study            one\n" in str(one)
    assert "Model            market model vs SPY (1 pair)\n" in str(one)


def test_validate_counts_in_the_singular(tmp_path: Path) -> None:
    path = table(tmp_path, "date,ticker\n2024-11-18,BABA\n")
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        f"{path}: OK: 1 event (1 study event, 0 confounders), 1 security, "
        "1 (event, security) pair; day 0 resolved for every pair"
    )


def test_a_lower_case_ticker_gets_a_suggestion(tmp_path: Path) -> None:
    path = table(tmp_path, "date,ticker\n2024-11-18,baba\n")
    assert error_line(invoke("run", path, "--source", "demo", "--no-plots")) == (
        f"error: {path}: no (event, security) pair could be estimated (no prices for baba "
        "in the demo source: tickers match exactly, did you mean 'BABA'?)"
    )


# ------------------------------------------------------------------ 13. bad price cells


def prices_with_bad_cells(tmp_path: Path, bad: int) -> Path:
    prices, _ = demo_prices()
    prices = prices[["BABA", "SPY"]].astype(object)
    prices.iloc[1 : 1 + 2 * bad : 2, 0] = [f"x{i}" for i in range(bad)]
    prices.to_csv(tmp_path / "prices.csv", index_label="date")
    return tmp_path / "prices.csv"


@pytest.mark.parametrize("bad", [1, 3, 25])
def test_bad_price_cells_are_counted(tmp_path: Path, bad: int) -> None:
    path = prices_with_bad_cells(tmp_path, bad)
    events = table(tmp_path, "date,ticker\n2024-11-18,BABA\n")
    dates = pd.read_csv(path)["date"]
    cells = [(2 * i + 3, dates[2 * i + 1], f"x{i}") for i in range(bad)]
    if bad == 1:
        what = f"line {cells[0][0]} ({cells[0][1]}): 'x0' is not a number"
    else:
        listed = ", ".join(f"line {n} ({d}) '{x}'" for n, d, x in cells[:10])
        more = f", and {bad - 10} more" if bad > 10 else ""
        what = f"{bad} cells are not numbers: {listed}{more}"
    line = error_line(
        invoke("run", events, "--prices", path, "--no-plots", "--out", tmp_path / "o")
    )
    assert line == f"error: {path}: field 'BABA': {what}"
    study = load_study(events)
    with pytest.raises(PriceDataError) as caught:
        study.run(prices=path)
    assert str(caught.value) == f"{path}: field 'BABA': {what}"


def test_closest_ids_among_many() -> None:
    """Of 100,000 ids only those sharing the longest start are compared (difflib is slow)."""
    from eventstudy.core.words import unknown_id

    ids = [f"nvda-{i:06d}" for i in range(100_000)]
    assert unknown_id("nvda-01234x", ids) == (
        "no event with id 'nvda-01234x' (closest: nvda-012349, nvda-012348, nvda-012347, "
        "nvda-012346, nvda-012345)"
    )
