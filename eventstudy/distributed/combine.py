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
  and the labels. Their statistics are functions of per-pair CARs, standardized
  CARs, CAR variances and counts, so they *could* be combined from per-partition
  sums, sums of squares and counts (and, for ``wilcoxon``, the per-pair CARs); this
  version does not do that yet: it gathers the event-window columns (``pairs x L2``
  numbers each) and runs the functions on the driver.
- ``cda_t`` (the mean residual per relative day), ``kp_patell_z`` / ``kp_bmp_t``
  (r-bar from residual cross-products), ``gen_sign_z`` (each pair's share of positive
  residuals), ``corrado_rank_z`` / ``corrado_zivney_rank_z`` /
  ``corrado_zivney_sign_z`` and ``grank_t`` (each pair's rank series over the
  estimation and event windows), ``bootstrap`` (every pair's residuals on the same
  relative days): also the estimation-window residuals (``residuals``).
- ``binder_f``, ``binder_caar_t`` (they refit the market model as one system): also
  the estimation-window returns and benchmark returns and the event-window returns
  (``returns``).

Not gathered: ``est_dates`` (only the ``calendar`` alignment of the Kolari-Pynnönen
r-bar reads them; ``tests.csv`` uses the ``relative`` house convention), and the GARCH
variances (the garch model is refused by ``--engine dask``).

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

GATHER_CELLS = 100_000_000
"""Most estimation-window numbers (pairs x L1 x arrays) gathered to the driver (~800 MB)."""


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


class PanelStack:
    """The per-pair test inputs of every partition, copied in as each task completes.

    The arrays are allocated once, for at most ``capacity`` pairs (the plan's pairs),
    on the first part; each part is copied in and dropped, so the driver holds the
    gathered columns about once. :meth:`panel` sorts them into order-key order (the
    local engine's pair order; one column at a time) and makes the panel.

    Parameters
    ----------
    capacity
        Most pairs the parts can hold (the plan's pair count).
    rel_days
        The event window's relative days.
    l1
        Estimation-window length (of the placeholders for columns not gathered).

    Notes
    -----
    Model designs of different widths (a study mixing models) are padded with zero
    columns to the widest, as :func:`eventstudy.study_tests.study_panel` pads them.
    """

    def __init__(self, capacity: int, rel_days: np.ndarray, l1: int) -> None:
        self.capacity, self.rel_days, self.l1 = capacity, rel_days, l1
        self.columns: dict[str, np.ndarray] = {}
        self.k = 0
        self.n = 0

    def add(self, part: dict[str, np.ndarray] | None) -> None:
        """Copy one task's part in (None or empty: nothing to add)."""
        if part is None or not len(part["order"]):
            return
        k = part["xtx_inv"].shape[-1]
        if self.columns and k > self.k:  # a wider design than so far: widen the buffers
            self.columns |= _padded(self.columns, k)
        self.k = max(self.k, k)
        part = _padded(part, self.k)
        if not self.columns:
            self.columns = {
                name: np.empty((self.capacity, *value.shape[1:]), dtype=value.dtype)
                for name, value in part.items()
            }
        size = len(part["order"])
        for name, value in part.items():
            self.columns[name][self.n : self.n + size] = value
        self.n += size

    def panel(self) -> EventPanel | None:
        """The panel of every pair added, in the local pair order (None if none)."""
        from eventstudy.inference import EventPanel

        if not self.n:
            return None
        n, l1 = self.n, self.l1
        rank = np.argsort(self.columns.pop("order")[:n], kind="stable")
        columns = {}
        for name in list(self.columns):
            columns[name] = self.columns.pop(name)[:n][rank]  # the full buffer is dropped
        nan_evt = np.broadcast_to(np.float64(np.nan), (n, len(self.rel_days)))
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
        return EventPanel(**(defaults | columns), rel_days=self.rel_days)
