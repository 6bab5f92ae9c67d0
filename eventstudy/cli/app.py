"""The ``eventstudy`` command line: ``run``, ``fetch``, ``cache``, ``list``, ``validate``.

Each command is a thin shell over the library. A user mistake (bad events file, bad
prices, unknown event id) prints one line starting with ``error:`` and exits with
code 2; a data-source failure (Yahoo rate limit, or Yahoo unreachable with nothing
cached to stand in) exits with code 1. Nothing is half-written in either case.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from eventstudy.cli.console import (
    USER_ERROR,
    err,
    print_summary,
    progress_bar,
    skips_listed,
    user_errors,
)
from eventstudy.cli.help_format import Command, Group
from eventstudy.cli.listing import describe
from eventstudy.cli.options import (
    BenchmarkOption,
    BharOption,
    CacheDir,
    EngineOption,
    EventOption,
    EventsFile,
    FiguresOption,
    JsonOutputOption,
    MeasuresOption,
    ModelOption,
    NameOption,
    Offline,
    OutOption,
    ParquetOption,
    PartitionPairsOption,
    PlaceboOption,
    PlotsOption,
    PricesOption,
    QuietOption,
    RegressOption,
    SchedulerOption,
    SecuritiesOption,
    SourceOption,
    SvgOption,
    TestsOption,
    XlsxOption,
)
from eventstudy.cli.overrides import bhar_window, with_regressions

app = typer.Typer(
    name="eventstudy",
    help="Market-impact event studies: did this news move these stocks, by how much, "
    "and how sure are we?",
    epilog="Examples:\n\n"
    "  eventstudy validate events.yaml   # check the events file\n"
    "  eventstudy list                   # day 0 of every (event, security)\n"
    "  eventstudy run --source demo      # the whole study, offline, demo data\n"
    "  eventstudy run --json --quiet     # machine-readable result on stdout\n\n"
    "Run 'eventstudy COMMAND --help' for a command's options.",
    no_args_is_help=True,
    add_completion=False,
    cls=Group,
    pretty_exceptions_enable=False,
)


@app.command(cls=Command)
def run(
    events_file: EventsFile = Path("events.yaml"),
    event: EventOption = None,
    source: SourceOption = None,
    prices: PricesOption = None,
    offline: Offline = False,
    cache_dir: CacheDir = None,
    securities: SecuritiesOption = None,
    model: ModelOption = None,
    benchmark: BenchmarkOption = None,
    measures: MeasuresOption = None,
    tests: TestsOption = None,
    placebo: PlaceboOption = None,
    regress: RegressOption = None,
    bhar: BharOption = None,
    out: OutOption = Path("outputs"),
    name: NameOption = None,
    plots: PlotsOption = True,
    figures: FiguresOption = "auto",
    svg: SvgOption = False,
    parquet: ParquetOption = False,
    xlsx: XlsxOption = False,
    json_output: JsonOutputOption = False,
    quiet: QuietOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    partition_pairs: PartitionPairsOption = None,
) -> None:
    """Run the study and write its tables, figures and report.

    Runs every event (or those given with --event) and writes CSV tables, figures
    (PNG; --svg adds SVG), report.html and manifest.json into OUT/<study-name>/,
    then prints a summary.

    Examples:

      eventstudy run --source demo           # offline, synthetic prices
      eventstudy run -e ft-ai-talent -e deepseek-r1
      eventstudy run --prices prices/ --out results   # your own prices (csv)
      eventstudy run earnings.csv --prices prices.csv --benchmark SPY
      eventstudy run --json | jq '.car[] | select(.car_p < 0.05)'
      eventstudy run --offline --quiet       # cached Yahoo prices only
    """
    begun = datetime.now(UTC)  # the run's start: reading the events file is part of it
    with user_errors(quiet):
        from eventstudy.core.errors import EventStudyError
        from eventstudy.outputs.plots import check_figures
        from eventstudy.study import load_study

        choice = check_figures(figures)
        essentials: dict[str, object] = {
            "benchmark": benchmark,
            "name": name,
            "placebo": placebo,
        }
        if securities is not None:
            essentials["securities"] = [t.strip() for t in securities.split(",") if t.strip()]
        if measures is not None:
            essentials["measures"] = [m.strip() for m in measures.split(",") if m.strip()]
        if bhar:
            essentials["bhar_windows"] = [bhar_window(w) for w in bhar]
        given = {k: v for k, v in essentials.items() if v is not None}
        if engine == "dask":  # events as columns, tables on disk (eventstudy.distributed)
            from eventstudy.cli.dask import finish, run_dask

            with skips_listed():
                dask_result = run_dask(
                    events_file, given, model=model, regress=regress or [], source=source,
                    prices=prices, event_ids=event, tests=tests, scheduler=scheduler, out=out,
                    partition_pairs=partition_pairs,
                )  # fmt: skip
            finish(dask_result, out, plots=plots, quiet=quiet, json_output=json_output)
            return
        study = load_study(events_file, **given)
        if model is not None:
            study = study.with_model(model)
        if regress:
            study = with_regressions(study, regress)
        yahoo = (source or ("csv" if prices is not None else "yahoo")) == "yahoo"
        with progress_bar(yahoo and not (quiet or json_output)) as progress, skips_listed():
            result = study.run(
                source=source,
                prices=prices,
                event_ids=event,
                tests=tests,
                engine=engine,
                scheduler=scheduler,
                cache_dir=cache_dir,
                offline=offline,
                progress=progress,
                out=out,
                partition_pairs=partition_pairs,
            )
        result = replace(result, started=begun)
        formats = ("png", "svg") if svg else ("png",)
        with progress_bar(plots and not (quiet or json_output), "figures") as drawn:
            try:
                tables = ("csv",) + ("parquet",) * parquet + ("xlsx",) * xlsx
                written = result.save(
                    out, plots=plots, figures=choice, formats=formats, progress=drawn, tables=tables
                )
            except OSError as exc:
                raise EventStudyError(
                    f"cannot write the results ({exc.strerror})", file=exc.filename or out
                ) from None
    folder = out / study.study.name
    if study.study.interval != "1d":  # an intraday run (eventstudy.intraday)
        from eventstudy.cli.intraday_json import json_summary

        if json_output:
            import json

            typer.echo(json.dumps(json_summary(result, folder, written), indent=2))  # type: ignore[arg-type]
        elif not quiet:
            typer.echo(f"{result}\n\nWrote {len(written)} files to {folder}/")
        return
    if json_output:
        import json

        from eventstudy.outputs.report import json_summary

        typer.echo(json.dumps(json_summary(result, folder, written), indent=2))
    elif not quiet:
        print_summary(result, folder, written)


@app.command(cls=Command)
def fetch(
    events_file: EventsFile = Path("events.yaml"),
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="Only the prices these events need (repeatable)."),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Download again even what is cached.")
    ] = False,
    offline: Offline = False,
    cache_dir: CacheDir = None,
) -> None:
    """Download into the cache the prices a study needs (Yahoo).

    Downloads (or, with --refresh, downloads again) every price the study needs.
    """
    with user_errors(), progress_bar(not offline) as progress:
        from eventstudy.data.cache import PriceCache
        from eventstudy.data.yahoo import YahooSource
        from eventstudy.sessions.pairs import align_study, plan_prices
        from eventstudy.study import load_study

        study = load_study(events_file)
        if study.study.interval != "1d":
            from eventstudy.core.errors import EventStudyError

            raise EventStudyError(
                f"fetch gets daily prices; this study has {study.study.interval} bars: "
                "'eventstudy run' fetches them into the cache (and reuses it)",
                file=events_file,
                field="interval",
            )
        plan = plan_prices(study, align_study(study, event))
        source = YahooSource(
            PriceCache(cache_dir), offline=offline, refresh=refresh, progress=progress
        )
        report = source.fetch(plan.tickers, plan.start, plan.end)
    typer.echo(f"Prices {plan.start:%Y-%m-%d}..{plan.end:%Y-%m-%d} in {source.cache.folder}")
    for ticker in plan.tickers:
        if ticker in report.fetched:
            ranges = ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in report.fetched[ticker])
            typer.echo(f"  {ticker:<10} fetched {ranges}")
        elif ticker in report.missing:
            typer.echo(f"  {ticker:<10} MISSING: {report.missing[ticker].reason}")
        else:
            typer.echo(f"  {ticker:<10} cached")
    if report.missing:
        raise typer.Exit(1)


@app.command(cls=Command)
def cache(
    clear: Annotated[
        bool, typer.Option("--clear", help="Delete cached prices (all, or the TICKERS given).")
    ] = False,
    tickers: Annotated[list[str] | None, typer.Argument(help="Tickers to clear.")] = None,
    cache_dir: CacheDir = None,
) -> None:
    """List or clear the price cache.

    Lists each cached ticker with its dates, rows and when it was fetched.
    """
    with user_errors():
        from eventstudy.data.cache import PriceCache

        store = PriceCache(cache_dir)
        if clear:
            removed = store.clear(tickers)
            typer.echo(f"Removed {len(removed)} cached tickers from {store.folder}")
            return
        entries = [e.summary() for e in store.entries()]
    typer.echo(f"Price cache: {store.folder}")
    if not entries:
        typer.echo("  (empty)")
    for e in entries:
        typer.echo(
            f"  {e['ticker']:<10} {e['first_date']}..{e['last_date']}  {e['rows']:>6} rows  "
            f"fetched {e['fetched_at']}"
        )


@app.command("list", cls=Command)
def list_events(events_file: EventsFile = Path("events.yaml")) -> None:
    """List the events and each security's day 0."""
    with user_errors():
        describe(events_file, typer.echo)


@app.command(cls=Command)
def validate(events_file: EventsFile = Path("events.yaml")) -> None:
    """Check the events file; print every problem, one per line."""
    from eventstudy.core.errors import ConfigError
    from eventstudy.core.words import plural
    from eventstudy.study import load_study

    with user_errors():  # warnings as 'warning:' lines; every problem of the file, each one line
        try:
            study = load_study(events_file)
        except ConfigError as exc:
            for problem in exc.problems:
                err(str(problem))
            raise typer.Exit(USER_ERROR) from None
        from eventstudy.sessions.pairs import audience

        selected = study.select(None)
        pairs = audience(study, selected)  # day 0 of every pair (align_study's, unpaired)
    n_sec = len(set(pairs.ticker))
    n_study = len(selected)
    typer.echo(
        f"{events_file}: OK: {plural(len(study.events), 'event')} "
        f"({plural(n_study, 'study event')}, {plural(len(study.events) - n_study, 'confounder')}), "
        f"{plural(n_sec, 'security', 'securities')}, "
        f"{plural(len(pairs.ticker), '(event, security) pair')}; day 0 resolved for every pair"
    )
    if study.events_table:
        kept = ", ".join(study.event_attributes) or "none"
        typer.echo(f"events from {study.events_table}; columns kept as attributes: {kept}")


PLACEBO_DEFAULT = "500"


def optional_placebo_value(args: list[str]) -> list[str]:
    """``--placebo`` without a number means ``--placebo 500`` (click needs a value)."""
    out = []
    for i, arg in enumerate(args):
        out.append(arg)
        following = args[i + 1] if i + 1 < len(args) else ""
        if arg == "--placebo" and not following.isdigit():
            out.append(PLACEBO_DEFAULT)
    return out


def main() -> None:
    """Console-script entry point."""
    sys.argv[1:] = optional_placebo_value(sys.argv[1:])
    if sys.argv[1:] in ([], ["--help"]):  # plain click help: rich's import alone takes ~0.5 s
        app.rich_markup_mode = None
        app.info.epilog = (app.info.epilog or "").replace("Examples:\n\n", "Examples:\n\n\b\n")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
