"""The date-resampling bootstrap against a loop transcription with the same draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventstudy.inference import bootstrap
from tests.test_inference_panel import hand_panel, loop_car, make_panel


def ref_bootstrap(panel, window, n_boot, seed):
    """Observed studentized statistic and bootstrap p-value, one replicate at a time."""
    car_check, _ = loop_car(panel, window)
    pairs = [i for i in range(panel.n_pairs) if np.isfinite(car_check[i])]
    cols = [t for t, d in enumerate(panel.rel_days) if window[0] <= d <= window[1]]

    def t_stat(values):
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        return math.sqrt(n) * mean / sd

    observed = []
    for i in pairs:
        days = [
            t for t in cols if np.isfinite(panel.ar[i, t]) and np.isfinite(panel.market_evt[i, t])
        ]
        observed.append(sum(panel.ar[i, t] / panel.sigma[i] for t in days) / math.sqrt(len(days)))
    t_obs = t_stat(observed)

    pool = [
        tau
        for tau in range(panel.residuals.shape[1])
        if any(np.isfinite(panel.residuals[i, tau]) for i in pairs)
    ]
    draws = np.random.default_rng(seed).integers(0, len(pool), size=(n_boot, len(cols)))
    exceed = 0
    for b in range(n_boot):
        pseudo = []
        for i in pairs:
            vals = [panel.residuals[i, pool[k]] for k in draws[b]]
            vals = [v / panel.sigma[i] for v in vals if np.isfinite(v)]
            if vals:
                pseudo.append(sum(vals) / math.sqrt(len(vals)))
        exceed += abs(t_stat(pseudo)) >= abs(t_obs)
    return t_obs, (1 + exceed) / (1 + n_boot)


@pytest.mark.parametrize("window", [(0, 0), (-1, 1), (-3, 3)])
def test_against_loop_transcription(window):
    panel = make_panel(51, missing=0.05)
    r = bootstrap(panel, window, n_boot=199, seed=3)
    t_obs, p = ref_bootstrap(panel, window, 199, 3)
    assert r.statistic == pytest.approx(t_obs, rel=1e-10)
    assert r.p_value == pytest.approx(p, rel=1e-12)
    assert r.distribution == "bootstrap(199 date draws)" and r.valid_under_clustering


def test_reproducible_and_seed_dependent():
    panel = make_panel(52)
    a = bootstrap(panel, (-1, 1), n_boot=499, seed=1)
    b = bootstrap(panel, (-1, 1), n_boot=499, seed=1)
    c = bootstrap(panel, (-1, 1), n_boot=499, seed=2)
    assert a == b
    assert a.statistic == c.statistic and 0 < c.p_value <= 1
    assert abs(a.p_value - c.p_value) < 0.1


def test_chunking_does_not_change_the_answer(monkeypatch):
    import eventstudy.inference.resampling as module

    panel = make_panel(53)
    whole = bootstrap(panel, (-3, 3), n_boot=300, seed=9)
    monkeypatch.setattr(module, "_BY_PAIR_CELLS", 50)
    assert bootstrap(panel, (-3, 3), n_boot=300, seed=9) == whole


@pytest.mark.parametrize("cells", [50, 100_000])
def test_pair_sums_equal_pattern_sums_and_a_direct_loop(monkeypatch, cells):
    import eventstudy.inference.resampling as module

    monkeypatch.setattr(module, "_BY_PAIR_CELLS", cells)
    rng = np.random.default_rng(4)
    z = rng.standard_normal((40, 30))
    z[rng.random(z.shape) < 0.3] = np.nan  # many missing-day patterns
    z[5] = np.nan  # a pair with no day at all
    pool = module._Pool.of(z)
    draws = rng.integers(0, pool.days, (25, 4))
    by_pair = module._replicates_by_pair(pool.values, pool.present.view(np.uint8), draws)
    by_pattern = module._replicates_by_pattern(pool, draws)
    np.testing.assert_allclose(by_pair, by_pattern, rtol=1e-10)
    for b, days in enumerate(draws):  # the statistic written out for one replicate
        picked = pool.values[:, days]
        count = pool.present[:, days].sum(axis=1)
        x = picked.sum(axis=1)[count > 0] / np.sqrt(count[count > 0])
        expected = np.sqrt(len(x)) * x.mean() / x.std(ddof=1)
        assert by_pair[b] == pytest.approx(expected, rel=1e-12)


def test_smallest_p_value_is_one_over_b_plus_one():
    panel = make_panel(54, effect=-0.2, missing=0.0)
    r = bootstrap(panel, (0, 0), n_boot=99, seed=0)
    assert r.p_value == pytest.approx(1 / 100)


def test_degenerate_inputs():
    one = hand_panel(ar=[[1.0]], residuals=[[1, -1, 2]], sigma=[1], n_est=[10], rel_days=[0])
    assert np.isnan(bootstrap(one, (0, 0)).statistic)
    two = hand_panel(
        ar=[[1.0], [2.0]],
        residuals=[[1, -1, 2], [0, 1, -3]],
        sigma=[1, 1],
        n_est=[10, 10],
        rel_days=[0],
    )
    assert "n_boot" in bootstrap(two, (0, 0), n_boot=0).note
    assert np.isfinite(bootstrap(two, (0, 0), n_boot=50).p_value)
