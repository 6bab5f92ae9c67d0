"""The result of an intraday run: its record (:mod:`eventstudy.intraday.record`), saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventstudy.intraday.record import IntradayRecord

__all__ = ["IntradayResult"]


class IntradayResult(IntradayRecord):
    """An intraday run's tables, summary and tests, with :meth:`save`."""

    def save(
        self,
        out: str | Path = "outputs",
        *,
        plots: bool = True,
        formats: tuple[str, ...] = ("png",),
        tables: tuple[str, ...] = ("csv",),
        **_: Any,
    ) -> dict[str, Path]:
        """Write the tables, figures, ``report.html`` and ``manifest.json`` into ``out/<name>/``.

        Intraday runs write CSV tables and PNG figures: other ``formats`` and ``tables``
        (``svg``, ``parquet``, ``xlsx``) are not written, with a warning; the daily
        ``figures`` and ``progress`` options are accepted and have no effect.
        """
        from eventstudy.intraday.saving import save_intraday

        extra = [f for f in (*formats, *tables) if f not in ("png", "csv")]
        if extra:
            import warnings

            warnings.warn(
                f"{', '.join(extra)} not written for an intraday run (CSV tables, PNG figures)",
                UserWarning,
                stacklevel=2,
            )

        return save_intraday(self, Path(out), plots=plots)
