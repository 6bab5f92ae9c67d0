"""The options of ``eventstudy run`` (and its events file argument), one annotated type each.

See :mod:`eventstudy.cli.app`.

``--help`` groups them in panels (:data:`INPUT`, :data:`MODEL`, :data:`TESTS`,
:data:`OUTPUTS`, :data:`SCALE`); each help text is short enough to read at 80 columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

INPUT = "Input"
MODEL = "Model"
TESTS = "Tests"
OUTPUTS = "Outputs"
SCALE = "Scale"

EventsFile = Annotated[
    Path,
    typer.Argument(
        metavar="EVENTS_FILE",
        help="events.yaml, or an events table (.csv, .parquet or .xlsx; one row per event) "
        "run with the default settings.",
        show_default=True,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Price cache folder (default: $EVENTSTUDY_CACHE_DIR, else the user cache).",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]
Offline = Annotated[
    bool,
    typer.Option(
        "--offline", help="Never use the network: prices from the cache.", rich_help_panel=INPUT
    ),
]

EventOption = Annotated[
    list[str] | None,
    typer.Option(
        "--event",
        "-e",
        metavar="ID",
        help="Run only this event id (repeatable).",
        rich_help_panel=INPUT,
    ),
]

SourceOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Price source: yahoo (cached), csv, parquet or demo (synthetic). Default: "
        "parquet for --prices *.parquet, csv for other --prices, else yahoo.",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]

PricesOption = Annotated[
    str | None,  # text, not a Path: a URL (s3://...) keeps its double slash
    typer.Option(
        metavar="PATH",
        help="Your prices: a wide or long CSV, a folder of TICKER.csv, or a long "
        "Parquet file, folder or URL.",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]

OutOption = Annotated[
    Path,
    typer.Option(
        metavar="DIR",
        help="Output folder; results go in OUT/<study-name>/.",
        rich_help_panel=OUTPUTS,
    ),
]

PlotsOption = Annotated[
    bool, typer.Option("--plots/--no-plots", help="Draw the figures.", rich_help_panel=OUTPUTS)
]

FiguresOption = Annotated[
    str,
    typer.Option(
        "--figures",
        metavar="WHICH",
        help="Events with their own figures: auto (up to 40, else the 40 smallest CAR "
        "p), all, none or a number.",
        rich_help_panel=OUTPUTS,
    ),
]

SvgOption = Annotated[
    bool,
    typer.Option("--svg", help="Also write each figure as SVG.", rich_help_panel=OUTPUTS),
]

ParquetOption = Annotated[
    bool,
    typer.Option(
        "--parquet", help="Also write each table as <table>.parquet.", rich_help_panel=OUTPUTS
    ),
]

XlsxOption = Annotated[
    bool,
    typer.Option(
        "--xlsx", help="Also write results.xlsx, a sheet per table.", rich_help_panel=OUTPUTS
    ),
]

TestsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tests",
        metavar="NAMES",
        help="Tests for tests.csv, e.g. cs_t,bootstrap (repeatable), or all, none or "
        "combinable (default: the standard set).",
        rich_help_panel=TESTS,
    ),
]

ModelOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Normal-return model: constant-mean, market-adjusted, market, factor, "
        "scholes-williams, dimson or garch (default: the events file's).",
        rich_help_panel=MODEL,
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        metavar="NAME",
        help="local (this process) or dask (a dask.distributed cluster, from --source "
        "parquet; needs eventstudy\\[dask]).",
        rich_help_panel=SCALE,
    ),
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="With --engine dask: the scheduler (tcp://host:8786); default: a local cluster.",
        show_default=False,
        rich_help_panel=SCALE,
    ),
]

PartitionPairsOption = Annotated[
    int | None,
    typer.Option(
        "--partition-pairs",
        min=1,
        metavar="N",
        help="With --engine dask: (event, security) pairs per partition (default 5,000).",
        show_default=False,
        rich_help_panel=SCALE,
    ),
]

BenchmarkOption = Annotated[
    str | None,
    typer.Option(
        metavar="TICKER",
        help="Market proxy for every security (default: the events file's, else SPY).",
        show_default=False,
        rich_help_panel=MODEL,
    ),
]

SecuritiesOption = Annotated[
    str | None,
    typer.Option(
        metavar="TICKERS",
        help="Default securities, e.g. BABA,3690.HK,NVDA, for events that name none.",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]

NameOption = Annotated[
    str | None,
    typer.Option(
        metavar="SLUG",
        help="Study name, the output folder's (default: the events file's, or the "
        "table's file name).",
        show_default=False,
        rich_help_panel=OUTPUTS,
    ),
]

PlaceboOption = Annotated[
    int | None,
    typer.Option(
        "--placebo",
        min=1,
        metavar="N",
        help="Placebo study: N random day 0s per security (alone: 500); writes "
        "placebo.csv and car.csv car_p_placebo.",
        show_default=False,
        rich_help_panel=TESTS,
    ),
]

QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print nothing but errors (no warnings).", rich_help_panel=OUTPUTS
    ),
]

JsonOutputOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document (files written, counts, CAR[0,+1] rows) instead "
        "of the summary.",
        rich_help_panel=OUTPUTS,
    ),
]

MeasuresOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAMES",
        help="Measures: return (always), volume, volatility (default: the events file's).",
        show_default=False,
        rich_help_panel=MODEL,
    ),
]

RegressOption = Annotated[
    list[str] | None,
    typer.Option(
        "--regress",
        metavar="FORMULA",
        help='Regress CAR[0,+1], e.g. "car ~ beta + C(category)" (repeatable, HC1); '
        "writes regression.csv.",
        show_default=False,
        rich_help_panel=TESTS,
    ),
]

BharOption = Annotated[
    list[str] | None,
    typer.Option(
        "--bhar",
        metavar="START,END",
        help="Long-horizon window from day 0, e.g. 0,250 (repeatable): bhar.csv, tests, "
        "calendar-time portfolios.",
        show_default=False,
        rich_help_panel=TESTS,
    ),
]
