"""Holm and Benjamini-Hochberg adjustments against statsmodels and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from eventstudy.inference import adjust_pvalues


@pytest.mark.parametrize(("method", "sm_method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_matches_statsmodels(method, sm_method):
    rng = np.random.default_rng(0)
    for m in (1, 2, 7, 40, 300):
        p = np.concatenate([rng.uniform(0, 1, m), rng.uniform(0, 0.01, m // 3)])
        p[::5] = p[0]  # ties
        ref = multipletests(p, method=sm_method)[1]
        np.testing.assert_allclose(adjust_pvalues(p, method), ref, rtol=0, atol=1e-12)


def test_nan_entries_are_kept_and_not_counted():
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.2])
    out = adjust_pvalues(p, "holm")
    assert np.isnan(out[[1, 4]]).all()
    ok = np.isfinite(p)
    np.testing.assert_allclose(out[ok], multipletests(p[ok], method="holm")[1], atol=1e-12)
    assert np.isnan(adjust_pvalues([np.nan, np.nan])).all()
    assert adjust_pvalues(np.zeros((2, 3)), "bh").shape == (2, 3)


# Hand-worked: p = [0.01, 0.04, 0.03, 0.2], m = 4.
# Holm: sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1 -> 0.04, 0.09, 0.08, 0.2; running max
#   0.04, 0.09, 0.09, 0.2 -> in input order [0.04, 0.09, 0.09, 0.2].
# BH: sorted p * 4 / rank -> 0.04, 0.06, 0.0533.., 0.2; running min from the top
#   0.04, 0.0533.., 0.0533.., 0.2 -> in input order [0.04, 0.16/3, 0.16/3, 0.2].
def test_hand_worked():
    p = [0.01, 0.04, 0.03, 0.2]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.2], atol=1e-15)
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.04, 0.16 / 3, 0.16 / 3, 0.2], atol=1e-15)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], "bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.5])
