"""``tests.csv`` of a Dask run: per-pair test inputs from the tasks, tests on the driver.

This first version gathers, from every partition, the **per-pair** inputs the chosen
tests read, stacks them into one :class:`~eventstudy.inference.EventPanel` on the
driver (in the local engine's pair order) and runs the very functions of
:mod:`eventstudy.study_tests` and :mod:`eventstudy.inference` on it. Every per-pair
number is the local engine's (the tasks run the same pipeline), so every statistic
equals the local one up to the order of floating-point sums (well within 1e-9).

What is gathered, per test (:data:`NEEDS`):

- ``cs_t``, ``patell_z``, ``bmp_t``, ``bmp_t_csar``, ``mackinlay_j1``,
  ``mackinlay_j2``, ``wilcoxon``: the event-window columns only — ARs, benchmark
  returns, the model designs and ``(X'X)^{-1}``, ``sigma``, ``n_est``, ``df``, day 0
  and the labels (``event``). Their statistics are functions of per-pair CARs,
  standardized CARs and counts, i.e. of sums that combine exactly; they are
  computed on the driver from these columns.
- ``cda_t`` (the mean residual per relative day), ``kp_patell_z`` / ``kp_bmp_t``
  (r-bar from residual cross-products), ``gen_sign_z`` (each pair's share of positive
  residuals), ``corrado_rank_z`` / ``corrado_zivney_rank_z`` /
  ``corrado_zivney_sign_z`` and ``grank_t`` (each pair's rank series over the
  estimation and event windows), ``bootstrap`` (every pair's residuals on the same
  relative days): also the estimation-window residuals (``residuals``).
- ``binder_f``, ``binder_caar_t`` (they refit the market model as one system): also
  the estimation-window returns and benchmark returns and the event-window returns
  (``returns``).

The estimation-window columns are ``pairs x L1`` numbers each: a study whose gathered
estimation-window columns would exceed :data:`GATHER_CELLS` cells is refused before it
runs, with a message naming the tests that need them. Columns a test does not read are
zero-copy placeholders of the right shape (NaN), never data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.inference import EventPanel

EVENT_FIELDS = (
    "ar", "market_evt", "design_evt", "xtx_inv", "sigma", "n_est", "df", "day0",
    "event_id", "ticker",
)  # fmt: skip
RESIDUAL_FIELDS = ("residuals",)
RETURN_FIELDS = ("returns_est", "market_est", "returns_evt")

_RESIDUAL_TESTS = ("cda_t", "kp_patell_z", "kp_bmp_t", "gen_sign_z", "corrado_rank_z")
_RANK_TESTS = ("corrado_zivney_rank_z", "corrado_zivney_sign_z", "grank_t", "bootstrap")
NEEDS: dict[str, frozenset[str]] = {
    "residuals": frozenset(_RESIDUAL_TESTS + _RANK_TESTS),
    "returns": frozenset({"binder_f", "binder_caar_t"}),
}
"""The tests that need each group of estimation-window inputs beyond the event window."""

GATHER_CELLS = 60_000_000
"""Most estimation-window numbers (pairs x L1 x arrays) gathered to the driver (~480 MB)."""


def needs_of(tests: Iterable[str]) -> frozenset[str]:
    """Which input groups (``"residuals"``, ``"returns"``) the tests need."""
    names = set(tests)
    return frozenset(group for group, members in NEEDS.items() if names & members)


def check_gather(tests: Sequence[str], n_pairs: int, l1: int) -> None:
    """Refuse, before the run, tests whose gathered inputs would not fit the driver."""
    needs = needs_of(tests)
    arrays = ("residuals" in needs) * len(RESIDUAL_FIELDS) + ("returns" in needs) * 2
    if arrays and n_pairs * l1 * arrays > GATHER_CELLS:
        heavy = sorted(set(tests) & set().union(*(NEEDS[g] for g in needs)))
        raise EventStudyError(
            f"tests {', '.join(heavy)} need every pair's estimation-window residuals on the "
            f"driver ({n_pairs:,} pairs x {l1} days is over {GATHER_CELLS:,} numbers): "
            "choose --tests among those of the event window (cs_t, patell_z, bmp_t, "
            "mackinlay_j1, mackinlay_j2, wilcoxon) for a study this large",
            field="--tests",
        )


def panel_part(panel: EventPanel, needs: frozenset[str]) -> dict[str, np.ndarray]:
    """The columns of a partition's test panel that the driver needs."""
    names = EVENT_FIELDS + ("residuals" in needs) * RESIDUAL_FIELDS
    names += ("returns" in needs) * RETURN_FIELDS
    return {name: np.asarray(getattr(panel, name)) for name in names}


def _padded(part: dict[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """Designs padded with zero columns to ``k`` regressors (as the local study panel)."""
    extra = k - part["xtx_inv"].shape[-1]
    if extra:
        part = dict(part)
        part["xtx_inv"] = np.pad(part["xtx_inv"], ((0, 0), (0, extra), (0, extra)))
        part["design_evt"] = np.pad(part["design_evt"], ((0, 0), (0, 0), (0, extra)))
    return part


def stack_parts(
    parts: list[dict[str, np.ndarray]], rel_days: np.ndarray, l1: int
) -> EventPanel | None:
    """One panel of every partition's pairs, in order-key order (the local pair order).

    The parts are consumed (emptied) as they are copied into the panel's arrays, so the
    driver holds the gathered columns about once. Columns no part carries become
    zero-copy NaN placeholders of the right shape.
    """
    from eventstudy.inference import EventPanel

    parts = [p for p in parts if p is not None and len(p["order"])]
    if not parts:
        return None
    k = max(p["xtx_inv"].shape[-1] for p in parts)
    parts = [_padded(p, k) for p in parts]
    n = sum(len(p["order"]) for p in parts)
    order = np.concatenate([p["order"] for p in parts])
    rank = np.argsort(order, kind="stable")
    names = [name for name in parts[0] if name != "order"]
    columns: dict[str, np.ndarray] = {}
    for name in names:
        first = parts[0][name]
        stacked = np.empty((n, *first.shape[1:]), dtype=first.dtype)
        at = 0
        for part in parts:
            value = part[name]
            stacked[at : at + len(value)] = value
            at += len(value)
            part[name] = value[:0]  # release the gathered copy
        columns[name] = stacked[rank]
        del stacked
    l2 = len(rel_days)
    nan_evt = np.broadcast_to(np.float64(np.nan), (n, l2))
    nan_est = np.broadcast_to(np.float64(np.nan), (n, l1))
    defaults = {
        "residuals": nan_est,
        "market_est": nan_est,
        "returns_est": nan_est,
        "returns_evt": nan_evt,
        "est_dates": np.broadcast_to(np.datetime64("NaT", "D"), (n, l1)),
        "market_mean": np.broadcast_to(np.float64(np.nan), (n,)),
        "market_sxx": np.broadcast_to(np.float64(np.nan), (n,)),
    }
    return EventPanel(**(defaults | columns), rel_days=rel_days)
