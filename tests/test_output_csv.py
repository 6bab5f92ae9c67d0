"""``atomic.write_csv`` writes exactly the bytes of pandas' ``to_csv``.

Property tests over random frames of every dtype the fast writer handles (float64 with
NaN/inf/-0.0/huge/tiny values, integers, bools, ``str`` and nullable string dtypes,
object mixes of str/None/NaN/bool/float/int), adversarial strings and column names,
empty frames and dtypes left to pandas; a dense scan of float64 magnitudes (arrow's
cast must match ``repr`` wherever the writer uses it); and a realistic study frame.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.core import atomic

TRICKY_STRINGS = ["", " ", ",", '"', '""', "\n", "\r", "\r\n", "a,b", 'say "hi"', "x\ny", "\0"]
TRICKY_FLOATS = [
    0.0, -0.0, 1.0, -3.0, 0.5, 0.1, 1e-4, 9.9999e-5, 1e-9, 9.99e-10, 1e-10, 8.39e-5, 8.8e-8,
    1e10, 12000000000.5, 9999999999.5, 1e16, 1e16 + 2, 1.5e17, 123456789012345680.0,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, np.inf, -np.inf, np.nan,
]  # fmt: skip

texts = st.one_of(
    st.sampled_from(TRICKY_STRINGS),
    st.text(st.sampled_from([*',"\r\n \t\0aZ', "é", "€", "😀"]), max_size=6),
    st.text(max_size=6),
)
floats = st.one_of(st.sampled_from(TRICKY_FLOATS), st.floats())
object_cells = st.one_of(
    texts, st.none(), st.just(float("nan")), st.booleans(), floats, st.integers(-(2**70), 2**70)
)


def _column(kind: str, n: int) -> st.SearchStrategy[pd.Series]:
    """A column of ``n`` rows of the given kind."""
    if kind == "float64":
        return st.lists(floats, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=float))
    if kind in ("int64", "uint8", "int32"):
        info = np.iinfo(kind)
        cells = st.integers(int(info.min), int(info.max))
        return st.lists(cells, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=kind))
    if kind == "bool":
        return st.lists(st.booleans(), min_size=n, max_size=n).map(pd.Series)
    if kind == "object":
        cells = st.lists(object_cells, min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype=object))
    cells = st.lists(st.one_of(st.none(), texts), min_size=n, max_size=n)
    if kind == "str":
        return cells.map(lambda v: pd.Series(v, dtype="str"))
    if kind == "string":  # nullable, pd.NA missing
        return cells.map(lambda v: pd.Series(v, dtype="string"))
    if kind == "str-python":
        return cells.map(lambda v: pd.Series(v, dtype=pd.StringDtype("python", np.nan)))
    # Dtypes left to pandas.
    if kind == "datetime":
        days = st.lists(st.integers(0, 40_000), min_size=n, max_size=n)
        return days.map(lambda v: pd.Series(pd.to_datetime(v, unit="D")))
    if kind == "category":
        return cells.map(lambda v: pd.Series(v, dtype="category"))
    if kind == "Int64":
        ints = st.lists(st.none() | st.integers(-5, 5), min_size=n, max_size=n)
        return ints.map(lambda v: pd.Series(v, dtype="Int64"))
    if kind == "float32":
        singles = st.lists(st.floats(width=32), min_size=n, max_size=n)
        return singles.map(lambda v: pd.Series(v, dtype="f4"))
    return st.lists(floats, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=complex))


FAST_KINDS = ["float64", "int64", "uint8", "int32", "bool", "object", "str", "string", "str-python"]
PANDAS_KINDS = ["datetime", "category", "Int64", "float32", "complex"]


@st.composite
def frames(draw: st.DrawFn, kinds: list[str]) -> pd.DataFrame:
    """A frame of 0-7 rows whose columns (0-5, names may repeat) are of ``kinds``."""
    n = draw(st.integers(0, 7))
    columns = draw(st.lists(st.sampled_from(kinds).flatmap(lambda k: _column(k, n)), max_size=5))
    frame = pd.DataFrame(dict(enumerate(columns)), index=range(n))
    names = st.one_of(texts, st.integers(-3, 3))
    frame.columns = draw(st.lists(names, min_size=frame.shape[1], max_size=frame.shape[1]))
    return frame


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("csv") / "out.csv"


def assert_written_like_pandas(target: Path, frame: pd.DataFrame) -> None:
    assert atomic.write_csv(target, frame) == target
    expected = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    assert target.read_bytes() == expected


@settings(max_examples=200, deadline=None)
@given(frame=frames(FAST_KINDS), chunk_rows=st.integers(1, 4))
def test_fast_dtypes_match_pandas(target, frame, chunk_rows):
    assert (atomic._csv_columns(frame) is None) == (frame.shape[1] == 0)
    with mock.patch.object(atomic, "_CSV_CHUNK_ROWS", chunk_rows):
        assert_written_like_pandas(target, frame)


@settings(max_examples=60, deadline=None)
@given(frame=frames(FAST_KINDS + PANDAS_KINDS))
def test_any_dtype_mix_matches_pandas(target, frame):
    assert_written_like_pandas(target, frame)


def test_float_scan_matches_pandas(target):
    """Every decimal exponent (with powers of ten and their neighbours), subnormals,
    integral values and random bit patterns: arrow's cast is only kept where it is
    ``repr``."""
    rng = np.random.default_rng(7)
    powers = 10.0 ** np.arange(-323, 309)
    with np.errstate(over="ignore"):
        mantissas = rng.uniform(1, 10, (40, powers.size)) * powers
    scan = [
        mantissas,
        powers,
        np.nextafter(powers, 0),
        np.nextafter(powers, np.inf),
        rng.integers(1, 2**52, 5_000).view(np.float64),  # subnormals
        rng.integers(-(2**63), 2**63 - 1, 40_000, dtype=np.int64).view(np.float64),
        rng.integers(-(10**17), 10**17, 5_000).astype(np.float64),
        np.arange(-2_000, 2_000) / 8,
    ]
    values = np.concatenate([part.ravel() for part in scan])
    assert_written_like_pandas(target, pd.DataFrame({"x": np.concatenate([values, -values])}))


def test_special_frames(target):
    assert_written_like_pandas(target, pd.DataFrame())
    assert_written_like_pandas(target, pd.DataFrame(index=range(3)))
    assert_written_like_pandas(target, pd.DataFrame({"a": pd.Series([], dtype=float)}))
    assert_written_like_pandas(target, pd.DataFrame({"": [np.nan, 1.0], "b,": ["", None]}))
    assert_written_like_pandas(target, pd.DataFrame({"only": ["", None, "x", '"']}))
    columns = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])
    assert_written_like_pandas(target, pd.DataFrame([[1.5, "q"]], columns=columns))


def test_realistic_study_frame(target):
    rng = np.random.default_rng(3)
    n = 6_000
    returns = rng.normal(0, 0.02, (n, 7))
    returns[::97, 0] = 0.0
    returns[::89, 1] = np.nan
    returns[:, 6] = 10.0 ** rng.uniform(-12, 0, n)  # p-values, many below 1e-4
    frame = pd.DataFrame(
        {
            "event_id": pd.Series([f"e{i // 60:03d}" for i in range(n)], dtype="str"),
            "ticker": pd.Series(rng.choice(["AAPL", "BRK.B", "Foo, Inc", None], n), dtype="str"),
            "rel_day": np.tile(np.arange(-30, 30), n // 60),
            "date": pd.Series([f"2024-03-0{i % 9 + 1}" for i in range(n)], dtype="str"),
            **{f"f{j}": returns[:, j] for j in range(7)},
            "confounders": pd.Series(rng.choice(["", "e001;e002", None], n), dtype=object),
        },
        index=rng.permutation(n),
    )
    assert atomic._csv_columns(frame) is not None
    with mock.patch.object(atomic, "_CSV_CHUNK_ROWS", 1_000):
        assert_written_like_pandas(target, frame)


@settings(max_examples=60, deadline=None)
@given(frame=frames(FAST_KINDS + PANDAS_KINDS), cut=st.integers(0, 5))
def test_frames_written_in_slices_match_the_whole(target, frame, cut):
    """A table written slice by slice (a Dask run's large CSVs) is the whole frame's text."""
    cuts = [frame.iloc[:cut], frame.iloc[cut : cut + 2], frame.iloc[cut + 2 :]]
    assert atomic.write_csv_frames(target, cuts) == target
    assert target.read_bytes() == frame.to_csv(index=False, lineterminator="\n").encode()
