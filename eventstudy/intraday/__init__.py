"""Intraday event studies: did the news move the stock within the hour?

A study with ``interval:`` other than ``1d`` runs on bars (``1h``, ``30m``, ``15m``,
``5m``, ``1m``) instead of sessions. The steps, one module each:

:mod:`~eventstudy.intraday.bars`
    The bar grid of an exchange: regular or extended sessions, early closes included.
:mod:`~eventstudy.intraday.bar0`
    Bar 0 of each (event, security): the bar that holds the news time, else the first
    bar after it.
:mod:`~eventstudy.intraday.returns`
    Bar returns on the grid; each session's first bar carries the overnight gap.
:mod:`~eventstudy.intraday.stacking`
    Returns of every pair in bar time, in the arrays the daily engine
    (:mod:`eventstudy.models.estimation`) fits.
:mod:`~eventstudy.intraday.tod`
    The time-of-day placebo p-value ``car_p_tod``.
:mod:`~eventstudy.intraday.sources`, :mod:`~eventstudy.intraday.yahoo`,
:mod:`~eventstudy.intraday.demo`
    Bars from a CSV, from Yahoo (through the cache) or synthetic.
:mod:`~eventstudy.intraday.run`, :mod:`~eventstudy.intraday.result`
    The pipeline and its outputs (same files as a daily run, ``rel_bar``,
    ``timestamp`` and ``bar0`` in place of ``rel_day``, ``date`` and ``day0``).
"""
