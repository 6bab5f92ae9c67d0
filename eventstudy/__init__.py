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
    "load_study": "eventstudy.config",
    "parse_study": "eventstudy.config",
    "Study": "eventstudy.config",
    "StudySettings": "eventstudy.config",
    "Event": "eventstudy.config",
    "run_study": "eventstudy.study",
    "align_study": "eventstudy.study",
    "StudyResult": "eventstudy.results",
    "Summary": "eventstudy.results",
    "align_event": "eventstudy.calendar",
    "Alignment": "eventstudy.calendar",
    "exchange_for": "eventstudy.calendar",
    "session_span": "eventstudy.calendar",
    "session_returns": "eventstudy.returns",
    "fit_market_model": "eventstudy.models",
    "MarketModelFit": "eventstudy.models",
    "abnormal_returns": "eventstudy.abnormal",
    "car_variance": "eventstudy.abnormal",
    "get_source": "eventstudy.data",
    "PriceSource": "eventstudy.data.base",
    "PriceTable": "eventstudy.data.base",
    "DemoSource": "eventstudy.data.demo",
    "CsvSource": "eventstudy.data.csv",
    "EventStudyError": "eventstudy.errors",
    "ConfigError": "eventstudy.errors",
    "PriceDataError": "eventstudy.errors",
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
    from eventstudy.abnormal import abnormal_returns, car_variance
    from eventstudy.calendar import Alignment, align_event, exchange_for, session_span
    from eventstudy.config import Event, Study, StudySettings, load_study, parse_study
    from eventstudy.data import get_source
    from eventstudy.data.base import PriceSource, PriceTable
    from eventstudy.data.csv import CsvSource
    from eventstudy.data.demo import DemoSource
    from eventstudy.errors import ConfigError, EventStudyError, PriceDataError
    from eventstudy.models import MarketModelFit, fit_market_model
    from eventstudy.results import StudyResult, Summary
    from eventstudy.returns import session_returns
    from eventstudy.study import align_study, run_study


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
