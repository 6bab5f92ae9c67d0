"""Property-based tests (hypothesis) of alignment, the estimators and the events loader.

* Event-time alignment: day 0 is always a session of the security's exchange, never
  before the news's exchange-local date, the first session to close after the news, and
  monotone in the news timestamp; a bare date is never later than any time on that date.
* Estimators: AR, CAR and t are invariant to adding a constant to the benchmark (alpha
  absorbs it); CAR is the sum of the window's ARs (through the whole pipeline); data on
  an exact market model give zero ARs; the one-day CAR variance is the AR variance.
* Loader fuzz: arbitrary nested structures, YAML text and bytes only ever raise the
  toolkit's own ConfigError, always as one line naming the file; an id or study name it
  accepts always keeps output paths inside the output folder, and any ticker's cache
  file stays in the cache folder, round-trips, and is its own.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eventstudy.core.errors import ConfigError, EventStudyError
from eventstudy.data.cache import PriceCache, _ticker_from
from eventstudy.models.abnormal import abnormal_returns, ar_variance, car_variance, t_test
from eventstudy.models.fits import fit_market_model
from eventstudy.sessions.calendar import align_event, exchange_for, get_calendar
from eventstudy.study import Study, load_study, parse_study, run_study
from tests.conftest import FrameSource, market_model_prices

# Zones with odd offsets (+5:30, +12:45, -3:30, +14, -11) and both DST hemispheres.
ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Asia/Hong_Kong",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
]
TICKERS = ["BABA", "9988.HK"]
CALENDAR = settings(max_examples=50, deadline=None)
naive_times = st.datetimes(
    min_value=datetime(2001, 1, 2),  # noqa: DTZ001 - a wall-clock time; the zone is drawn apart
    max_value=datetime(2025, 12, 15),  # noqa: DTZ001
).map(lambda d: d.replace(microsecond=0))


def asked(local: datetime, zone: str) -> pd.Timestamp:
    """The instant ``align_event`` is asked about (a wall time read as its first fold)."""
    return pd.Timestamp(datetime.combine(local.date(), local.time(), tzinfo=ZoneInfo(zone)))


# --------------------------------------------------------------------------- alignment


@CALENDAR
@given(local=naive_times, zone=st.sampled_from(ZONES), ticker=st.sampled_from(TICKERS))
def test_day0_is_the_first_session_to_close_after_the_news(
    local: datetime, zone: str, ticker: str
) -> None:
    cal = get_calendar(exchange_for(ticker))
    a = align_event("p", ticker, local.date(), local.time(), zone)
    news = asked(local, zone)
    assert cal.is_session(a.day0)
    exchange_date = pd.Timestamp(news.tz_convert(str(cal.tz)).date())
    assert a.day0 >= exchange_date
    assert cal.session_close(a.day0) > news.floor("min")  # it can still react
    position = cal.sessions.get_loc(a.day0)
    if position > 0:  # and the session before it had closed: no earlier one could
        assert cal.session_close(cal.sessions[position - 1]) <= news.floor("min")
    assert a.shifted == (a.day0 != pd.Timestamp(local.date()))


@CALENDAR
@given(
    first=naive_times,
    second=naive_times,
    zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES)),
    ticker=st.sampled_from(TICKERS),
)
def test_day0_is_monotone_in_the_news_time(
    first: datetime, second: datetime, zones: tuple[str, str], ticker: str
) -> None:
    stamps = [
        (asked(first, zones[0]), first, zones[0]),
        (asked(second, zones[1]), second, zones[1]),
    ]
    stamps.sort(key=lambda s: s[0])
    day0s = [align_event("p", ticker, t.date(), t.time(), z).day0 for _, t, z in stamps]
    assert day0s[0] <= day0s[1]


@CALENDAR
@given(
    day=st.dates(min_value=date(2001, 1, 2), max_value=date(2025, 12, 15)),
    clock=st.times(time(9, 30)).map(lambda t: t.replace(microsecond=0)),
    zone=st.sampled_from([None, *ZONES]),
    ticker=st.sampled_from(TICKERS),
)
def test_a_bare_date_is_known_before_the_open(
    day: date, clock: time, zone: str | None, ticker: str
) -> None:
    """A date without a time counts as news before 09:30 that day in its time zone.

    On the exchange's own clock (``zone`` None) that is before the open: day 0 is the
    date itself when it is a session. Elsewhere it is the 09:30 instant converted to
    the exchange's clock (a New York date reaches Hong Kong after its close).
    """
    cal = get_calendar(exchange_for(ticker))
    zone = zone or str(cal.tz)
    bare = align_event("p", ticker, day, None, zone)
    assert cal.is_session(bare.day0)
    assert bare.shifted == (bare.day0 != pd.Timestamp(day))
    opening = asked(datetime.combine(day, time(9, 30)), zone)
    assert bare.day0 >= pd.Timestamp(opening.tz_convert(str(cal.tz)).date())
    if zone == str(cal.tz):
        assert bare.day0 == cal.date_to_session(pd.Timestamp(day), direction="next")
    timed = align_event("p", ticker, day, clock, zone)  # any time from 09:30 that day
    assert bare.day0 <= timed.day0


# --------------------------------------------------------------------------- estimators

# Returns on a one-basis-point grid keep the data well conditioned: the properties are
# exact in real arithmetic, and the tolerances only absorb rounding.
returns_grid = st.integers(-1500, 1500).map(lambda v: v / 1e4)


@st.composite
def market_data(draw: st.DrawFn, noise: bool = True) -> dict[str, Any]:
    pairs = draw(st.integers(1, 4))
    n_est = draw(st.integers(4, 60))
    n_evt = draw(st.integers(1, 12))
    shape = (pairs, n_est + n_evt)
    x = draw(hnp.arrays(np.float64, shape, elements=returns_grid))
    alpha = draw(hnp.arrays(np.float64, pairs, elements=returns_grid))
    beta = draw(
        hnp.arrays(np.float64, pairs, elements=st.integers(-300, 300).map(lambda v: v / 100))
    )
    eps = draw(hnp.arrays(np.float64, shape, elements=returns_grid)) if noise else 0.0
    y = alpha[:, None] + beta[:, None] * x + eps
    gaps = np.zeros(shape, dtype=bool)  # missing returns, at most a third of a row's days
    spots = st.tuples(st.integers(0, pairs - 1), st.integers(0, shape[1] - 1))
    for row, col in draw(st.lists(spots, max_size=shape[1] // 3)):
        gaps[row, col] = True
    y = np.where(gaps, np.nan, y)
    est = slice(0, n_est)
    valid = np.isfinite(y[:, est])
    for row in range(pairs):  # at least 3 valid days with a benchmark that moves
        xs = x[row, est][valid[row]]
        assume(len(xs) >= 3 and np.ptp(xs) > 0)
    return {"x": x, "y": y, "n_est": n_est, "alpha": alpha, "beta": beta}


def estimate(y: np.ndarray, x: np.ndarray, n_est: int) -> dict[str, Any]:
    """Market-model fit on the first ``n_est`` days; AR, CAR, se, t on the rest."""
    fit = fit_market_model(y[:, :n_est], x[:, :n_est])
    y_evt, design = y[:, n_est:], fit.design(x[:, n_est:])
    ar = abnormal_returns(fit, y_evt, design)
    included = np.isfinite(ar)
    car = np.where(included, ar, 0.0).sum(axis=1)
    se = np.sqrt(car_variance(fit, design, included))
    t, p = t_test(car, se, fit.df)
    return {"fit": fit, "ar": ar, "car": car, "se": se, "t": t, "p": p}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=market_data(), shift=st.integers(-10_000, 10_000).map(lambda v: v / 1e4))
def test_adding_a_constant_to_the_benchmark_changes_only_alpha(
    data: dict[str, Any], shift: float
) -> None:
    base = estimate(data["y"], data["x"], data["n_est"])
    moved = estimate(data["y"], data["x"] + shift, data["n_est"])
    fb, fm = base["fit"], moved["fit"]
    np.testing.assert_allclose(fm.beta, fb.beta, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fm.alpha, fb.alpha - fb.beta * shift, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fm.sigma, fb.sigma, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(moved["ar"], base["ar"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(moved["car"], base["car"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(moved["se"], base["se"], rtol=1e-6, atol=1e-12)
    finite = np.isfinite(base["t"]) & (base["se"] > 1e-9)
    np.testing.assert_allclose(moved["t"][finite], base["t"][finite], rtol=1e-5, atol=1e-6)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=market_data(noise=False))
def test_exact_market_model_data_give_zero_abnormal_returns(data: dict[str, Any]) -> None:
    result = estimate(data["y"], data["x"], data["n_est"])
    fit = result["fit"]
    np.testing.assert_allclose(fit.beta, data["beta"], atol=1e-9)
    np.testing.assert_allclose(fit.alpha, data["alpha"], atol=1e-9)
    np.testing.assert_allclose(fit.sigma, 0.0, atol=1e-9)
    ar = result["ar"]
    np.testing.assert_allclose(ar[np.isfinite(ar)], 0.0, atol=1e-9)
    assert np.array_equal(np.isfinite(ar), np.isfinite(data["y"][:, data["n_est"] :]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=market_data())
def test_one_day_car_variance_is_the_ar_variance(data: dict[str, Any]) -> None:
    n_est = data["n_est"]
    fit = fit_market_model(data["y"][:, :n_est], data["x"][:, :n_est])
    design = fit.design(data["x"][:, n_est:])
    per_day = ar_variance(fit, design)
    for day in range(design.shape[1]):
        only = np.zeros(design.shape[:2], dtype=bool)
        only[:, day] = True
        np.testing.assert_allclose(car_variance(fit, design, only), per_day[:, day], rtol=1e-12)


@st.composite
def study_setup(draw: st.DrawFn) -> dict[str, Any]:
    est_end = draw(st.integers(-40, -2))
    est_len = draw(st.integers(20, 80))
    evt_start = draw(st.integers(est_end + 1, 0))
    evt_end = draw(st.integers(0, 8))
    windows = draw(
        st.lists(
            st.tuples(st.integers(evt_start, evt_end), st.integers(evt_start, evt_end)).map(sorted),
            min_size=1,
            max_size=4,
        )
    )
    days = draw(st.lists(st.dates(date(2023, 3, 1), date(2025, 3, 31)), min_size=1, max_size=3))
    return {
        "settings": {
            "name": "prop",
            "securities": ["STK"],
            "benchmark": "SPY",
            "estimation_window": [est_end - est_len + 1, est_end],
            "event_window": [evt_start, evt_end],
            "car_windows": [list(w) for w in windows],
            "min_estimation_returns": 10,
        },
        "events": [
            {"id": f"e{i}", "date": d.isoformat(), "title": "E"} for i, d in enumerate(days)
        ],
        "seed": draw(st.integers(0, 2**16)),
        "holes": draw(st.lists(st.integers(0, 800), max_size=15)),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=study_setup())
def test_car_is_the_sum_of_the_windows_ars_through_the_pipeline(setup: dict[str, Any]) -> None:
    prices = market_model_prices(seed=setup["seed"], first="2022-01-03", last="2025-06-30")
    prices.iloc[setup["holes"], prices.columns.get_loc("STK")] = np.nan  # missing prices
    study = parse_study({"study": setup["settings"], "events": setup["events"]})
    result = run_study(study, source=FrameSource(prices))
    ar = result.abnormal_returns
    for row in result.car.itertuples():
        days = ar[
            (ar.event_id == row.event_id) & ar.rel_day.between(row.window_start, row.window_end)
        ]
        valid = days["ar"].notna()
        assert row.n_days == valid.sum()
        if valid.any():
            assert row.car == pytest.approx(days["ar"][valid].sum(), abs=1e-12)
        else:
            assert np.isnan(row.car)
    for _, rows in ar.groupby("event_id"):  # the running CAR column, too
        running = rows["ar"].fillna(0.0).cumsum().where(rows["ar"].notna())
        np.testing.assert_allclose(rows["car"], running, atol=1e-12)
    estimated = set(result.models["event_id"])
    assert estimated | set(result.skipped["event_id"]) == {e["id"] for e in setup["events"]}


# --------------------------------------------------------------------------- loader fuzz

KEYS = [
    "study", "events", "name", "title", "securities", "benchmark", "model",
    "estimation_window", "event_window", "car_windows", "min_estimation_returns",
    "timezone", "id", "date", "time", "category", "source", "notes", "description",
    "benchmarks", "factors", "role",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["BABA", "SPY", "2024-11-18", "2025-02-29", "10:00", "24:00", "UTC",
                       "America/New_York", "Mars/Olympus", "a", "-10", "market", "../x"])
    | st.dates().map(str)
)  # fmt: skip
keys = st.sampled_from(KEYS) | st.text(max_size=8) | st.integers(-3, 3) | st.none()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)
event_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "A b", ""]) | st.text(max_size=6)},
    optional={
        "date": st.sampled_from(["2024-11-18", "2024-02-30", "2024-11-16", "1999-01-01"]) | scalars,
        "title": st.sampled_from(["T", ""]) | scalars,
        "time": st.sampled_from(["10:00", "16:00", "23:59:59", "9:00"]) | scalars,
        "timezone": st.sampled_from([*ZONES, "Nowhere/Land", ""]) | scalars,
        "securities": st.lists(st.sampled_from(["BABA", "9988.HK", "x y"]), max_size=3) | documents,
        "benchmark": st.sampled_from(["SPY", "KWEB"]) | scalars,
    },
)
study_like = st.fixed_dictionaries(
    {"name": st.sampled_from(["s", "S", "a-b"]) | scalars},
    optional={
        "securities": st.lists(st.sampled_from(["BABA", "NVDA", "^GSPC", ""]), max_size=3)
        | documents,
        "estimation_window": st.lists(st.integers(-300, 20), min_size=0, max_size=3) | documents,
        "event_window": st.lists(st.integers(-20, 20), min_size=0, max_size=3) | documents,
        "car_windows": st.lists(st.lists(st.integers(-12, 12), max_size=3), max_size=3) | documents,
        "min_estimation_returns": st.integers(-5, 400) | scalars,
        "timezone": st.sampled_from([*ZONES, "Eastern"]) | scalars,
        "model": st.sampled_from(["market", "capm"]) | scalars,
    },
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "study": study_like | documents,
        "events": st.lists(event_like | documents, max_size=4) | documents,
        "extra": documents,
    },
)


def check_outcome(call: Any, file: str) -> Study | None:
    """Run ``call``: it returns a Study or raises a one-line ConfigError naming ``file``."""
    try:
        return call()
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text and "\r" not in text, text
        assert text.startswith(f"{file}: "), text
        assert exc.problems and all(isinstance(p, EventStudyError) for p in exc.problems)
        return None


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(raw=documents | shaped)
def test_parse_study_only_raises_config_error(raw: Any) -> None:
    study = check_outcome(lambda: parse_study(raw, "fuzz.yaml"), "fuzz.yaml")
    if study is not None:
        assert study.events and len({e.id for e in study.events}) == len(study.events)


@FUZZ
@given(raw=documents | shaped)
def test_load_study_of_dumped_documents_only_raises_config_error(
    raw: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "events.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    check_outcome(lambda: load_study(path), str(path))


yaml_ish = st.text(alphabet="abcdef019-:[]{},&*!|>'\"#%@` \n\t.<?~", max_size=120)


@FUZZ
@given(content=st.binary(max_size=300) | yaml_ish.map(str.encode))
def test_load_study_of_arbitrary_bytes_only_raises_config_error(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "events.yaml"
    path.write_bytes(content)
    check_outcome(lambda: load_study(path), str(path))


# --------------------------------------------------------------------------- paths


@FUZZ
@given(event_id=st.text(max_size=12) | st.sampled_from(["..", "a/../b", "a-b", "x" * 101]))
def test_an_accepted_id_keeps_output_paths_inside_the_output_folder(event_id: str) -> None:
    raw = {
        "study": {"name": event_id, "securities": ["BABA"]},
        "events": [{"id": event_id, "date": "2024-11-18", "title": "T"}],
    }
    study = check_outcome(lambda: parse_study(raw, "f.yaml"), "f.yaml")
    if study is None:
        return
    out = Path("/srv/outputs")
    folder = out / study.study.name
    figure = folder / study.events[0].id / "car.png"
    assert folder.parent == out and figure.parent.parent == folder  # one component each
    assert not {".", ".."} & {folder.name, figure.parent.name}
    assert len(folder.name.encode()) <= 100 and len(figure.parent.name.encode()) <= 100


@FUZZ
@given(tickers=st.lists(st.text(min_size=1, max_size=10), min_size=2, max_size=2, unique=True))
def test_any_ticker_gets_its_own_cache_file_inside_the_cache(tickers: list[str]) -> None:
    cache = PriceCache("/srv/cache")
    paths = [cache.path(t) for t in tickers]
    for ticker, path in zip(tickers, paths, strict=True):
        assert path.parent == cache.folder
        assert path.name not in {".", ".."} and "/" not in path.name and "\x00" not in path.name
        assert path.name.isascii()
        assert _ticker_from(path.name) == ticker
    assert paths[0] != paths[1]
