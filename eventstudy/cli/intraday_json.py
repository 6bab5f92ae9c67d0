"""What ``eventstudy run --json`` prints for an intraday study."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.intraday.result import IntradayResult


def json_summary(result: IntradayResult, folder: Path, written: dict[str, Path]) -> dict[str, Any]:
    """What ``eventstudy run --json`` prints for an intraday run: files, counts, every CAR."""
    import json

    from eventstudy.outputs.report.summaries import run_record

    s = result.study.study
    return run_record(result, folder, written) | {  # type: ignore[arg-type]
        "interval": s.interval,
        "session": s.session,
        "car": json.loads(result.car.to_json(orient="records")),
    }
