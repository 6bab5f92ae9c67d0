"""Errors the toolkit raises for problems a user can fix.

Every user-facing problem is an :class:`EventStudyError`. Its message names the file,
the event and the field concerned so that the command line can print it as one line
and exit with code 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path


def _one_line(text: str) -> str:
    """Escape line breaks so a message always prints as one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class EventStudyError(Exception):
    """A problem with the user's input: events file, prices, options.

    Parameters
    ----------
    message
        What is wrong and, where it helps, what to do about it.
    file
        The file the problem is in, if any.
    event_id
        The event concerned, if any.
    field
        The field (key) concerned, if any.
    location
        Where in the file, e.g. ``"line 12"`` (a CSV table) or ``"row 3"`` (a Parquet
        file or a DataFrame), if known.
    column
        The column of a table concerned, if any (in place of ``field``).
    """

    LABEL = "field"
    """How the message names :attr:`field`."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        event_id: str | None = None,
        field: str | None = None,
        location: str | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.event_id = event_id
        self.field = field
        self.location = location
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.location:
            parts.append(self.location)
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.event_id:
            parts.append(f"event '{self.event_id}'")
        if self.field:
            parts.append(f"{self.LABEL} '{self.field}'")
        parts.append(self.message)
        return _one_line(": ".join(parts))


class ConfigError(EventStudyError):
    """The events file is unreadable or does not validate."""

    def __init__(self, problems: list[EventStudyError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            first.message,
            file=first.file,
            event_id=first.event_id,
            field=first.field,
            location=first.location,
            column=first.column,
        )

    def __str__(self) -> str:
        first = str(self.problems[0])
        extra = len(self.problems) - 1
        if extra:
            return f"{first} (and {extra} more problem{'s' if extra > 1 else ''})"
        return first


class PriceDataError(EventStudyError):
    """A prices file or folder is missing, malformed or holds impossible values."""


class ArgumentError(EventStudyError):
    """A bad value of a Python argument that is a command-line option too.

    From Python the message names the argument (``argument 'event_id'``); the command
    line names its option instead (``field '--event'``), see :meth:`as_option`.

    Parameters
    ----------
    message
        What is wrong.
    argument
        The Python argument (e.g. ``"tests"``).
    option
        The command-line option (default: ``--`` and the argument, ``_`` as ``-``).
    file
        The file the problem is in, if any.
    """

    LABEL = "argument"

    def __init__(
        self,
        message: str,
        *,
        argument: str,
        option: str | None = None,
        file: str | Path | None = None,
    ) -> None:
        self.argument = argument
        self.option = option or "--" + argument.replace("_", "-")
        super().__init__(message, file=file, field=argument)

    def as_option(self) -> ArgumentError:
        """This error in the command line's words: ``field '--event'``."""
        self.field, self.LABEL = self.option, "field"
        self.args = (str(self),)
        return self


class UnknownEventError(ArgumentError):
    """An event id asked for is not in the events file."""


class NoPairsError(EventStudyError):
    """No (event, security) pair of a run could be estimated; the message says why."""


class SkippedPairsWarning(UserWarning):
    """Some (event, security) pairs of a run could not be estimated (``result.skipped``)."""


class FetchError(EventStudyError):
    """A price source (Yahoo) could not deliver data and the cache cannot stand in (exit 1)."""

    exit_code = 1
