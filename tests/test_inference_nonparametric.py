"""Rank and sign tests against plain-loop transcriptions, scipy and hand-worked examples."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import (
    corrado_rank_z,
    corrado_zivney_rank_z,
    corrado_zivney_sign_z,
    gen_sign_z,
    grank_t,
    wilcoxon,
)
from tests.test_inference_panel import hand_panel, loop_car, make_panel

WINDOWS = [(0, 0), (-1, 1), (-3, 3), (2, 3)]
TOL = {"rel": 1e-10, "abs": 1e-12}


def rank_of(values, v):
    """Average rank of v among values (1-based)."""
    less = sum(1 for x in values if x < v)
    equal = sum(1 for x in values if x == v)
    return less + (equal + 1) / 2


def _combined_rows(panel, pairs):
    """Per pair: the estimation residuals then the event-window ARs (None = missing)."""
    rows = []
    for i in pairs:
        row = [float(x) if np.isfinite(x) else None for x in panel.residuals[i]]
        row += [float(x) if np.isfinite(x) else None for x in panel.ar[i]]
        rows.append(row)
    return rows


def _window_cols(panel, window):
    l1 = panel.residuals.shape[1]
    return [l1 + t for t, d in enumerate(panel.rel_days) if window[0] <= d <= window[1]]


def _pairs_with_car(panel, window):
    car, _ = loop_car(panel, window)
    return [i for i in range(panel.n_pairs) if np.isfinite(car[i])], car


def ref_time_series_z(scores, window_cols, weight):
    """scores[i][t] or None; D_t, S and the cumulated Z (the Corrado family)."""
    n_days = len(scores[0])
    d = {}
    for t in range(n_days):
        vals = [row[t] for row in scores if row[t] is not None]
        if vals:
            d[t] = sum(vals) / (len(vals) if weight == "mean" else math.sqrt(len(vals)))
    s = math.sqrt(sum(v * v for v in d.values()) / len(d))
    in_w = [t for t in window_cols if t in d]
    return sum(d[t] for t in in_w) / (math.sqrt(len(in_w)) * s)


def ref_corrado(panel, window):
    pairs, _ = _pairs_with_car(panel, window)
    scores = []
    for row in _combined_rows(panel, pairs):
        valid = [x for x in row if x is not None]
        k_bar = (len(valid) + 1) / 2
        scores.append([None if x is None else rank_of(valid, x) - k_bar for x in row])
    return ref_time_series_z(scores, _window_cols(panel, window), "mean")


def ref_corrado_zivney(panel, window):
    pairs, _ = _pairs_with_car(panel, window)
    scores = []
    for row in _combined_rows(panel, pairs):
        valid = [x for x in row if x is not None]
        scores.append(
            [None if x is None else rank_of(valid, x) / (len(valid) + 1) - 0.5 for x in row]
        )
    return ref_time_series_z(scores, _window_cols(panel, window), "sqrt")


def ref_cz_sign(panel, window):
    pairs, _ = _pairs_with_car(panel, window)
    scores = []
    for row in _combined_rows(panel, pairs):
        med = statistics.median([x for x in row if x is not None])
        scores.append([None if x is None else float(np.sign(x - med)) for x in row])
    return ref_time_series_z(scores, _window_cols(panel, window), "sqrt")


def ref_gen_sign(panel, window):
    pairs, car = _pairs_with_car(panel, window)
    fractions = []
    for i in pairs:
        valid = [x for x in panel.residuals[i] if np.isfinite(x)]
        fractions.append(sum(1 for x in valid if x > 0) / len(valid))
    p = sum(fractions) / len(fractions)
    n = len(pairs)
    wins = sum(1 for i in pairs if car[i] > 0)
    return (wins - n * p) / math.sqrt(n * p * (1 - p))


def ref_wilcoxon(panel, window):
    pairs, car = _pairs_with_car(panel, window)
    d = [car[i] for i in pairs if car[i] != 0]
    n = len(d)
    absd = [abs(x) for x in d]
    w_plus = sum(rank_of(absd, abs(x)) for x in d if x > 0)
    ties = [absd.count(v) for v in set(absd)]
    var = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in ties) / 48
    return (w_plus - n * (n + 1) / 4) / math.sqrt(var)


def ref_grank(panel, window):
    pairs, car = _pairs_with_car(panel, window)
    _, var = loop_car(panel, window)
    scar = [car[i] / math.sqrt(var[i]) for i in pairs]
    mean = sum(scar) / len(scar)
    sd = math.sqrt(sum((x - mean) ** 2 for x in scar) / (len(scar) - 1))
    rows = []
    for k, i in enumerate(pairs):
        row = [float(e / panel.sigma[i]) if np.isfinite(e) else None for e in panel.residuals[i]]
        row.append(scar[k] / sd)
        valid = [x for x in row if x is not None]
        rows.append(
            [None if x is None else rank_of(valid, x) / (len(valid) + 1) - 0.5 for x in row]
        )
    n = len(rows)
    terms, u_bar = [], {}
    for t in range(len(rows[0])):
        vals = [row[t] for row in rows if row[t] is not None]
        if vals:
            u_bar[t] = sum(vals) / len(vals)
            terms.append(len(vals) / n * u_bar[t] ** 2)
    big_t = len(terms)
    z = u_bar[len(rows[0]) - 1] / math.sqrt(sum(terms) / big_t)
    return z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)), big_t - 2


@pytest.fixture(scope="module")
def panel():
    return make_panel(21, missing=0.06)


@pytest.mark.parametrize("window", WINDOWS)
def test_against_loop_transcriptions(panel, window):
    assert corrado_rank_z(panel, window).statistic == pytest.approx(
        ref_corrado(panel, window), **TOL
    )
    assert corrado_zivney_rank_z(panel, window).statistic == pytest.approx(
        ref_corrado_zivney(panel, window), **TOL
    )
    assert corrado_zivney_sign_z(panel, window).statistic == pytest.approx(
        ref_cz_sign(panel, window), **TOL
    )
    assert gen_sign_z(panel, window).statistic == pytest.approx(ref_gen_sign(panel, window), **TOL)
    assert wilcoxon(panel, window).statistic == pytest.approx(ref_wilcoxon(panel, window), **TOL)
    r = grank_t(panel, window)
    t, df = ref_grank(panel, window)
    assert r.statistic == pytest.approx(t, **TOL) and r.df == df
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-10)


def test_corrado_zivney_equals_corrado_without_missing_returns():
    p = make_panel(22, missing=0.0)
    for window in WINDOWS:
        assert corrado_zivney_rank_z(p, window).statistic == pytest.approx(
            corrado_rank_z(p, window).statistic, rel=1e-12
        )


@pytest.mark.parametrize("window", WINDOWS)
def test_wilcoxon_equals_scipy_normal_approximation(panel, window):
    car, _ = loop_car(panel, window)
    car = car[np.isfinite(car)]
    ref = stats.wilcoxon(car, method="approx", correction=False, zero_method="wilcox")
    r = wilcoxon(panel, window)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert abs(r.statistic) == pytest.approx(abs(ref.zstatistic), rel=1e-10)


def test_wilcoxon_with_ties_and_zeros_equals_scipy():
    cars = [0.0, 1.0, -1.0, 2.0, 2.0, 3.0, -2.0, 0.5]
    p = hand_panel(
        ar=[[c] for c in cars], residuals=[[1, -1]] * 8, sigma=[1] * 8, n_est=[10] * 8, rel_days=[0]
    )
    ref = stats.wilcoxon(cars, method="approx", correction=False, zero_method="wilcox")
    r = wilcoxon(p, (0, 0))
    assert r.n == 7 and r.p_value == pytest.approx(ref.pvalue, rel=1e-12)


# Hand-worked generalized sign test: 4 pairs whose estimation residuals are positive on
# 2, 2, 1 and 3 of 4 days -> p_hat = mean(0.5, 0.5, 0.25, 0.75) = 0.5; CARs [1, 2, -1, 3]
# -> w = 3 positive; Z = (3 - 4 * 0.5) / sqrt(4 * 0.5 * 0.5) = 1.
def test_hand_worked_gen_sign():
    p = hand_panel(
        ar=[[1], [2], [-1], [3]],
        residuals=[[1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, -1], [1, 1, 1, -1]],
        sigma=[1] * 4,
        n_est=[10] * 4,
        rel_days=[0],
    )
    r = gen_sign_z(p, (0, 0))
    assert r.statistic == pytest.approx(1.0, rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(1.0), rel=1e-12)


# Hand-worked Corrado rank test: 3 pairs, 3 estimation days + day 0, T = 4 days, so
# K_bar = 2.5. Series (already ranks): A = [1, 3, 2 | 4], B = [2, 1, 4 | 3], C = [3, 2, 1 | 4].
# Deviations: A [-1.5, .5, -.5, 1.5], B [-.5, -1.5, 1.5, .5], C [.5, -.5, -1.5, 1.5].
# Daily means D = [-0.5, -0.5, -1/6, 7/6]; S(K)^2 = (1/4)(1/4 + 1/4 + 1/36 + 49/36) = 17/36.
# Z = (7/6) / sqrt(17/36) = 7 / sqrt(17) (one window day). No missing returns, so the
# Corrado-Zivney statistic is the same number.
def test_hand_worked_corrado_rank():
    p = hand_panel(
        ar=[[4], [3], [4]],
        residuals=[[1, 3, 2], [2, 1, 4], [3, 2, 1]],
        sigma=[1] * 3,
        n_est=[10] * 3,
        rel_days=[0],
    )
    assert corrado_rank_z(p, (0, 0)).statistic == pytest.approx(7 / math.sqrt(17), rel=1e-12)
    assert corrado_zivney_rank_z(p, (0, 0)).statistic == pytest.approx(7 / math.sqrt(17), rel=1e-12)


def test_degenerate_inputs_give_nan_with_a_note():
    p = hand_panel(ar=[[1.0]], residuals=[[1, -1, 2]], sigma=[1], n_est=[10], rel_days=[0])
    for f in (wilcoxon, grank_t):
        r = f(p, (0, 0))
        assert np.isnan(r.statistic) and r.note
    for f in (corrado_rank_z, corrado_zivney_rank_z, corrado_zivney_sign_z, gen_sign_z):
        r = f(p, (3, 4))
        assert np.isnan(r.statistic) and r.n == 0 and r.note
    all_up = hand_panel(
        ar=[[1.0], [2.0]], residuals=[[1, 2]] * 2, sigma=[1, 1], n_est=[10, 10], rel_days=[0]
    )
    assert "share of positive" in gen_sign_z(all_up, (0, 0)).note


def test_estimation_ranks_from_the_combined_order_equal_sorting_the_sars(panel):
    """The SAR ranks read off the combined series' sort order equal ranking the SARs,
    with ties (rounded residuals, ties with event-window ARs) and missing days; pairs
    with a zero s_i or conditional variances are sorted directly."""
    from dataclasses import replace

    from eventstudy.inference.ranks import average_ranks, estimation_ranks
    from eventstudy.inference.views import estimation_sar

    tied = replace(panel, residuals=np.round(panel.residuals, 3), ar=np.round(panel.ar, 3))
    assert (tied.residuals[:, 1:] == tied.residuals[:, :-1]).any()
    zero_sigma = replace(tied, sigma=np.where(np.arange(tied.n_pairs) == 2, 0.0, tied.sigma))
    garch = replace(
        tied,
        resid_var=np.full(tied.residuals.shape, 1e-4) + tied.residuals**2,
        ar_var=np.full(tied.ar.shape, 1e-4),
    )
    for p in (panel, tied, zero_sigma, garch):
        expected = average_ranks(estimation_sar(p), axis=1)
        np.testing.assert_array_equal(estimation_ranks(p), expected)
        with np.errstate(invalid="ignore", divide="ignore"):
            sar = p.residuals / p.sigma[:, None]
        np.testing.assert_array_equal(  # scipy's ranks of each row, NaN left out
            np.isnan(expected), np.isnan(sar) if p.resid_var is None else np.isnan(p.residuals)
        )
    row = tied.residuals[0] / tied.sigma[0]
    ok = np.isfinite(row)
    np.testing.assert_allclose(estimation_ranks(tied)[0][ok], stats.rankdata(row[ok]))
