"""Engine benchmark: market model + per-pair CAR statistics + cross-sectional tests.

    uv run python benchmarks/bench_engine.py [--sizes 1000 10000 100000] [--sample 200]

Synthetic panels (estimation window 250 days, event window 21 days [-10, +10], about
1% of returns missing). For each size it times

(a) our engine: closed-form market model for all pairs, event-window ARs, the CAR
    over [-1, +1] with its MacKinlay standard error, t and p for every pair, and the
    cs_t, patell_z and bmp_t tests of the all-pairs group;
(a') the per-pair part of (a) alone: the fit, ARs and per-pair CAR statistics;
(b) a per-pair statsmodels OLS loop doing that same per-pair work, timed on a
    subsample and extrapolated (labelled "extrapolated"); the speed-up is (b) / (a');
(c) the PyPI package ``eventstudy`` 0.1a12 (Lemaire), per-pair ``Single`` with
    ``models.market_model`` (statsmodels OLS per pair), timed on a subsample of
    complete pairs (it cannot handle missing returns) and extrapolated. It runs in its
    own virtual environment (``--lemaire-python``; default
    /tmp/es8/lemaire-venv/bin/python, made with
    ``uv venv /tmp/es8/lemaire-venv && VIRTUAL_ENV=/tmp/es8/lemaire-venv uv pip install
    eventstudy==0.1a12``); without it the row says so.

It asserts that (a) equals (b) to 1e-10 on the subsample (coefficients, ARs, CARs,
standard errors) and that the ARs and CARs of (c) equal ours on its subsample (its
variance convention differs: ``var(residuals)`` with ddof 0, no estimation-error term).
Peak memory is measured with tracemalloc in a separate run of (a).
(d) times the GARCH(1,1) fits of ``model: garch`` (``--garch-pairs``), one process and
the process pool, in ms per pair.

``--volume-pairs N`` times instead the volume measure (:mod:`eventstudy.measures.volume`,
mean-adjusted and market volume models, batched like the returns) through the whole
pipeline on a long DataFrame with volumes, for two shapes of N pairs: firm-specific
(N securities, each with its own day 0) and shared-date (N securities, one day 0).
The time of the measure is that of a run with ``measures: [return, volume]`` minus
that of the same run with returns only (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from eventstudy.inference import EventPanel, bmp_t, cs_t, patell_z
from eventstudy.models.engine import car_statistics, fit_pairs

L_EST, L_EVT, PAD, WINDOW = 250, 21, 5, (-1, 1)
REL_DAYS = np.arange(-10, 11)
LEMAIRE = "/tmp/es8/lemaire-venv/bin/python"


def make_panel(n: int, seed: int = 0, missing: float = 0.01) -> dict[str, np.ndarray]:
    """Stacked synthetic returns of ``n`` pairs: estimation (padded) and event windows."""
    rng = np.random.default_rng(seed)
    days = L_EST + 2 * PAD + L_EVT
    market = rng.normal(0.0004, 0.01, (n, days))
    beta = rng.uniform(0.3, 1.7, (n, 1))
    returns = 0.0001 + beta * market + rng.normal(0, 0.02, (n, days))
    returns[:, L_EST + 2 * PAD + 10] += 0.01  # an effect on day 0
    if missing:
        returns[rng.random((n, days)) < missing] = np.nan
    evt = slice(L_EST + 2 * PAD, days)
    return {
        "y_est": returns[:, PAD : PAD + L_EST],
        "m_pad": market[:, : L_EST + 2 * PAD],
        "y_evt": returns[:, evt],
        "m_evt": market[:, evt],
    }


def per_pair(p: dict[str, np.ndarray]) -> tuple[object, np.ndarray, object]:
    """(a) up to the per-pair work that (b) does too: fit, ARs, CAR statistics."""
    fit = fit_pairs("market", p["y_est"], p["m_pad"], None)
    window = (WINDOW[0] <= REL_DAYS) & (WINDOW[1] >= REL_DAYS)
    ar, stats = car_statistics(fit, p["y_evt"], p["m_evt"], window)
    return fit, ar, stats


def engine(p: dict[str, np.ndarray]) -> dict[str, object]:
    """(a): fit, ARs, per-pair CAR statistics and the all-pairs cross-sectional tests."""
    n = len(p["y_est"])
    fit, ar, stats = per_pair(p)
    m_est = p["m_pad"][:, PAD : PAD + L_EST]
    panel = EventPanel(
        ar=ar,
        residuals=p["y_est"] - fit.expected(m_est),
        market_evt=p["m_evt"],
        market_est=m_est,
        returns_evt=p["y_evt"],
        returns_est=p["y_est"],
        sigma=fit.sigma,
        n_est=fit.n_est,
        market_mean=fit.market_mean,
        market_sxx=fit.market_sxx,
        rel_days=REL_DAYS,
        day0=np.zeros(n, dtype="datetime64[D]"),
        est_dates=np.broadcast_to(np.datetime64("2020-01-01", "D"), (n, L_EST)),
        event_id=np.zeros(n, dtype=object),
        ticker=np.zeros(n, dtype=object),
        df=fit.df,
    )
    tests = {t.test: t.statistic for t in (f(panel, WINDOW) for f in (cs_t, patell_z, bmp_t))}
    return {"fit": fit, "ar": ar, "stats": stats, "tests": tests}


def statsmodels_loop(p: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """(b): one statsmodels OLS per pair, then the same per-pair AR/CAR/se."""
    import statsmodels.api as sm

    window = (WINDOW[0] <= REL_DAYS) & (WINDOW[1] >= REL_DAYS)
    out = {k: [] for k in ("coef", "ar", "car", "se")}
    for i in rows:
        x = p["m_pad"][i, PAD : PAD + L_EST]
        y = p["y_est"][i]
        ok = np.isfinite(x) & np.isfinite(y)
        res = sm.OLS(y[ok], sm.add_constant(x[ok], has_constant="add")).fit()
        X_evt = np.column_stack([np.ones(L_EVT), p["m_evt"][i]])
        ar = p["y_evt"][i] - X_evt @ res.params
        days = window & np.isfinite(ar)
        a = X_evt[days].sum(axis=0)
        out["coef"].append(res.params)
        out["ar"].append(ar)
        out["car"].append(ar[days].sum())
        out["se"].append(np.sqrt(res.scale * (days.sum() + a @ res.normalized_cov_params @ a)))
    return {k: np.array(v) for k, v in out.items()}


LEMAIRE_SCRIPT = """
import json, sys, time, numpy as np, warnings
warnings.simplefilter("ignore")
from eventstudy import Single, models
d = np.load(sys.argv[1])
t = time.perf_counter(); ar = []; car = []
for y, m in zip(d["y"], d["m"]):
    ev = Single(models.market_model, {"security_returns": y, "market_returns": m},
                event_window=(-10, 10), estimation_size=250, buffer_size=0)
    ar.append(ev.AR); car.append(ev.CAR)
elapsed = time.perf_counter() - t
np.savez(sys.argv[2], ar=np.array(ar), car=np.array(car))
print(json.dumps({"seconds": elapsed}))
"""


def lemaire(p: dict[str, np.ndarray], rows: np.ndarray, python: str) -> float | str:
    """(c): seconds for ``rows`` with Lemaire's package, or why it could not run."""
    if not Path(python).exists():
        return f"not installed ({python} missing)"
    with tempfile.TemporaryDirectory() as tmp:
        y = np.concatenate([p["y_est"][rows], p["y_evt"][rows]], axis=1)
        m = np.concatenate([p["m_pad"][rows, PAD : PAD + L_EST], p["m_evt"][rows]], axis=1)
        np.savez(f"{tmp}/in.npz", y=y, m=m)
        script = Path(tmp) / "run.py"
        script.write_text(LEMAIRE_SCRIPT)
        proc = subprocess.run(
            [python, str(script), f"{tmp}/in.npz", f"{tmp}/out.npz"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            return f"failed: {proc.stderr.strip().splitlines()[-1]}"
        seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
        theirs = np.load(f"{tmp}/out.npz")
        ours = engine({k: v[rows] for k, v in p.items()})
        np.testing.assert_allclose(theirs["ar"], ours["ar"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(theirs["car"], np.cumsum(ours["ar"], axis=1), rtol=0, atol=1e-10)
    return seconds


def peak_memory(p: dict[str, np.ndarray]) -> float:
    """Peak MB allocated while running (a), inputs excluded (tracemalloc)."""
    tracemalloc.start()
    engine(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--sample", type=int, default=200, help="pairs timed for (b) and (c)")
    parser.add_argument("--repeat", type=int, default=3, help="best of REPEAT runs of (a)")
    parser.add_argument("--lemaire-python", default=LEMAIRE)
    parser.add_argument("--garch-pairs", type=int, default=200, help="pairs timed for (d)")
    parser.add_argument("--volume-pairs", type=int, help="time the volume measure instead")
    args = parser.parse_args()
    if args.volume_pairs:
        volume_timing(args.volume_pairs, args.repeat)
        return

    statsmodels_loop(make_panel(2), np.arange(2))  # warm-up: imports statsmodels
    rows_out = []
    for n in args.sizes:
        panel = make_panel(n)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            ours = engine(panel)
            times.append(time.perf_counter() - t)
        ours_s = min(times)
        like = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            per_pair(panel)
            like.append(time.perf_counter() - t)
        like_s = min(like)
        mem = peak_memory(panel)
        sample = np.arange(min(args.sample, n))
        t = time.perf_counter()
        ref = statsmodels_loop(panel, sample)
        sm_s = (time.perf_counter() - t) * n / len(sample)
        fit, stats = ours["fit"], ours["stats"]
        np.testing.assert_allclose(fit.coef[sample], ref["coef"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours["ar"][sample], ref["ar"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(stats.car[sample], ref["car"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(stats.se[sample], ref["se"], rtol=1e-10)
        complete = make_panel(len(sample), seed=1, missing=0.0)
        lem = lemaire(complete, np.arange(len(sample)), args.lemaire_python)
        lem_s = lem * n / len(sample) if isinstance(lem, float) else lem
        rows_out.append((n, ours_s, like_s, mem, sm_s, lem_s, ours["tests"]))
        print(f"done {n:,} pairs", file=sys.stderr, flush=True)

    print(
        f"\nEstimation window {L_EST}, event window {L_EVT}; CAR{list(WINDOW)}; "
        f"(b) and (c) timed on {args.sample} pairs and extrapolated.\n"
    )
    head = (
        "| pairs | engine (a) s | pairs/s | peak MB | (a) per-pair part s "
        "| statsmodels loop (b) s, extrapolated | speed-up, same work "
        "| eventstudy 0.1a12 (c) s, extrapolated |"
    )
    print(head)
    print("|" + "---|" * 8)
    for n, ours_s, like_s, mem, sm_s, lem_s, _ in rows_out:
        lem_text = f"{lem_s:,.1f}" if isinstance(lem_s, float) else lem_s
        print(
            f"| {n:,} | {ours_s:.3f} | {n / ours_s:,.0f} | {mem:,.0f} | {like_s:.3f} "
            f"| {sm_s:,.1f} | {sm_s / like_s:,.0f}x | {lem_text} |"
        )
    print(
        "\n(a) is the fit, ARs, per-pair CAR statistics and the all-pairs cs_t, patell_z and "
        "bmp_t; its per-pair part is the same work as (b), and the speed-up compares those "
        f"two; {os.cpu_count()} CPUs."
    )
    n, *_, tests = rows_out[-1]
    print(
        f"\nall-pairs tests at {n:,} pairs: " + ", ".join(f"{k}={v:.3f}" for k, v in tests.items())
    )
    print("engine == statsmodels loop to 1e-10 on the subsample: OK")
    garch_cost(args.garch_pairs)


def garch_cost(n: int) -> None:
    """(d) ``model: garch``: per-pair cost of the GARCH(1,1) fits, serial and in the pool."""
    from eventstudy.models.garch import fit_garch

    panel = make_panel(n, seed=2)
    y, m = panel["y_est"], panel["m_pad"][:, PAD : PAD + L_EST]
    t = time.perf_counter()
    serial = fit_garch(y, m, L_EVT, workers=1)
    serial_s = time.perf_counter() - t
    t = time.perf_counter()
    pooled = fit_garch(y, m, L_EVT)
    pool_s = time.perf_counter() - t
    np.testing.assert_allclose(pooled.forecast_var, serial.forecast_var, rtol=1e-12)
    print(
        f"\n(d) GARCH(1,1) market model (arch), {n} pairs: serial {1e3 * serial_s / n:.1f} ms "
        f"per pair, process pool ({os.cpu_count()} CPUs) {1e3 * pool_s / n:.1f} ms per pair "
        "(pool start-up included); pool == serial: OK"
    )


def _volume_study(n: int, shared: bool) -> tuple[object, object]:
    """A study of ``n`` securities (one or ``n`` day 0s) and its long price frame."""
    import pandas as pd

    from eventstudy.sessions.calendar import sessions
    from eventstudy.study import parse_study

    days = sessions("XNYS")
    days = days[(days >= "2019-01-02") & (days <= "2025-06-30")]
    rng = np.random.default_rng(3)
    tickers = [f"S{i:05d}" for i in range(n)]
    market = rng.normal(0.0004, 0.01, len(days))
    rets = 0.0002 + market[:, None] + rng.normal(0, 0.02, (len(days), n))
    prices = np.vstack([400 * np.cumprod(1 + market), *(50 * np.cumprod(1 + rets, axis=0)).T])
    volume = np.exp(rng.normal(13, 0.5, prices.shape)).round()
    names = ["SPY", *tickers]
    frame = pd.DataFrame(
        {
            "date": np.tile(days, len(names)),
            "ticker": np.repeat(names, len(days)),
            "adj_close": prices.ravel(),
            "volume": volume.ravel(),
        }
    )
    day0 = days[(days >= "2021-01-04") & (days <= "2025-03-31")]
    events = [
        {"id": f"e{i}", "date": str(day0[0 if shared else i % len(day0)].date()), "title": "E",
         "securities": [t]}
        for i, t in enumerate(tickers)
    ]  # fmt: skip
    base = {"name": "bench", "benchmark": "SPY", "securities": tickers[:1]}
    return (lambda **k: parse_study({"study": base | k, "events": events})), frame


def volume_timing(n: int, repeat: int) -> None:
    """Print the time of the volume measure for the two shapes of ``n`` pairs."""
    from eventstudy.study import run_study

    print("| shape | pairs | volume model | returns only (s) | + volume (s) | volume (s) |")
    print("|---|---|---|---|---|---|")
    for shared in (False, True):
        make, frame = _volume_study(n, shared)
        for model in ("mean-adjusted", "market"):
            best = []
            for measures in (["return"], ["return", "volume"]):
                study = make(measures=measures, volume_model=model)
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    run_study(study, prices=frame, tests="none")
                    times.append(time.perf_counter() - start)
                best.append(min(times))
            shape = "shared-date" if shared else "firm-specific"
            print(
                f"| {shape} | {n:,} | {model} | {best[0]:.2f} | {best[1]:.2f} "
                f"| {best[1] - best[0]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
