"""Typed copies of the tables: ``<table>.parquet`` and ``results.xlsx`` (eventstudy.outputs.export).

Both are read back and compared with the CSV files cell by cell, for the demo study
run from the command line and for a study with skipped pairs, missing returns and
every test (``tests.df`` mixes integers, ``d1/d2`` text and empty cells). Excel's
limits are tested by lowering them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.outputs import export
from eventstudy.outputs.result import StudyResult
from eventstudy.pipeline.summary import SYNTHETIC_NOTE
from eventstudy.study import parse_study, run_study
from tests.conftest import FrameSource, market_model_prices

ROOT = Path(__file__).resolve().parents[1]
ALL = ("csv", "parquet", "xlsx")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``eventstudy run --source demo --no-plots --parquet --xlsx --json``, once."""
    out = tmp_path_factory.mktemp("demo")
    args = ["run", str(ROOT / "events.yaml"), "--source", "demo", "--no-plots"]
    result = CliRunner().invoke(app, [*args, "--parquet", "--xlsx", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    folder = out / "us-china-ai"
    files = json.loads(result.stdout)["files"]
    for name in export.TABLES:
        assert f"{name}.csv" in files and f"{name}.parquet" in files
    assert "results.xlsx" in files
    return folder


@pytest.fixture(scope="module")
def gappy() -> StudyResult:
    """Skipped pairs (no prices, too short a history), missing returns, all tests."""
    prices = market_model_prices(noise=0.01, seed=3)
    prices["STK2"] = market_model_prices(noise=0.02, seed=5)["STK"]
    prices.loc["2024-11-19", "STK"] = np.nan  # in e1's event window
    prices.loc["2024-11-12":"2024-11-14", "STK2"] = np.nan
    study = parse_study({
        "study": {"name": "gaps", "securities": ["STK", "STK2", "GONE"], "benchmark": "SPY"},
        "events": [
            {"id": "e1", "date": "2024-11-18", "title": "E", "category": "a"},
            {"id": "e2", "date": "2022-03-01", "title": "too early"},
            {"id": "e3", "date": "2024-05-15", "title": "M", "category": "a"},
        ],
    })  # fmt: skip
    return run_study(study, source=FrameSource(prices), tests=["all"])


@pytest.fixture(scope="module")
def gappy_folder(gappy: StudyResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gaps")
    with pytest.MonkeyPatch.context() as patch:  # sheets written 7 rows at a time
        patch.setattr(export, "EXCEL_CHUNK_ROWS", 7)
        written = gappy.save(out, plots=False, tables=ALL)
    folder = out / "gaps"
    assert written["results.xlsx"] == folder / "results.xlsx"
    assert written["car.parquet"] == folder / "car.parquet"
    return folder


@pytest.fixture(params=["demo", "gappy"])
def folder(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(f"{request.param}_folder")


def csv_text(folder: Path, name: str) -> pd.DataFrame:
    """A CSV file's cells as written (text, empty cells empty)."""
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def cell_text(value: object) -> str:
    """How the CSV writer writes a value read from Parquet (None: empty)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def test_parquet_columns_are_typed(folder: Path) -> None:
    for name in export.TABLES:
        schema = pq.read_schema(folder / f"{name}.parquet")
        types = dict(zip(schema.names, schema.types, strict=True))
        for column, kind in types.items():
            if column in export.DATE_COLUMNS:
                assert kind == pa.date32(), (name, column)
            elif column == "df" and name == "tests":
                assert pa.types.is_large_string(kind)
            elif column in export.COUNT_COLUMNS:
                assert kind == pa.int64(), (name, column)
        if name == "tests":
            assert types["clustered"] == pa.bool_() and types["p_value"] == pa.float64()
        if name == "abnormal_returns":
            assert types["ar"] == pa.float64() and types["ticker"] == pa.large_string()


def test_parquet_holds_the_csv_values(folder: Path) -> None:
    """Every cell: the Parquet value written as the CSV writer would is the CSV cell."""
    for name in export.TABLES:
        csv = csv_text(folder, name)
        table = pq.read_table(folder / f"{name}.parquet")
        assert table.column_names == list(csv.columns)
        assert table.num_rows == len(csv)
        for column in csv.columns:
            got = [cell_text(v) for v in table.column(column).to_pylist()]
            assert got == csv[column].tolist(), (name, column)


def test_the_gappy_run_has_what_it_should_test(gappy: StudyResult, gappy_folder: Path) -> None:
    ar = pq.read_table(gappy_folder / "abnormal_returns.parquet")
    assert ar.column("ret").null_count > 0  # missing returns are null, not NaN
    assert pq.read_table(gappy_folder / "skipped.parquet").num_rows == len(gappy.skipped) == 5
    df = pq.read_table(gappy_folder / "tests.parquet").column("df").to_pylist()
    assert None in df and any("/" in str(v) for v in df)
    assert any(isinstance(v, str) and v.isdigit() for v in df)


def test_parquet_metadata_names_synthetic_data(demo_folder: Path, gappy_folder: Path) -> None:
    meta = json.loads(pq.read_schema(demo_folder / "car.parquet").metadata[b"eventstudy"])
    assert meta == {"table": "car", "notes": [SYNTHETIC_NOTE]}
    meta = json.loads(pq.read_schema(gappy_folder / "car.parquet").metadata[b"eventstudy"])
    assert meta["notes"] == []


def xlsx_rows(folder: Path, sheet: str) -> list[tuple]:
    book = openpyxl.load_workbook(folder / "results.xlsx", read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def assert_same_cell(value: object, text: str, where: tuple) -> None:
    """An Excel cell (as openpyxl reads it) against its CSV cell."""
    if text == "":
        assert value in (None, ""), where
    elif isinstance(value, datetime):
        assert value.date().isoformat() == text, where
    elif isinstance(value, bool | str):
        assert str(value) == text, where
    elif text.lstrip("-").isdigit():
        assert isinstance(value, int) and value == int(text), where
    else:  # xlsxwriter writes 16 significant digits (Excel shows 15)
        assert isinstance(value, int | float), where
        assert value == pytest.approx(float(text), rel=1e-15, abs=0), where


def test_xlsx_holds_the_csv_values(folder: Path) -> None:
    book = openpyxl.load_workbook(folder / "results.xlsx", read_only=True)
    optional = [n for n in export.OPTIONAL_TABLES if (folder / f"{n}.csv").exists()]
    assert book.sheetnames == ["README", *export.TABLES, *optional]
    book.close()
    for name in [*export.TABLES, *optional]:
        csv = csv_text(folder, name)
        rows = xlsx_rows(folder, name)
        assert list(rows[0]) == list(csv.columns)
        assert len(rows) == len(csv) + 1
        for i, (row, cells) in enumerate(zip(rows[1:], csv.itertuples(index=False), strict=True)):
            for column, value, text in zip(csv.columns, row, cells, strict=True):
                assert_same_cell(value, text, (name, i, column))
        if name == "car":  # dates are Excel dates, numbers numbers
            assert isinstance(rows[1][2], datetime) and isinstance(rows[1][5], float)
    readme = xlsx_rows(folder, "README")
    counts = {row[0]: row[1:] for row in readme if row[0] in export.TABLES}
    assert counts == {name: (len(csv_text(folder, name)),) * 2 for name in export.TABLES}


def test_demo_workbook_says_synthetic(demo_folder: Path) -> None:
    assert xlsx_rows(demo_folder, "README")[0][0] == SYNTHETIC_NOTE


def test_a_long_table_is_cut_at_excels_row_limit_and_says_so(
    gappy: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 20)
    with pytest.warns(export.ExcelLimitWarning) as warned:
        gappy.save(tmp_path, plots=False, tables=("csv", "xlsx"))
    cut = {str(w.message).split(":")[1].strip() for w in warned}
    assert cut == {"abnormal_returns", "car", "tests"}  # models (4), skipped (5) fit
    assert any("abnormal_returns: the first 19 of 84 rows" in str(w.message) for w in warned)
    folder = tmp_path / "gaps"
    rows = xlsx_rows(folder, "abnormal_returns")
    assert len(rows) == 20  # the header and 19 rows
    assert [r[3].date().isoformat() for r in rows[1:]] == csv_text(folder, "abnormal_returns")[
        "date"
    ].tolist()[:19]
    assert len(xlsx_rows(folder, "models")) == len(gappy.models) + 1  # not cut
    readme = xlsx_rows(folder, "README")
    assert any("abnormal_returns: the first 19 of 84 rows" in str(r[0]) for r in readme)
    counts = {row[0]: row[1:] for row in readme if row[0] in export.TABLES}
    assert counts["abnormal_returns"] == (19, 84)
    assert counts["tests"] == (19, len(gappy.tests()))
    assert counts["models"] == (len(gappy.models), len(gappy.models))


def test_a_long_text_cell_is_cut_and_says_so(
    gappy: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "EXCEL_MAX_CHARS", 12)
    long = sum(len(r) > 12 for r in gappy.skipped["reason"])
    with pytest.warns(export.ExcelLimitWarning, match="cut to 12 characters"):
        export.write_xlsx(
            tmp_path / "r.xlsx", {"skipped": export.arrow_table("skipped", gappy.skipped)}
        )
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    rows = list(book["skipped"].iter_rows(values_only=True))
    readme = [r[0] for r in book["README"].iter_rows(values_only=True)]
    book.close()
    assert [r[2] for r in rows[1:]] == [text[:12] for text in gappy.skipped["reason"]]
    assert f"skipped: {long} cells cut to 12 characters" in " ".join(map(str, readme))


def test_infinite_and_missing_floats_in_excel(tmp_path: Path) -> None:
    frame = pd.DataFrame({"car_t": [1.5, np.inf, -np.inf, np.nan], "n": [1, 2, 3, 4]})
    export.write_xlsx(tmp_path / "r.xlsx", {"t": export.arrow_table("t", frame)})
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    rows = list(book["t"].iter_rows(values_only=True))
    book.close()
    assert rows == [("car_t", "n"), (1.5, 1), ("inf", 2), ("-inf", 3), (None, 4)]


def test_column_types_follow_the_names() -> None:
    frame = pd.DataFrame({
        "n_est": [238.0, np.nan],          # a count with a missing value: nullable int
        "n": [1.5, 2.0],                   # not whole: kept as float (warned below)
        "day0": ["2024-11-18", ""],        # ISO dates, one empty
        "mixed": pd.Series([1, "a"], dtype=object),
        "blank": pd.Series([None, None], dtype=object),
        "flag": [True, False],
    })  # fmt: skip
    with pytest.warns(UserWarning, match=r"t\.n holds values that are not whole numbers"):
        table = export.arrow_table("t", frame)
    assert table.column("n_est").type == pa.int64()
    assert table.column("n_est").to_pylist() == [238, None]
    assert table.column("n").to_pylist() == [1.5, 2.0]
    assert table.column("day0").to_pylist() == [date(2024, 11, 18), None]
    assert table.column("mixed").to_pylist() == ["1", "a"]
    assert table.column("blank").type == pa.large_string()
    assert table.column("flag").type == pa.bool_()


def test_a_date_column_that_is_not_dates_stays_text() -> None:
    frame = pd.DataFrame({"date": ["2024-11-18", "18/11/2024"]})
    with pytest.warns(UserWarning, match="not YYYY-MM-DD dates"):
        table = export.arrow_table("t", frame)
    assert table.column("date").to_pylist() == ["2024-11-18", "18/11/2024"]


def test_empty_tables_keep_their_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"event_id": pd.Series([], dtype=object), "rel_day": []})
    table = export.arrow_table("skipped", frame)
    assert table.schema.types == [pa.large_string(), pa.int64()]
    export.write_xlsx(tmp_path / "r.xlsx", {"skipped": table})
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert list(book["skipped"].iter_rows(values_only=True)) == [("event_id", "rel_day")]
    book.close()


def test_formats_are_checked(gappy: StudyResult, tmp_path: Path) -> None:
    assert export.check_formats(["xlsx", "csv", "xlsx"]) == ("csv", "xlsx")
    with pytest.raises(ValueError, match="unknown table format"):
        export.check_formats(["csv", "feather"])
    with pytest.raises(ValueError, match='must include "csv"'):
        gappy.save(tmp_path, plots=False, tables=("parquet",))
    assert not (tmp_path / "gaps").exists()


def test_manifest_lists_the_formats_and_a_rerun_removes_stale_copies(
    gappy: StudyResult, tmp_path: Path
) -> None:
    folder = tmp_path / "gaps"

    def formats() -> list[str]:
        return json.loads((folder / "manifest.json").read_text())["table_formats"]

    gappy.save(tmp_path, plots=False, tables=ALL)
    assert formats() == list(ALL)
    assert {p.name for p in folder.glob("*.parquet")} == {f"{t}.parquet" for t in export.TABLES}
    (folder / "notes.parquet").write_bytes(b"not ours")
    written = gappy.save(tmp_path, plots=False, tables=("csv", "parquet"))
    assert formats() == ["csv", "parquet"]
    assert not (folder / "results.xlsx").exists()
    assert "results.xlsx" not in written and "car.parquet" in written
    written = gappy.save(tmp_path, plots=False)
    assert formats() == ["csv"]
    assert [p.name for p in folder.glob("*.parquet")] == ["notes.parquet"]  # not ours: kept
    assert not any(key.endswith(".parquet") for key in written)


def test_a_failed_workbook_leaves_nothing_behind(
    gappy: StudyResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_sheet", fail)
    table = export.arrow_table("car", gappy.car)
    with pytest.raises(OSError, match="No space"):
        export.write_xlsx(tmp_path / "results.xlsx", {"car": table})
    assert list(tmp_path.iterdir()) == []
