"""The data dictionary (issue 32, item 11): ``columns.csv`` beside the tables, one type
per column, units and meanings; ``docs/columns.md`` lists the same entries."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.core.data_dictionary import ENTRIES, TYPES, UNLISTED, dictionary, typed_test_columns

ROOT = Path(__file__).resolve().parents[1]
CELLS = {
    "integer": re.compile(r"-?\d+"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "boolean": re.compile(r"True|False"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo run with every optional table (placebo, volume, volatility, BHAR, regression)."""
    out = tmp_path_factory.mktemp("dictionary")
    args = ["run", str(ROOT / "events.yaml"), "--source", "demo", "--no-plots", "--quiet"]
    args += ["--out", str(out), "--placebo", "20", "--measures", "volume,volatility"]
    args += ["--bhar", "0,60", "--regress", "car ~ beta", "--tests", "all"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return next(out.iterdir())


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_columns_csv_describes_every_column_of_every_table(folder: Path) -> None:
    described = read(folder / "columns.csv")
    assert list(described.columns) == ["table", "column", "type", "unit", "meaning"]
    tables = sorted(p.stem for p in folder.glob("*.csv") if p.name != "columns.csv")
    assert sorted(set(described["table"])) == tables
    for table in tables:
        rows = described[described["table"] == table]
        assert list(rows["column"]) == list(read(folder / f"{table}.csv").columns), table
    assert set(described["type"]) <= set(TYPES)
    assert (described["meaning"] != "").all() and UNLISTED not in set(described["meaning"])
    car = described[(described["table"] == "car") & (described["column"] == "car")].iloc[0]
    assert car["unit"] == "fraction (0.01 = 1%)" and "CAR %" in car["meaning"]


def test_every_cell_has_its_column_type(folder: Path) -> None:
    described = read(folder / "columns.csv")
    wrong = []
    for table, column, kind in described[["table", "column", "type"]].itertuples(index=False):
        cells = read(folder / f"{table}.csv")[column]
        cells = cells[cells != ""]
        if kind == "number":
            ok = pd.to_numeric(cells, errors="coerce").notna()
        elif kind in CELLS:
            ok = cells.str.fullmatch(CELLS[kind])
        else:
            continue
        if not ok.all():
            wrong.append((table, column, kind, sorted(set(cells[~ok]))[:3]))
    assert wrong == []


def test_tests_csv_df_as_numbers_beside_the_text(folder: Path) -> None:
    tests = pd.read_csv(folder / "tests.csv", dtype={"df": str, "note": str})
    given = tests[tests["df"].notna()]
    assert given["df"].str.contains("/inf").any() and given["df"].str.contains("/").any()
    for df, df1, df2 in given[["df", "df1", "df2"]].itertuples(index=False):
        parts = [float(p) for p in df.split("/")]
        assert df1 == parts[0] and (math.isnan(df2) if len(parts) == 1 else df2 == parts[1])
    assert tests.loc[tests["df"].isna(), ["df1", "df2"]].isna().all().all()
    kp = tests[tests["note"].fillna("").str.startswith("rbar=")]
    assert (
        len(kp) and (kp["rbar"] == kp["note"].str.extract(r"rbar=([^;\s]+)")[0].astype(float)).all()
    )


def test_typed_test_columns_values() -> None:
    table = pd.DataFrame(
        {
            "df": ["55", "3/190", "53/inf", None],
            "note": ["", "rbar=-0.0136701; clusters", None, "W+=12"],
        }
    )
    typed = typed_test_columns(table)
    assert list(typed.columns) == ["df", "note", "df1", "df2", "rbar"]
    assert typed["df1"].tolist()[:3] == [55.0, 3.0, 53.0] and math.isnan(typed["df1"][3])
    assert typed["df2"].tolist()[1:3] == [190.0, math.inf] and math.isnan(typed["df2"][0])
    assert typed["rbar"][1] == -0.0136701 and typed["rbar"].drop(index=1).isna().all()


def test_unlisted_columns_say_so_with_their_type() -> None:
    frame = pd.DataFrame({"event_id": ["a"], "beta_QQQ": [0.5], "eps": [3], "sector": ["x"]})
    rows = dictionary({"models": frame}).to_dict("records")
    assert rows == [
        {"table": "models", "column": "event_id", "type": "text", "unit": "",
         "meaning": "the event's id (a slug)"},
        {"table": "models", "column": "beta_QQQ", "type": "number", "unit": "",
         "meaning": "the model's slope on factor QQQ"},
        {"table": "models", "column": "eps", "type": "integer", "unit": "", "meaning": UNLISTED},
        {"table": "models", "column": "sector", "type": "text", "unit": "", "meaning": UNLISTED},
    ]  # fmt: skip


def test_docs_list_the_dictionary() -> None:
    text = (ROOT / "docs" / "columns.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (\S+) \| `(\S+)` \| (\w+) \| (.*?) \| (.*) \|$", text, re.MULTILINE)
    entries = read(ENTRIES)
    assert listed == [tuple(r) for r in entries.itertuples(index=False)]
