"""Cross-sectional inference for event studies: parametric, rank, sign, clustering-robust,
bootstrap and multivariate-regression tests of abnormal returns, with multiple-testing
adjustment.

>>> from eventstudy.inference import EventPanel, run_tests     # doctest: +SKIP
>>> results = run_tests(panel, (-1, 1))                         # doctest: +SKIP

Modules, one job each: :mod:`~eventstudy.inference.panel` (the inputs),
:mod:`~eventstudy.inference.parametric`, :mod:`~eventstudy.inference.nonparametric`,
:mod:`~eventstudy.inference.clustering` (cluster detection, Kolari-Pynnönen),
:mod:`~eventstudy.inference.resampling` (the bootstrap), :mod:`~eventstudy.inference.binder`,
:mod:`~eventstudy.inference.multiple` and :mod:`~eventstudy.inference.runner`.
"""

from __future__ import annotations

from eventstudy.inference.binder import binder_caar_t, binder_f, cluster_tests
from eventstudy.inference.clustering import (
    clustering_present,
    cross_correlation,
    date_clusters,
    kp_bmp_factor,
    kp_bmp_t,
    kp_patell_factor,
    kp_patell_z,
)
from eventstudy.inference.grouped_runner import run_tests_grouped
from eventstudy.inference.multiple import adjust_pvalues
from eventstudy.inference.nonparametric import (
    corrado_rank_z,
    corrado_zivney_rank_z,
    corrado_zivney_sign_z,
    gen_sign_z,
    grank_t,
    wilcoxon,
)
from eventstudy.inference.panel import EventPanel
from eventstudy.inference.parametric import (
    bmp_t,
    bmp_t_csar,
    cda_t,
    cs_t,
    mackinlay_j1,
    mackinlay_j2,
    patell_z,
)
from eventstudy.inference.resampling import bootstrap
from eventstudy.inference.result import CLUSTER_ROBUST, TestResult
from eventstudy.inference.runner import DEFAULT_TESTS, EXTRA_TESTS, TESTS, run_tests
from eventstudy.inference.views import WindowView, standardized_ar, window_view

__all__ = [
    "CLUSTER_ROBUST",
    "DEFAULT_TESTS",
    "EXTRA_TESTS",
    "TESTS",
    "EventPanel",
    "TestResult",
    "WindowView",
    "adjust_pvalues",
    "binder_caar_t",
    "binder_f",
    "bmp_t",
    "bmp_t_csar",
    "bootstrap",
    "cda_t",
    "cluster_tests",
    "clustering_present",
    "corrado_rank_z",
    "corrado_zivney_rank_z",
    "corrado_zivney_sign_z",
    "cross_correlation",
    "cs_t",
    "date_clusters",
    "gen_sign_z",
    "grank_t",
    "kp_bmp_factor",
    "kp_bmp_t",
    "kp_patell_factor",
    "kp_patell_z",
    "mackinlay_j1",
    "mackinlay_j2",
    "patell_z",
    "run_tests",
    "run_tests_grouped",
    "standardized_ar",
    "wilcoxon",
    "window_view",
]
