"""The command line's overrides of a study's settings: ``--bhar`` and ``--regress``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstudy.core.study import Study


def bhar_window(text: str) -> list[int]:
    """``--bhar 0,250`` as ``[0, 250]``; anything else is a user error naming the option."""
    from eventstudy.core.errors import EventStudyError

    parts = [p.strip() for p in text.split(",")]
    try:
        start, end = (int(p) for p in parts)
    except ValueError:
        raise EventStudyError(
            f"'{text}' is not a window START,END in sessions (e.g. 0,250)", field="--bhar"
        ) from None
    return [start, end]


def with_regressions(study: Study, formulas: list[str]) -> Study:
    """``study`` with the ``--regress`` formulas added to its ``regressions`` (CAR[0,+1])."""
    from pydantic import ValidationError

    from eventstudy.core.errors import ConfigError
    from eventstudy.core.settings import StudySettings
    from eventstudy.events.problems import problems_from

    raw = study.study.model_dump() | {"regressions": [*study.study.regressions, *formulas]}
    try:
        settings = StudySettings.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc, {"study": raw}, "--regress")
        raise ConfigError(problems) from None
    return study.model_copy(update={"study": settings})
