"""The shape of a study, and which tests are valid for it.

:func:`study_design` reads the estimated pairs: one security on many dates is a
``one-firm`` study; events that each concern several securities on one day 0 make a
``shared-dates`` study (their CARs are cross-correlated); otherwise every event is one
firm's own (``firm-specific``). The figures and the report follow the design, and
:func:`validity` marks each row of ``tests.csv`` as ``recommended``, ``valid`` or
``not valid`` for it, from the size results in ``docs/inference.md`` (Brown & Warner
1985-style simulation, ``benchmarks/size_power.py``) and the README's single-firm
table (``benchmarks/single_firm_size.py``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Design = Literal["shared-dates", "one-firm", "firm-specific"]

SHARED = 2.0
"""Mean estimated securities per event from which a study has shared dates."""

RECOMMENDED: dict[str, frozenset[str]] = {
    "shared-dates": frozenset({"kp_bmp_t", "bootstrap"}),
    "firm-specific": frozenset({"bmp_t", "kp_bmp_t", "bootstrap"}),
    "one-firm": frozenset({"bmp_t", "bootstrap"}),
}
"""Per design, the tests that keep their size both under the design's dependence and
under event-induced variance (docs/inference.md: only ``kp_bmp_t`` and ``bootstrap``
are robust to both clustering and a doubled day-0 variance; ``bmp_t`` is, when pairs
do not share dates). For one firm the per-pair SQ and placebo p of car.csv are the
documented answer (README, "One firm, one day"); these marks are for the pooled rows."""

NEVER_VALID = frozenset({"binder_f"})
"""Tests that over-reject under no effect on daily (fat-tailed) returns: ``binder_f``
rejects 14.8% at 5% with t(4) shocks (docs/inference.md)."""

CLUSTER_OVER_REJECTS = frozenset({"grank_t"})
"""Flagged not robust to clustering but documented as only mildly over-rejecting
(8.6%): not valid when the pairs share a date."""


def study_design(car: pd.DataFrame) -> Design:
    """The design of a study from its estimated pairs: rows of ``car`` or ``models``
    (``event_id``, ``ticker``).

    ``one-firm`` with a single security, ``shared-dates`` when the events hold on
    average at least :data:`SHARED` estimated securities, else ``firm-specific``.
    """
    pairs = car.drop_duplicates(["event_id", "ticker"])
    if pairs.empty or pairs["ticker"].nunique() == 1:
        return "one-firm"
    per_event = len(pairs) / max(pairs["event_id"].nunique(), 1)
    return "shared-dates" if per_event >= SHARED else "firm-specific"


def validity(tests: pd.DataFrame, design: Design) -> pd.Series:
    """``recommended``, ``valid`` or ``not valid`` for each row of ``tests.csv``.

    A row is ``not valid`` when its test over-rejects under no effect
    (:data:`NEVER_VALID`), or when its pairs share a date (``clustered``) and the test
    is not robust to that (``valid_under_clustering`` false, or
    :data:`CLUSTER_OVER_REJECTS`). Of the rest, the
    design's :data:`RECOMMENDED` tests are ``recommended``; everything else is ``valid``.
    """
    test = tests["test"].astype(str)
    robust = tests["valid_under_clustering"].fillna(False).astype(bool).to_numpy()
    clustered = tests["clustered"].fillna(False).astype(bool).to_numpy()
    bad = test.isin(list(NEVER_VALID)).to_numpy() | (clustered & ~robust)
    bad |= clustered & test.isin(list(CLUSTER_OVER_REJECTS)).to_numpy()
    best = test.isin(list(RECOMMENDED[design])).to_numpy()
    marks = np.where(bad, "not valid", np.where(best, "recommended", "valid"))
    return pd.Series(marks, index=tests.index, name="validity", dtype=object)
