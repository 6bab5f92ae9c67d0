"""The ``eventstudy`` command line: ``run``, ``list`` and ``validate``.

Each command is a thin shell over the library. A user mistake (bad events file, bad
prices, unknown event id) prints one line starting with ``error:`` and exits with
code 2; nothing is written in that case.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="eventstudy",
    help="Market-impact event studies: did this news move these stocks, by how much, "
    "and how sure are we?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EventsFile = Annotated[Path, typer.Argument(help="The events file (YAML).", show_default=True)]
USER_ERROR = 2


def _err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the toolkit's errors into a one-line message and exit code 2."""
    from eventstudy.errors import EventStudyError

    try:
        yield
    except EventStudyError as exc:
        _err(str(exc))
        raise typer.Exit(USER_ERROR) from None
    except KeyboardInterrupt:
        _err("interrupted; files already written are complete, nothing is half-written")
        raise typer.Exit(130) from None


@app.command()
def run(
    events_file: EventsFile = Path("events.yaml"),
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="Run only this event id (repeatable)."),
    ] = None,
    source: Annotated[
        str, typer.Option(help="Price source: demo (built-in, synthetic), csv or yahoo.")
    ] = "demo",
    prices: Annotated[
        Path | None,
        typer.Option(help="For --source csv: a wide or long CSV, or a folder of TICKER.csv."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Output folder; results go in OUT/<study-name>/.")
    ] = Path("outputs"),
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the PNG figures.")] = True,
) -> None:
    """Run the study (all events, or those given with --event) and write the results.

    Example: eventstudy run --source demo --event ft-ai-talent
    """
    with _user_errors():
        from eventstudy.config import load_study
        from eventstudy.errors import EventStudyError

        study = load_study(events_file)
        result = study.run(source=source, prices=prices, event_ids=event)
        if result.models.empty:
            reasons = "; ".join(
                f"{r.event_id}/{r.ticker}: {r.reason}" for r in result.skipped.head(3).itertuples()
            )
            raise EventStudyError(
                f"no (event, security) pair could be estimated ({reasons})", file=events_file
            )
        try:
            written = result.save(out, plots=plots)
        except OSError as exc:
            raise EventStudyError(
                f"cannot write the results ({exc.strerror})", file=exc.filename or out
            ) from None
    typer.echo(result.summary().as_text())
    folder = out / study.study.name
    typer.echo(f"\nWrote {len(written)} files to {folder}/")


def _describe(study_path: Path, show: Callable[[str], None]) -> None:
    from eventstudy.config import load_study
    from eventstudy.study import align_study

    study = load_study(study_path)
    pairs = align_study(study)
    by_event: dict[str, list[str]] = {}
    for p in pairs:
        a = p.alignment
        mark = " (shifted)" if a.shifted else ""
        by_event.setdefault(p.event_id, []).append(
            f"    {p.ticker:<8} {a.exchange}  day 0 {a.day0:%Y-%m-%d}{mark}: {a.reason}"
            + (f"  [benchmark {p.benchmark}]" if p.benchmark != study.study.benchmark else "")
        )
    for event in study.events:
        when = f"{event.date:%Y-%m-%d}"
        if event.time is not None:
            when += f" {event.time:%H:%M} {study.timezone_for(event)}"
        show(f"{event.id}  [{event.category or '-'}]  {when}")
        show(f"  {event.title}")
        for line in by_event.get(event.id, []):
            show(line)


@app.command("list")
def list_events(events_file: EventsFile = Path("events.yaml")) -> None:
    """List the events with their resolved day 0 per security."""
    with _user_errors():
        _describe(events_file, typer.echo)


@app.command()
def validate(events_file: EventsFile = Path("events.yaml")) -> None:
    """Check the events file and say what is wrong (every problem, one per line)."""
    from eventstudy.config import load_study
    from eventstudy.errors import ConfigError

    try:
        study = load_study(events_file)
    except ConfigError as exc:
        for problem in exc.problems:
            _err(str(problem))
        raise typer.Exit(USER_ERROR) from None
    with _user_errors():
        from eventstudy.study import align_study

        pairs = align_study(study)
    n_sec = len({p.ticker for p in pairs})
    typer.echo(
        f"{events_file}: OK: {len(study.events)} events, {n_sec} securities, "
        f"{len(pairs)} (event, security) pairs; day 0 resolved for every pair"
    )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
