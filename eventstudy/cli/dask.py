"""What ``eventstudy run --engine dask`` does: load, run, save, then report briefly.

:func:`run_dask` loads the events file with its events as columns
(:func:`eventstudy.distributed.events.load_events`: a million-event table never becomes
a million ``Event`` objects on the driver) and runs it; :func:`finish` saves it. The
figures, ``report.html`` and the rich summary read the whole AR panel, which a Dask
run keeps on disk; this first version writes the tables and says so instead.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from eventstudy.distributed.result import DaskStudyResult

NO_FIGURES = (
    "--engine dask draws no figures and no report.html yet (the tables, tests.csv and "
    "manifest.json are complete); use --no-plots to silence this"
)


def run_dask(
    events_file: Path,
    settings: dict[str, Any],
    *,
    model: str | None,
    regress: list[str],
    tests: str | list[str] | None,
    event_ids: list[str] | None,
    **options: Any,
) -> DaskStudyResult:
    """Load ``events_file`` (with the command line's ``study:`` settings) and run it on
    the cluster; ``options`` go to :func:`eventstudy.distributed.run_distributed`."""
    from eventstudy.cli.overrides import with_regressions
    from eventstudy.distributed.events import load_events
    from eventstudy.distributed.run import run_distributed
    from eventstudy.pipeline.study_tests import check_test_names

    study, events = load_events(events_file, **settings)
    if model is not None:
        study, events = study.with_model(model), events.with_model(model)
    if regress:
        study = with_regressions(study, regress)
    return run_distributed(
        study, events=events, event_ids=event_ids, tests=check_test_names(tests), **options
    )


def finish(
    result: DaskStudyResult, out: Path, *, plots: bool, quiet: bool, json_output: bool
) -> None:
    """Save ``result`` under ``out`` and print what was written (or one JSON document)."""
    if plots:
        warnings.warn(NO_FIGURES, UserWarning, stacklevel=2)
    written = result.save(out)
    folder = out / result.study.study.name
    counts = {
        "events": len(result.event_ids),
        "pairs": result.n_pairs,
        "estimated": result.n_estimated,
        "skipped": len(result.skipped),
        "partitions": result.partitions,
        "files": len(written),
    }
    if json_output:
        document = {
            "study": result.study.study.name,
            "folder": str(folder),
            "engine": "dask",
            "files": sorted(str(p.relative_to(folder)) for p in written.values()),
            "counts": counts,
        }
        typer.echo(json.dumps(document, indent=2))
    elif not quiet:
        typer.echo(
            f"{result.study.study.name}: {counts['pairs']:,} pairs in {counts['partitions']} "
            f"partitions, {counts['estimated']:,} estimated, {counts['skipped']:,} skipped"
        )
        typer.echo(f"Wrote {len(written)} files and datasets to {folder}/")
