"""eventstudy: market-impact event studies.

>>> import eventstudy as es
>>> study = es.load_study("events.yaml")          # doctest: +SKIP
>>> result = study.run(source="demo")             # doctest: +SKIP

Names are imported lazily so that ``import eventstudy`` (and the CLI's ``--help``)
stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_study": "eventstudy.study",
    "parse_study": "eventstudy.study",
    "Study": "eventstudy.study",
    "StudySettings": "eventstudy.core.settings",
    "Event": "eventstudy.core.settings",
    "run_study": "eventstudy.study",
    "align_study": "eventstudy.sessions.pairs",
    "StudyResult": "eventstudy.outputs.result",
    "Summary": "eventstudy.pipeline.summary",
    "align_event": "eventstudy.sessions.calendar",
    "Alignment": "eventstudy.sessions.calendar",
    "exchange_for": "eventstudy.sessions.calendar",
    "session_span": "eventstudy.sessions.calendar",
    "session_returns": "eventstudy.sessions.returns",
    "fit_market_model": "eventstudy.models.fits",
    "MarketModelFit": "eventstudy.models.fits",
    "abnormal_returns": "eventstudy.models.abnormal",
    "car_variance": "eventstudy.models.abnormal",
    "get_source": "eventstudy.data",
    "PriceSource": "eventstudy.core.prices",
    "PriceTable": "eventstudy.core.prices",
    "DemoSource": "eventstudy.data.demo",
    "CsvSource": "eventstudy.data.csv",
    "EventStudyError": "eventstudy.core.errors",
    "ConfigError": "eventstudy.core.errors",
    "PriceDataError": "eventstudy.core.errors",
}

__all__ = [
    "Alignment",
    "ConfigError",
    "CsvSource",
    "DemoSource",
    "Event",
    "EventStudyError",
    "MarketModelFit",
    "PriceDataError",
    "PriceSource",
    "PriceTable",
    "Study",
    "StudyResult",
    "StudySettings",
    "Summary",
    "__version__",
    "abnormal_returns",
    "align_event",
    "align_study",
    "car_variance",
    "exchange_for",
    "fit_market_model",
    "get_source",
    "load_study",
    "parse_study",
    "run_study",
    "session_returns",
    "session_span",
]

if TYPE_CHECKING:
    from eventstudy.core.errors import ConfigError, EventStudyError, PriceDataError
    from eventstudy.core.prices import PriceSource, PriceTable
    from eventstudy.core.settings import Event, StudySettings
    from eventstudy.data import get_source
    from eventstudy.data.csv import CsvSource
    from eventstudy.data.demo import DemoSource
    from eventstudy.models.abnormal import abnormal_returns, car_variance
    from eventstudy.models.fits import MarketModelFit, fit_market_model
    from eventstudy.outputs.result import StudyResult
    from eventstudy.pipeline.summary import Summary
    from eventstudy.sessions.calendar import Alignment, align_event, exchange_for, session_span
    from eventstudy.sessions.pairs import align_study
    from eventstudy.sessions.returns import session_returns
    from eventstudy.study import Study, load_study, parse_study, run_study


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
