"""The Dask pipeline (issue 17) on a real loopback cluster against the local engine.

A scheduler and two workers run as separate ``dask`` processes on 127.0.0.1
(:class:`eventstudy.distributed.local.ProcessCluster`, torn down even on failure). A
firm-specific study (30 securities x 10 own-date events, from an events table) reads
its prices from a Parquet dataset partitioned by ticker; every table of the Dask run
must equal the local run's: car, abnormal_returns, models and skipped byte for byte,
tests.csv to 1e-9.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.core.errors import EventStudyError
from eventstudy.distributed.combine import check_gather, needs_of
from eventstudy.distributed.events import EventColumns
from eventstudy.distributed.plan import plan_partitions
from eventstudy.pipeline.study_tests import check_test_names
from eventstudy.study import load_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import market_prices  # the benchmarks' price generator

N_SEC, N_EV, N_DAYS = 30, 10, 900
EXACT = ("car.csv", "abnormal_returns.csv", "models.csv", "skipped.csv")
NAME = "events"  # the events table's file name is the study name


def make_study(folder: Path, bad_ticker: str | None = None) -> tuple[Path, Path]:
    """``events.csv`` (30 x 10 firm-specific events) and ``prices/`` (hive, by ticker).

    S003 has a 300-session gap (some of its pairs are skipped); ``bad_ticker`` gets a
    negative price inside its windows (its partition fails for data reasons).
    """
    rng = np.random.default_rng(11)
    prices = market_prices(rng, N_SEC, N_DAYS, "2019-01-02", 3)
    days, tickers = prices.index, list(prices.columns[:-1])
    prices.iloc[100:400, 3] = np.nan
    if bad_ticker is not None:
        prices.loc[prices.index[600], bad_ticker] = -1.0
    long = prices.reset_index().melt("date", var_name="ticker", value_name="adj_close").dropna()
    long["date"] = long["date"].dt.date
    pq.write_to_dataset(
        pa.Table.from_pandas(long, preserve_index=False), folder / "prices", ["ticker"]
    )
    rows = []
    for i, ticker in enumerate(tickers):
        for day in sorted(rng.choice(days[300:-30], N_EV, replace=False)):
            when = pd.Timestamp(day)
            rows.append(
                {
                    "id": f"{ticker.lower()}-{when:%Y%m%d}",
                    "ticker": ticker,
                    "date": f"{when:%Y-%m-%d}",
                    "category": "even" if i % 2 == 0 else "odd",
                }
            )
    pd.DataFrame(rows).to_csv(folder / "events.csv", index=False)
    return folder / "events.csv", folder / "prices"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A real scheduler and two worker processes on loopback, for this module."""
    pytest.importorskip("distributed")
    from eventstudy.distributed.local import ProcessCluster

    with ProcessCluster(2, memory_limit="2GB", cwd=tmp_path_factory.mktemp("dask")) as procs:
        yield procs


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    return make_study(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def local_out(data, tmp_path_factory) -> Path:
    """The local engine's outputs of the study (every test)."""
    events, prices = data
    out = tmp_path_factory.mktemp("local")
    result = CliRunner().invoke(app, [*_args(events, prices, out), "--engine", "local"])
    assert result.exit_code == 0, result.output
    return out / NAME


def _args(events: Path, prices: Path, out: Path) -> list[str]:
    return [
        "run", str(events), "--benchmark", "SPY", "--source", "parquet", "--prices",
        str(prices), "--out", str(out), "--no-plots", "--quiet", "--tests", "all",
    ]  # fmt: skip


def _assert_same_outputs(local: Path, remote: Path) -> None:
    for name in EXACT:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    pd.testing.assert_frame_equal(
        pd.read_csv(remote / "tests.csv"), pd.read_csv(local / "tests.csv"), rtol=1e-9, atol=0
    )


def test_cli_dask_equals_local(cluster, data, local_out, tmp_path) -> None:
    events, prices = data
    folder = tmp_path / NAME
    first = str(pd.read_csv(events)["id"].iloc[0])
    earlier = [folder / "report.html", folder / "caar.png", folder / first / "car.png"]
    for path in earlier:  # a local run's figures and report: this run does not redraw them
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old")
    args = [*_args(events, prices, tmp_path), "--engine", "dask", "--scheduler", cluster.address]
    result = CliRunner().invoke(app, [*args, "--partition-pairs", "40"])
    assert result.exit_code == 0, result.output
    assert not any(path.exists() for path in earlier)
    assert not (folder / first).exists()
    _assert_same_outputs(local_out, folder)
    parts = sorted(p.name for p in (folder / "car").iterdir())
    assert parts == [f"part-{k:05d}.parquet" for k in range(8)]  # 300 pairs / 40, by security
    assert len(pd.read_parquet(folder / "abnormal_returns")) == len(
        pd.read_csv(local_out / "abnormal_returns.csv")
    )
    manifest = (folder / "manifest.json").read_text()
    assert '"partitions": 8' in manifest
    tests_from = json.loads(manifest)["engine"]["tests_from"]
    assert tests_from["cs_t"] == "pieces" and tests_from["kp_bmp_t"] == "two rounds of pieces"
    assert tests_from["bootstrap"] == "two rounds of pieces"  # no test gathers residuals
    assert tests_from["binder_f"] == "gathered per-pair columns"  # its returns (a small study)
    remote, local = json.loads(manifest), json.loads((local_out / "manifest.json").read_text())
    assert len(remote["config"]["events"]) == 300  # written one by one (over LONG_LIST)
    assert remote["config"] == local["config"] and remote["events_run"] == local["events_run"]
    tests = pd.read_csv(folder / "tests.csv")
    assert {"all", "category:even", "ticker:S000"} <= set(tests["group"])
    assert set(tests["test"]) >= {"cs_t", "kp_bmp_t", "corrado_rank_z", "bootstrap", "binder_f"}


def _client(address: str):
    from distributed import Client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Client(address, timeout="20s")


def test_library_result_reads_datasets_lazily(cluster, data, local_out, tmp_path) -> None:
    from eventstudy.distributed import DaskStudyResult

    events, prices = data
    study = load_study(events, benchmark="SPY")
    with _client(cluster.address) as client:
        result = study.run(
            engine="dask", client=client, source="parquet", prices=prices, tests="cs_t",
            out=tmp_path, partition_pairs=100,
        )  # fmt: skip
    assert isinstance(result, DaskStudyResult)
    assert result.partitions == 3
    local_car = pd.read_csv(local_out / "car.csv")
    assert result.dataset("car").count_rows() == result.rows["car"] == len(local_car)
    assert "car" not in result._cache  # nothing read until asked for
    text = result.car.to_csv(index=False, lineterminator="\n")
    assert text == (local_out / "car.csv").read_text()  # the frame is the local one
    assert not (tmp_path / NAME / "manifest.json").exists()  # the run is complete once saved
    written = result.save()
    assert (tmp_path / NAME / "manifest.json").exists() and "tests" in written


def test_worker_killed_mid_run_gives_identical_results(cluster, data, local_out, tmp_path) -> None:
    """A third worker joins, takes tasks, and is killed (SIGKILL) while the run goes on."""
    events, prices = data
    folder = tmp_path / NAME
    extra = len(cluster.workers)
    cluster.start_worker()
    cluster.wait_for_workers(3)
    args = [*_args(events, prices, tmp_path), "--engine", "dask", "--scheduler", cluster.address]
    outcome: dict[str, object] = {}
    run = threading.Thread(
        target=lambda: outcome.update(
            result=CliRunner().invoke(app, [*args, "--partition-pairs", "10"])
        )
    )
    run.start()
    try:
        deadline = time.monotonic() + 60
        while not list((folder / "car").glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        written_before = len(list((folder / "car").glob("part-*.parquet")))
        cluster.kill_worker(extra)  # 30 partitions: most are still to run
    finally:
        run.join(timeout=120)
    assert not run.is_alive()
    assert 0 < written_before < 30
    result = outcome["result"]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    _assert_same_outputs(local_out, folder)
    assert len(list((folder / "car").glob("part-*.parquet"))) == 30
    assert not list((folder / "car").glob(".*"))  # no temp file left behind


def test_partition_with_bad_prices_is_skipped(cluster, local_out, tmp_path) -> None:
    events, prices = make_study(tmp_path, bad_ticker="S005")
    args = [*_args(events, prices, tmp_path / "out"), "--engine", "dask"]
    result = CliRunner().invoke(
        app, [*args, "--scheduler", cluster.address, "--partition-pairs", "20", "--tests", "cs_t"]
    )
    assert result.exit_code == 0, result.output
    skipped = pd.read_csv(tmp_path / "out" / NAME / "skipped.csv")
    failed = skipped[skipped["reason"].str.startswith("partition 00002 failed: ")]
    assert sorted(set(failed["ticker"])) == ["S004", "S005"]  # 20 pairs: S004 and S005
    assert len(failed) == 20
    assert "not positive" in failed["reason"].iloc[0] or "price" in failed["reason"].iloc[0]
    models = pd.read_csv(tmp_path / "out" / NAME / "models.csv")
    assert not set(models["ticker"]) & {"S004", "S005"}
    assert len(models) == len(pd.read_csv(local_out / "models.csv")) - 20


def test_dask_refuses_what_it_does_not_run(data, tmp_path) -> None:
    events, prices = data
    args = [*_args(events, prices, tmp_path), "--engine", "dask", "--bhar", "0,100"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "engine 'dask' does not run long-horizon windows" in result.output


def test_plan_keeps_a_security_in_one_partition(data) -> None:
    events, _ = data
    study = load_study(events, benchmark="SPY")
    events = EventColumns.of_events(study, study.events)
    plan = plan_partitions(study, events, None, partition_pairs=25)
    assert plan.n_pairs == 300 and plan.width == 1
    owners: dict[str, int] = {}
    for part in plan.partitions:
        for ticker in part.tickers:
            assert ticker not in owners
            owners[ticker] = part.number
        assert part.n_pairs == 10 * len(part.tickers) >= 25 or part is plan.partitions[-1]
        assert {e.securities[0] for e in events.events(part.rows)} == set(part.tickers)
    assert len(owners) == 30 and len(plan.partitions) == 10  # 3 securities (30 pairs) each


def test_gather_limit_names_the_tests_and_counts_the_numbers() -> None:
    check_gather(("cs_t", "bmp_t"), 10**7, 240)  # event-window tests gather no residuals
    check_gather(PIECE_TESTS.split(","), 10**7, 240)  # nor the daily-sum tests
    check_gather(("binder_f",), 200_000, 240)  # 96,000,000 numbers: within the limit
    with pytest.raises(EventStudyError) as raised:
        check_gather(("cs_t", "binder_f", "bootstrap"), 200_000, 240)
    assert str(raised.value).startswith(
        "field '--tests': tests binder_f, bootstrap need every pair's estimation-window "
        "inputs on the driver (200,000 pairs x 240 days x 3 fields = 144,000,000 numbers, over the "
        "100,000,000 a run may gather)"
    )
    assert "--tests combinable (the default tests but binder_f)" in str(raised.value)
    with pytest.raises(EventStudyError, match=r"x 1 field = 120,000,000 numbers"):
        check_gather(("kp_bmp_t",), 500_000, 240)  # gathered (not in two rounds): 1 field


def test_combinable_is_the_default_tests_that_gather_nothing() -> None:
    from eventstudy.inference import DEFAULT_TESTS

    combinable = check_test_names("combinable")
    assert combinable == tuple(t for t in DEFAULT_TESTS if t != "binder_f")
    needs = needs_of(combinable, [(0, 1)], rounds=True)
    assert needs.gathered == ()
    assert needs.rounds == ("kp_patell_z", "kp_bmp_t", "grank_t", "bootstrap")
    assert needs.fields() == ("ticker_code", "day0", "car")  # no panel column to the driver
    check_gather(needs.gathered, 10**7, 240)  # so no study is too large for it
    assert check_test_names(["combinable", "binder_f"]) == (*combinable, "binder_f")
    # without two rounds (their pieces would be too many) the residuals are gathered
    assert needs_of(combinable, [(0, 1)]).inputs == {"residuals"}


def test_default_tests_on_dask_leave_binder_out_past_the_gather_limit(
    cluster, data, tmp_path, monkeypatch
) -> None:
    """The default tests where binder_f's returns would not fit the driver (the limit
    lowered to 100,000 numbers): the run exits 0 and warns naming binder_f, the manifest
    records why, and every other default test (the KP tests from two rounds of pieces)
    equals the local engine's to 1e-9; binder_f named in --tests runs up to the gather
    limit and is refused past it (exit 2)."""
    from eventstudy.distributed import combine
    from eventstudy.inference import DEFAULT_TESTS

    events, prices = data
    rest = ",".join(t for t in DEFAULT_TESTS if t != "binder_f")
    base = [
        "run", str(events), "--benchmark", "SPY", "--source", "parquet", "--prices",
        str(prices), "--no-plots",
    ]  # fmt: skip
    local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local"), "--tests", rest])
    assert local.exit_code == 0, local.output
    monkeypatch.setattr(combine, "DEFAULT_GATHER_CELLS", 100_000)
    remote = [*base, "--engine", "dask", "--scheduler", cluster.address, "--partition-pairs", "40"]
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # shown by the CLI as "warning: ..." on stderr
        result = CliRunner().invoke(app, [*remote, "--out", str(tmp_path / "dask")])
    assert result.exit_code == 0, result.output
    reason = (
        "left out of the default tests on --engine dask: its system fit needs every pair's "
        "estimation-window returns on the driver (300 pairs x 240 days x 2 fields = "
        "144,000 numbers, over the 100,000 the default tests may gather); name it in "
        "--tests to run it anyway (up to 100,000,000 numbers) or use --engine local"
    )
    assert f"warning: binder_f {reason}\n" in result.output
    manifest = json.loads((tmp_path / "dask" / NAME / "manifest.json").read_text())
    assert manifest["engine"]["tests_from"]["binder_f"] == reason
    assert manifest["engine"]["tests_from"]["kp_patell_z"] == "two rounds of pieces"
    got = pd.read_csv(tmp_path / "dask" / NAME / "tests.csv")
    expected = pd.read_csv(tmp_path / "local" / NAME / "tests.csv")
    assert {"kp_patell_z", "kp_bmp_t"} <= set(got["test"]) and "binder_f" not in set(got["test"])
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=0)
    named = [*remote, "--out", str(tmp_path / "named"), "--tests", "cs_t,binder_f"]
    result = CliRunner().invoke(app, named)
    assert result.exit_code == 0, result.output
    assert "binder_f" in set(pd.read_csv(tmp_path / "named" / NAME / "tests.csv")["test"])
    monkeypatch.setattr(combine, "GATHER_CELLS", 100_000)
    named = CliRunner().invoke(app, named)
    assert named.exit_code == 2
    assert "tests binder_f need every pair's estimation-window inputs" in named.output


def _part(order: list[int], k: int, l2: int = 3) -> dict[str, np.ndarray]:
    n = len(order)
    rng = np.random.default_rng(k)
    return {
        "ar": rng.normal(size=(n, l2)),
        "market_evt": rng.normal(size=(n, l2)),
        "design_evt": rng.normal(size=(n, l2, k)),
        "xtx_inv": rng.normal(size=(n, k, k)),
        "sigma": rng.uniform(0.01, 0.02, n),
        "n_est": np.full(n, 100),
        "df": np.full(n, 100 - k),
        "day0": np.array(["2024-01-02"] * n, dtype="M8[D]"),
        "ticker_code": np.zeros(n, dtype=np.int64),
        "order": np.array(order, dtype=np.int64),
    }


def test_column_stack_sorts_and_pads_mixed_designs() -> None:
    """Parts arrive in any order and with designs of different widths (mixed models)."""
    from eventstudy.distributed.combine import ColumnStack, panel_of

    narrow, wide = _part([3, 0], k=1), _part([1, 2], k=2)
    stack = ColumnStack(capacity=6)
    stack.add(narrow)
    stack.add(None)
    stack.add(wide)
    columns = stack.take()
    assert list(columns["order"]) == [0, 1, 2, 3]
    ids = np.array([f"e{i}" for i in range(4)], dtype=object)
    panel = panel_of(columns, ids, np.array(["T"] * 4, dtype=object), np.arange(-1, 2), 5)
    assert panel.n_pairs == 4
    np.testing.assert_array_equal(
        panel.ar, np.concatenate([narrow["ar"], wide["ar"]])[[1, 2, 3, 0]]
    )
    assert panel.xtx_inv.shape == (4, 2, 2) and panel.design_evt.shape == (4, 3, 2)
    np.testing.assert_array_equal(panel.xtx_inv[0], [[narrow["xtx_inv"][1, 0, 0], 0], [0, 0]])
    np.testing.assert_array_equal(panel.design_evt[3, :, 1], 0.0)
    np.testing.assert_array_equal(panel.xtx_inv[1], wide["xtx_inv"][0])
    assert panel.residuals.shape == (4, 5) and np.isnan(panel.residuals).all()  # not gathered


PIECE_TESTS = (  # in the order of --tests all
    "cs_t,cda_t,patell_z,bmp_t,mackinlay_j1,mackinlay_j2,corrado_rank_z,"
    "corrado_zivney_rank_z,gen_sign_z,wilcoxon,bmp_t_csar,corrado_zivney_sign_z"
)


def make_shared_study(folder: Path) -> Path:
    """``shared.csv``: 40 events naming 3 of 12 securities each, in 3 categories."""
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2020-03-02", periods=400)
    tickers = [f"S{k:03d}" for k in range(12)]
    rows = [
        {
            "id": f"news-{k:02d}",
            "date": f"{days[int(rng.integers(0, 400))]:%Y-%m-%d}",
            "securities": ";".join(sorted(rng.choice(tickers, 3, replace=False))),
            "category": ["policy", "earnings", "macro"][k % 3],
        }
        for k in range(40)
    ]
    pd.DataFrame(rows).to_csv(folder / "shared.csv", index=False)
    return folder / "shared.csv"


def test_groups_across_partitions_from_pieces(cluster, data, tmp_path) -> None:
    """event: and category: groups of securities in different partitions: tests.csv from
    the pieces (and, with every test, the gathered panel) equals the local one to 1e-9;
    with the piece tests alone (the Corrado-family and CDA tests among them) no
    event-window column and no estimation-window residual reaches the driver."""
    _, prices = data
    events = make_shared_study(tmp_path)
    base = [
        "run", str(events), "--benchmark", "SPY", "--source", "parquet", "--prices",
        str(prices), "--no-plots", "--quiet",
    ]  # fmt: skip
    local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local"), "--tests", "all"])
    assert local.exit_code == 0, local.output
    expected = pd.read_csv(tmp_path / "local" / "shared" / "tests.csv")
    assert expected["group"].str.startswith("event:").sum() > 0
    study = load_study(events, benchmark="SPY")
    with _client(cluster.address) as client:
        result = study.run(
            engine="dask", client=client, source="parquet", prices=prices, tests=PIECE_TESTS,
            out=tmp_path / "pieces", partition_pairs=10,
        )  # fmt: skip
        assert result.partitions == 10  # about a security each: every event spans several
        assert set(result.inputs.columns) == {"order", "ticker_code", "day0", "car"}
        assert "residuals" not in needs_of(PIECE_TESTS.split(",")).fields()
        result.save()
    chosen = expected[expected["test"].isin(PIECE_TESTS.split(","))]
    chosen = pd.read_csv(io.StringIO(chosen.to_csv(index=False)))  # the column types of a file
    got = pd.read_csv(tmp_path / "pieces" / "shared" / "tests.csv")
    pd.testing.assert_frame_equal(got, chosen, rtol=1e-9, atol=0)
    args = [*base, "--out", str(tmp_path / "dask"), "--tests", "all", "--engine", "dask"]
    remote = CliRunner().invoke(
        app, [*args, "--scheduler", cluster.address, "--partition-pairs", "10"]
    )
    assert remote.exit_code == 0, remote.output
    got = pd.read_csv(tmp_path / "dask" / "shared" / "tests.csv")
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=0)


def test_two_round_tests_equal_local(cluster, data, tmp_path, monkeypatch) -> None:
    """grank_t, bootstrap and the KP tests from two rounds of pieces (sd(SCAR), the
    pooled days and draws, the missing-day patterns first; then rank sums, replicate
    moments and r-bar sums) equal the local engine's to 1e-9,
    for firm-specific pairs and for events spanning partitions, without any residual
    reaching the driver; with the second round's numbers over the cap the residuals are
    gathered instead, with the same table."""
    from eventstudy.distributed import rbar

    events, prices = data
    shared = make_shared_study(tmp_path)
    combinable = check_test_names("combinable")
    assert {"grank_t", "bootstrap"} <= set(combinable)
    for path, name in ((events, NAME), (shared, "shared")):
        study = load_study(path, benchmark="SPY")
        local = study.run(source="parquet", prices=prices, tests=combinable)
        expected = local.tests()
        with _client(cluster.address) as client:
            result = study.run(
                engine="dask", client=client, source="parquet", prices=prices,
                tests=combinable, out=tmp_path / f"two-{name}", partition_pairs=10,
            )  # fmt: skip
            assert result.inputs.rounds == ("kp_patell_z", "kp_bmp_t", "grank_t", "bootstrap")
            assert "residuals" not in result.inputs.columns
            sources = result.test_sources
            assert sources["grank_t"] == sources["bootstrap"] == "two rounds of pieces"
            assert sources["kp_patell_z"] == sources["kp_bmp_t"] == "two rounds of pieces"
            assert sources["cs_t"] == "pieces" and sources["wilcoxon"] == "gathered CARs"
            got = result.tests()
            pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=0)
            assert (got["test"] == "bootstrap").any() and got["p_value"].notna().all()
            monkeypatch.setattr(rbar, "ROUND_CELLS", 0)
            gathered = study.run(
                engine="dask", client=client, source="parquet", prices=prices,
                tests=combinable, out=tmp_path / f"gathered-{name}", partition_pairs=10,
            )  # fmt: skip
            monkeypatch.undo()
            assert gathered.inputs.rounds == () and "residuals" in gathered.inputs.columns
            assert gathered.test_sources["bootstrap"] == "gathered per-pair columns"
            pd.testing.assert_frame_equal(gathered.tests(), expected, rtol=1e-9, atol=0)


def test_worker_killed_between_the_rounds(cluster, data, tmp_path, monkeypatch) -> None:
    """A worker holding first-round outcomes is killed before the second round: Dask runs
    those partitions again where the others are, and the tests are unchanged."""
    from eventstudy.distributed import run as dask_run

    events, prices = data
    study = load_study(events, benchmark="SPY")
    tests = ("cs_t", "grank_t", "bootstrap")
    expected = study.run(source="parquet", prices=prices, tests=tests).tests()
    live = sum(w.poll() is None for w in cluster.workers)
    cluster.start_worker()  # the cluster keeps its number of workers
    cluster.wait_for_workers(live + 1)
    first_round = dask_run.second_round
    held: dict[str, int] = {}

    def kill_first(client, kept, *args):
        holders = [h for hs in client.who_has(kept).values() for h in hs]
        victim = max(set(holders), key=holders.count)  # the worker holding the most
        pid = client.run(os.getpid)[victim]
        held["futures"] = holders.count(victim)
        cluster.kill_worker(next(k for k, w in enumerate(cluster.workers) if w.pid == pid))
        return first_round(client, kept, *args)

    monkeypatch.setattr(dask_run, "second_round", kill_first)
    with _client(cluster.address) as client:
        result = study.run(
            engine="dask", client=client, source="parquet", prices=prices, tests=tests,
            out=tmp_path / "killed", partition_pairs=10,
        )  # fmt: skip
        got = result.tests()
    assert held["futures"] > 0  # the killed worker held some partitions' kept arrays
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=0)
    assert len(list((tmp_path / "killed" / NAME / "car").glob("part-*.parquet"))) == 30


def test_a_price_file_that_is_not_parquet_is_refused_before_any_cluster_starts(
    data, tmp_path, monkeypatch
) -> None:
    """A CSV named ``.parquet``: one line, exit 2, and no cluster started (nor its tasks)."""
    events, _ = data
    fake = tmp_path / "prices.parquet"
    fake.write_text("date,ticker,adj_close\n2024-01-02,AAA,1.0\n", encoding="utf-8")

    def no_cluster(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cluster was started for prices that are not Parquet")

    monkeypatch.setattr("eventstudy.models.engine.connect", no_cluster)
    result = CliRunner().invoke(app, [*_args(events, fake, tmp_path / "out"), "--engine", "dask"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: {fake}: not a readable Parquet dataset: "
    ), result.stderr
    assert "Parquet magic bytes not found" in lines[0]


def test_a_dask_run_that_estimates_no_pair_raises_in_python_and_warns_on_skips(
    cluster, data, tmp_path
) -> None:
    """As a local run: NoPairsError naming the reasons; some pairs skipped warn."""
    from eventstudy.core.errors import NoPairsError, SkippedPairsWarning

    events, prices = data
    with _client(cluster.address) as client:
        with pytest.warns(SkippedPairsWarning, match=r"^\d+ of 300 \(event, security\) pairs "):
            load_study(events, benchmark="SPY").run(
                engine="dask", client=client, source="parquet", prices=prices, tests="none",
                out=tmp_path / "some",
            )  # fmt: skip
        with pytest.raises(NoPairsError) as info:
            load_study(events, benchmark="QQQ").run(
                engine="dask", client=client, source="parquet", prices=prices, tests="none",
                out=tmp_path / "none",
            )  # fmt: skip
    assert str(info.value).startswith(
        f"{events}: no (event, security) pair could be estimated ("
    ) and "QQQ" in str(info.value)
