"""The options of ``eventstudy run``, one annotated type each (see :mod:`eventstudy.cli.app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EventOption = Annotated[
    list[str] | None,
    typer.Option("--event", "-e", help="Run only this event id (repeatable)."),
]

SourceOption = Annotated[
    str | None,
    typer.Option(
        help="Price source: yahoo (cached), csv (--prices), parquet (--prices: a long "
        "Parquet file, folder or URL) or demo (synthetic). Default: parquet with --prices "
        "*.parquet, csv with other --prices, else yahoo.",
        show_default=False,
    ),
]

PricesOption = Annotated[
    str | None,  # text, not a Path: a URL (s3://...) keeps its double slash
    typer.Option(
        help="Your prices: a wide or long CSV, or a folder of TICKER.csv (the csv source); "
        "a long Parquet file, folder or URL (the parquet source).",
        show_default=False,
    ),
]

OutOption = Annotated[Path, typer.Option(help="Output folder; results go in OUT/<study-name>/.")]

PlotsOption = Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the figures.")]

FiguresOption = Annotated[
    str,
    typer.Option(
        "--figures",
        help="Which events get their own figures: auto (all up to 40, else the 40 "
        "smallest CAR p; every --event), all, none or a number.",
    ),
]

SvgOption = Annotated[
    bool, typer.Option("--svg", help="Also write every figure as SVG (next to the PNG).")
]

ParquetOption = Annotated[
    bool,
    typer.Option("--parquet", help="Also write every table as <table>.parquet (typed)."),
]

XlsxOption = Annotated[
    bool,
    typer.Option("--xlsx", help="Also write results.xlsx, one sheet per table (typed)."),
]

TestsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tests",
        help="Tests for tests.csv, comma-separated or repeated (e.g. cs_t,kp_bmp_t,"
        "bootstrap), 'all', 'none' or 'combinable' (the default tests --engine dask "
        "combines from its partitions); default: the standard set.",
    ),
]

ModelOption = Annotated[
    str | None,
    typer.Option(
        help="Normal-return model for every event: constant-mean, market-adjusted, "
        "market, factor, scholes-williams, dimson or garch (default: as in the events file)."
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        help="Where the study runs: local (this process) or dask (the whole pipeline "
        "on a dask.distributed cluster, partitioned by security, from --source parquet; "
        "needs eventstudy\\[dask])."
    ),
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="With --engine dask: the scheduler address (tcp://host:8786); "
        "default a local cluster.",
        show_default=False,
    ),
]

PartitionPairsOption = Annotated[
    int | None,
    typer.Option(
        "--partition-pairs",
        min=1,
        help="With --engine dask: (event, security) pairs per partition "
        "(default 5,000; all events of a security stay in one partition).",
        show_default=False,
    ),
]

BenchmarkOption = Annotated[
    str | None,
    typer.Option(
        help="Market proxy for every security (default: as in the events file, else SPY).",
        show_default=False,
    ),
]

SecuritiesOption = Annotated[
    str | None,
    typer.Option(
        help="Default securities, comma-separated (e.g. BABA,3690.HK,NVDA), for every "
        "event that names none of its own (default: as in the events file).",
        show_default=False,
    ),
]

NameOption = Annotated[
    str | None,
    typer.Option(
        help="Study name, the output folder's name (default: as in the events file, "
        "or the events table's file name).",
        show_default=False,
    ),
]

PlaceboOption = Annotated[
    int | None,
    typer.Option(
        "--placebo",
        min=1,
        help="Placebo study: N random day 0s per security (--placebo alone: 500), "
        "run like the study; writes placebo.csv, placebo_size.csv and car.csv "
        "car_p_placebo (default: the events file's placebo key, else off).",
        show_default=False,
    ),
]

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors (no warnings).")
]

JsonOutputOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout instead of the summary: the output "
        "folder, the files written, counts and the CAR[0,+1] rows.",
    ),
]

MeasuresOption = Annotated[
    str | None,
    typer.Option(
        help="Measures, comma-separated: return (always), volume, volatility "
        "(default: the events file's measures key, else return).",
        show_default=False,
    ),
]

RegressOption = Annotated[
    list[str] | None,
    typer.Option(
        "--regress",
        help='Second-stage regression of CAR[0,+1], e.g. "car ~ beta + C(category)" '
        "(repeatable; HC1 covariance; adds to the events file's regressions key); "
        "writes regression.csv.",
        show_default=False,
    ),
]

BharOption = Annotated[
    list[str] | None,
    typer.Option(
        "--bhar",
        help="Long-horizon window in sessions from day 0, e.g. 0,250 (repeatable): BHARs "
        "(bhar.csv), their tests and calendar-time portfolios (default: the events file's "
        "bhar_windows key, else none).",
        show_default=False,
    ),
]
