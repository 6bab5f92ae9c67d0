"""Parametric CAAR tests against plain-loop transcriptions of their formulas, scipy and
hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import (
    bmp_t,
    bmp_t_csar,
    cda_t,
    cs_t,
    mackinlay_j1,
    mackinlay_j2,
    patell_z,
)
from tests.test_inference_panel import hand_panel, loop_car, make_panel

WINDOWS = [(0, 0), (-1, 1), (-3, 3), (2, 3)]
TOL = {"rel": 1e-10, "abs": 1e-12}


def _mean(xs):
    return sum(xs) / len(xs)


def _sd(xs):
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def _sar(panel, i, t):
    dev = panel.market_evt[i, t] - panel.market_mean[i]
    c = 1 + 1 / panel.n_est[i] + dev**2 / panel.market_sxx[i]
    return panel.ar[i, t] / (panel.sigma[i] * math.sqrt(c))


def _days(panel, i, window):
    return [
        t
        for t in range(panel.ar.shape[1])
        if window[0] <= panel.rel_days[t] <= window[1]
        and np.isfinite(panel.ar[i, t])
        and np.isfinite(panel.market_evt[i, t])
    ]


# ---- reference transcriptions (loops, one pair and one day at a time) -------------


def ref_cs_t(panel, window):
    car, _ = loop_car(panel, window)
    cars = [c for c in car if np.isfinite(c)]
    return math.sqrt(len(cars)) * _mean(cars) / _sd(cars)


def ref_cda_t(panel, window):
    car, _ = loop_car(panel, window)
    pairs = [i for i in range(panel.n_pairs) if np.isfinite(car[i])]
    aar = []
    for tau in range(panel.residuals.shape[1]):
        vals = [panel.residuals[i, tau] for i in pairs if np.isfinite(panel.residuals[i, tau])]
        if vals:
            aar.append(_mean(vals))
    l2 = len({t for i in pairs for t in _days(panel, i, window)})
    caar = _mean([car[i] for i in pairs])
    return caar / (math.sqrt(l2) * _sd(aar)), len(aar) - 1


def ref_patell_z(panel, window):
    num, den = 0.0, 0.0
    for i in range(panel.n_pairs):
        days = _days(panel, i, window)
        if not days:
            continue
        m = panel.n_est[i]
        num += sum(_sar(panel, i, t) for t in days)
        den += len(days) * (m - 2) / (m - 4)
    return num / math.sqrt(den)


def ref_scar(panel, window):
    car, var = loop_car(panel, window)
    return [car[i] / math.sqrt(var[i]) for i in range(panel.n_pairs) if np.isfinite(car[i])]


def ref_bmp_t(panel, window):
    scar = ref_scar(panel, window)
    return math.sqrt(len(scar)) * _mean(scar) / _sd(scar)


def ref_bmp_t_csar(panel, window):
    csar = []
    for i in range(panel.n_pairs):
        days = _days(panel, i, window)
        if days:
            csar.append(sum(_sar(panel, i, t) for t in days))
    return math.sqrt(len(csar)) * _mean(csar) / _sd(csar)


def ref_j1(panel, window):
    car, var = loop_car(panel, window)
    ok = [i for i in range(panel.n_pairs) if np.isfinite(car[i])]
    n = len(ok)
    return _mean([car[i] for i in ok]) / math.sqrt(sum(var[i] for i in ok) / n**2)


def ref_j2(panel, window):
    car, var = loop_car(panel, window)
    ok = [i for i in range(panel.n_pairs) if np.isfinite(car[i])]
    scar_sum = sum(car[i] / math.sqrt(var[i]) for i in ok)
    q = sum((panel.n_est[i] - 2) / (panel.n_est[i] - 4) for i in ok)
    return scar_sum / math.sqrt(q)


@pytest.fixture(scope="module")
def panel():
    return make_panel(11)


@pytest.mark.parametrize("window", WINDOWS)
def test_against_loop_transcriptions(panel, window):
    n = panel.n_pairs
    r = cs_t(panel, window)
    assert r.statistic == pytest.approx(ref_cs_t(panel, window), **TOL)
    assert r.df == r.n - 1 and r.p_value == pytest.approx(
        2 * stats.t.sf(abs(r.statistic), r.n - 1), rel=1e-10
    )
    r = cda_t(panel, window)
    t, df = ref_cda_t(panel, window)
    assert r.statistic == pytest.approx(t, **TOL) and r.df == df
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-10)
    r = patell_z(panel, window)
    assert r.statistic == pytest.approx(ref_patell_z(panel, window), **TOL)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(r.statistic)), rel=1e-10)
    assert bmp_t(panel, window).statistic == pytest.approx(ref_bmp_t(panel, window), **TOL)
    assert bmp_t_csar(panel, window).statistic == pytest.approx(
        ref_bmp_t_csar(panel, window), **TOL
    )
    assert mackinlay_j1(panel, window).statistic == pytest.approx(ref_j1(panel, window), **TOL)
    assert mackinlay_j2(panel, window).statistic == pytest.approx(ref_j2(panel, window), **TOL)
    for f in (cs_t, bmp_t, patell_z, mackinlay_j1):
        assert f(panel, window).n <= n


def test_cs_t_equals_scipy_ttest_1samp(panel):
    car, _ = loop_car(panel, (-1, 1))
    ref = stats.ttest_1samp(car[np.isfinite(car)], 0.0)
    r = cs_t(panel, (-1, 1))
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)


def test_bmp_t_equals_scipy_ttest_on_scar(panel):
    scar = np.array(ref_scar(panel, (-3, 3)))
    ref = stats.ttest_1samp(scar, 0.0)
    r = bmp_t(panel, (-3, 3))
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)


def test_one_day_bmp_variants_agree(panel):
    assert bmp_t(panel, (0, 0)).statistic == pytest.approx(
        bmp_t_csar(panel, (0, 0)).statistic, rel=1e-12
    )
    assert patell_z(panel, (0, 0)).statistic == pytest.approx(
        mackinlay_j2(panel, (0, 0)).statistic, rel=1e-12
    )


# Hand-worked example (units of 1%). 3 pairs, window (0, 1), M = 6 estimation returns,
# benchmark on its estimation mean on both days so C = 1 + 1/6 = 7/6, and
# s = sqrt(6/7) so s sqrt(C) = 1: SAR = AR.
#   AR day 0 = [1, 2, -0.5], day 1 = [0.5, 0, 1] -> CAR = [1.5, 2, 0.5], CAAR = 4/3.
# Patell: Z = (sum of SARs = 4) / sqrt(3 pairs * 2 days * (6-2)/(6-4) = 12) = 2/sqrt(3).
# MacKinlay Var(CAR) = s^2 (L + L^2/M) = (6/7)(2 + 4/6) = 16/7 for every pair, so
#   SCAR = CAR sqrt(7)/4; BMP t is scale-free: deviations of CAR from 4/3 are
#   [1/6, 2/3, -5/6], SS = 42/36, sd = sqrt(7/12), t = sqrt(3)(4/3)/sqrt(7/12) = 8/sqrt(7).
#   J1 = (4/3) / sqrt(3 (16/7) / 9) = sqrt(21)/3;  J2 = (4 sqrt(7)/4) / sqrt(3 * 2) = sqrt(7/6).
# Cross-sectional t of CAR (also scale-free) equals the BMP t here: 8/sqrt(7).
# CDA: estimation residuals whose daily means are [1, -1, 1, -1]: S = sqrt(4/3) (ddof 1),
#   t = (4/3) / (sqrt(2) sqrt(4/3)) = sqrt(2/3), df = 4 - 1 = 3.
@pytest.fixture
def hand():
    s = math.sqrt(6 / 7)
    return hand_panel(
        ar=[[1, 0.5], [2, 0], [-0.5, 1]],
        residuals=[[1, -1, 1, -1], [2, -2, 0, 0], [0, 0, 2, -2]],
        sigma=[s, s, s],
        n_est=[6, 6, 6],
        rel_days=[0, 1],
    )


def test_hand_worked_parametric(hand):
    w = (0, 1)
    assert patell_z(hand, w).statistic == pytest.approx(2 / math.sqrt(3), rel=1e-12)
    assert bmp_t(hand, w).statistic == pytest.approx(8 / math.sqrt(7), rel=1e-12)
    assert bmp_t(hand, w).df == 2
    assert cs_t(hand, w).statistic == pytest.approx(8 / math.sqrt(7), rel=1e-12)
    assert mackinlay_j1(hand, w).statistic == pytest.approx(math.sqrt(21) / 3, rel=1e-12)
    assert mackinlay_j2(hand, w).statistic == pytest.approx(math.sqrt(7 / 6), rel=1e-12)
    r = cda_t(hand, w)
    assert r.statistic == pytest.approx(math.sqrt(2 / 3), rel=1e-12) and r.df == 3


# Hand-worked cs_t: CARs [1, 2, 3, 6]: mean 3, deviations [-2, -1, 0, 3], SS = 14,
# sd = sqrt(14/3), t = 2 * 3 / sqrt(14/3) = sqrt(108/14); two-sided p from t(3).
def test_hand_worked_cs_t():
    p = hand_panel(
        ar=[[1], [2], [3], [6]],
        residuals=[[1, -1]] * 4,
        sigma=[1] * 4,
        n_est=[10] * 4,
        rel_days=[0],
    )
    r = cs_t(p, (0, 0))
    assert r.statistic == pytest.approx(math.sqrt(108 / 14), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.t.sf(math.sqrt(108 / 14), 3), rel=1e-10)
    assert (r.n, r.df, r.distribution) == (4, 3, "t(3)")


def test_degenerate_inputs_give_nan_with_a_note(hand):
    one = hand.subset(np.array([0]))
    for f in (cs_t, bmp_t, bmp_t_csar):
        r = f(one, (0, 1))
        assert np.isnan(r.statistic) and np.isnan(r.p_value) and r.note
    outside = (5, 6)  # no event-window day in the window
    for f in (cs_t, cda_t, patell_z, bmp_t, mackinlay_j1, mackinlay_j2):
        r = f(hand, outside)
        assert np.isnan(r.statistic) and r.note and r.n == 0
    flat = hand_panel(
        ar=[[1], [1]], residuals=[[1, -1]] * 2, sigma=[1, 1], n_est=[10, 10], rel_days=[0]
    )
    assert "dispersion" in cs_t(flat, (0, 0)).note
    few = hand_panel(
        ar=[[1], [2]], residuals=[[1, -1]] * 2, sigma=[1, 1], n_est=[4, 4], rel_days=[0]
    )
    assert "more than 2 residual degrees" in patell_z(few, (0, 0)).note
