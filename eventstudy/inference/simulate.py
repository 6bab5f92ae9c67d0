"""Simulated event panels with known truth, for size/power studies and tests.

Returns follow a market model with heavy-tailed (Student t) shocks, as in Brown &
Warner (1985)-style simulations: the null holds unless an effect is planted, and
event-induced variance and same-date clustering with cross-correlated residuals can
be switched on. Many panels are drawn and fitted at once (one stacked OLS over all
their pairs).
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.panel import EventPanel
from eventstudy.models.fits import fit_market_model

_BASE = np.datetime64("2000-01-03")


def _shocks(rng: np.random.Generator, shape: tuple[int, ...], df: float | None) -> np.ndarray:
    """Unit-variance shocks: Student t(df) rescaled, or standard normal when df is None."""
    if df is None:
        return rng.standard_normal(shape)
    return rng.standard_t(df, shape) * np.sqrt((df - 2.0) / df)


def simulate_panels(
    n_panels: int,
    n_pairs: int = 50,
    *,
    estimation: tuple[int, int] = (-250, -11),
    event: tuple[int, int] = (-10, 10),
    effect: float = 0.0,
    effect_days: tuple[int, ...] = (0,),
    variance_ratio: float = 1.0,
    same_date: bool = False,
    rho: float = 0.0,
    tail_df: float | None = 4.0,
    sigma_range: tuple[float, float] = (0.01, 0.03),
    beta_range: tuple[float, float] = (0.5, 1.5),
    market_sd: float = 0.01,
    missing: float = 0.0,
    seed: int | np.random.Generator = 0,
) -> list[EventPanel]:
    """Draw ``n_panels`` independent panels of ``n_pairs`` (event, security) pairs.

    Parameters
    ----------
    estimation, event
        Relative-day windows; the estimation window must end before the event window.
    effect
        Abnormal return added on each of ``effect_days`` (e.g. -0.03 for -3%).
    variance_ratio
        Event-induced variance: the AR variance on the effect days is multiplied by
        this (2.0 doubles it), by adding an independent shock.
    same_date
        All pairs of a panel share one calendar day 0 (and so the benchmark series);
        otherwise every pair has its own random day 0 and independent data.
    rho
        With ``same_date``, the pairwise correlation of residuals, from a common
        factor: ``e_it = s_i (sqrt(rho) f_t + sqrt(1 - rho) u_it)``.
    tail_df
        Degrees of freedom of the Student t shocks (heavy tails), None for normal.
    sigma_range, beta_range
        Residual standard deviation and beta of each pair, uniform on these ranges.
    market_sd
        Standard deviation of the benchmark return.
    missing
        Probability that a security return is missing (NaN).
    seed
        Seed or generator.
    """
    rng = np.random.default_rng(seed)
    est_days = np.arange(estimation[0], estimation[1] + 1)
    evt_days = np.arange(event[0], event[1] + 1)
    if est_days[-1] >= evt_days[0]:
        raise ValueError("the estimation window must end before the event window")
    rel = np.concatenate([est_days, evt_days])
    total = n_panels * n_pairs
    shape = (n_panels, n_pairs, rel.size)

    if same_date:
        market = np.broadcast_to(
            market_sd * _shocks(rng, (n_panels, 1, rel.size), tail_df), shape
        ).copy()
        common = _shocks(rng, (n_panels, 1, rel.size), tail_df)
    else:
        market = market_sd * _shocks(rng, shape, tail_df)
        common = np.zeros((n_panels, 1, rel.size))
    market += 0.0004
    idio = _shocks(rng, shape, tail_df)
    sigma = rng.uniform(*sigma_range, (n_panels, n_pairs, 1))
    beta = rng.uniform(*beta_range, (n_panels, n_pairs, 1))
    alpha = rng.normal(0.0003, 0.0005, (n_panels, n_pairs, 1))
    resid = sigma * (np.sqrt(rho) * common + np.sqrt(1.0 - rho) * idio)
    hit = np.isin(rel, effect_days)
    if variance_ratio != 1.0:
        extra = sigma * np.sqrt(variance_ratio - 1.0) * _shocks(rng, shape, tail_df)
        resid += np.where(hit, extra, 0.0)
    returns = alpha + beta * market + resid + np.where(hit, effect, 0.0)
    if missing > 0:
        returns[rng.random(shape) < missing] = np.nan

    returns = returns.reshape(total, rel.size)
    market = market.reshape(total, rel.size)
    n_est = est_days.size
    if same_date:
        day0_index = np.repeat(rng.integers(300, 5300, n_panels), n_pairs)
    else:
        day0_index = np.concatenate(
            [rng.choice(np.arange(300, 5300), n_pairs, replace=False) for _ in range(n_panels)]
        )
    day0 = np.busday_offset(_BASE, day0_index, roll="forward")
    est_dates = np.busday_offset(day0[:, None], est_days[None, :], roll="forward")
    fit = fit_market_model(returns[:, :n_est], market[:, :n_est])
    panel = EventPanel.from_market_model(
        fit,
        returns_est=returns[:, :n_est],
        market_est=market[:, :n_est],
        returns_evt=returns[:, n_est:],
        market_evt=market[:, n_est:],
        rel_days=evt_days,
        day0=day0,
        est_dates=est_dates,
        event_id=np.array([f"e{k}" for k in range(total)], dtype=object),
        ticker=np.array([f"S{k % n_pairs}" for k in range(total)], dtype=object),
    )
    return [panel.subset(np.arange(k * n_pairs, (k + 1) * n_pairs)) for k in range(n_panels)]


def simulate_panel(n_pairs: int = 50, **kwargs: object) -> EventPanel:
    """One simulated panel (see :func:`simulate_panels` for the options)."""
    return simulate_panels(1, n_pairs, **kwargs)[0]  # type: ignore[arg-type]
