"""The command line's terminal side: error lines, warnings, progress bars and printed views.

:func:`user_errors` turns the toolkit's errors into one ``error:`` line and an exit
code (2 for a user mistake, 1 for a data-source failure, 130 on Ctrl-C);
:func:`progress_bar` is a rich progress bar on a terminal; :func:`print_summary` prints
what ``run`` shows (:mod:`eventstudy.cli.listing` what ``list`` shows). :mod:`eventstudy.cli.app`
holds the
commands and their options.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from eventstudy.data import ProgressCallback
    from eventstudy.outputs.result import StudyResult

USER_ERROR = 2


def err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"warning: {message}", err=True)


def _hide_warning(*args: object, **kwargs: object) -> None:
    """``--quiet``: warnings are not shown (errors still are)."""


@contextmanager
def user_errors(quiet: bool = False) -> Iterator[None]:
    """Turn the toolkit's errors into a one-line message and an exit code."""
    from eventstudy.core.errors import ArgumentError, EventStudyError

    previous = warnings.showwarning
    warnings.showwarning = _hide_warning if quiet else _show_warning
    try:
        yield
    except EventStudyError as exc:
        if isinstance(exc, ArgumentError):
            exc.as_option()
        err(str(exc))
        raise typer.Exit(getattr(exc, "exit_code", USER_ERROR)) from None
    except OSError as exc:  # a folder or disk problem (e.g. --cache-dir, disk full)
        where = f"{exc.filename}: " if exc.filename else ""
        err(f"{where}cannot read or write ({exc.strerror or exc})")
        raise typer.Exit(USER_ERROR) from None
    except KeyboardInterrupt:
        err("interrupted; files already written are complete, nothing is half-written")
        raise typer.Exit(130) from None
    finally:
        warnings.showwarning = previous


@contextmanager
def skips_listed() -> Iterator[None]:
    """Silence the library's skipped-pairs warning: the summary lists those pairs."""
    from eventstudy.core.errors import SkippedPairsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedPairsWarning)
        yield


@contextmanager
def progress_bar(enabled: bool, what: str = "prices") -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr fed by ``progress(item, i, n)`` calls (TTY only)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(ticker: str, i: int, n: int) -> None:
            bar.update(task, completed=i, total=n, description=f"{what}: {ticker}")

        yield update


def print_summary(result: StudyResult, folder: Path, written: dict[str, Path]) -> None:
    """Plain-text summary, or on a terminal a compact rich table."""
    if not sys.stdout.isatty():
        typer.echo(result.summary().as_text())
        typer.echo(f"\nWrote {len(written)} files to {folder}/")
        return
    from rich.console import Console
    from rich.text import Text

    from eventstudy.outputs.report import rich_table

    console = Console(highlight=False)
    summary = result.summary()
    for key, value in summary.header:
        console.print(Text.assemble((f"{key:<16} ", "dim"), value))
    console.print()
    console.print(rich_table(result))
    for note in summary.notes:
        console.print(Text(note, style="yellow"))
    report = folder / "report.html"
    console.print(
        Text.assemble(
            f"\nWrote {len(written)} files to ",
            (f"{folder}/", "bold"),
            "; open ",
            (str(report), "bold"),
        )
    )
