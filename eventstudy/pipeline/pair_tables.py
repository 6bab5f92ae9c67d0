"""The ARs, CARs and models tables of fitted groups, in the order of the study's pairs.

Used by the daily pipeline (:mod:`eventstudy.pipeline.run`), its Dask tasks
(:mod:`eventstudy.distributed.tasks`) and intraday runs (:mod:`eventstudy.intraday`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.core.settings import factor_names
from eventstudy.models.estimation import Estimates
from eventstudy.models.tables import tables

if TYPE_CHECKING:
    from eventstudy.core.settings import StudySettings
    from eventstudy.sessions.pairs import Pair


def ordered_tables(
    groups: list[Estimates], pairs: list[Pair], settings: StudySettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Concatenate the groups' tables in the order of ``pairs`` (events-file order)."""
    from eventstudy.measures.record import AR_COLUMNS, CAR_COLUMNS, MODEL_COLUMNS

    parts = [tables(g, settings.car_windows, factor_names(settings)) for g in groups]
    if not parts:
        return (
            pd.DataFrame(columns=AR_COLUMNS),
            pd.DataFrame(columns=CAR_COLUMNS),
            pd.DataFrame(columns=MODEL_COLUMNS),
        )
    order = {(p.event_id, p.ticker): i for i, p in enumerate(pairs)}
    ranks: list[list[np.ndarray]] = [[], [], []]
    for g in groups:  # the rows of tables(g): pair-major ARs, window-major CARs, models
        pos = np.array([order[(p.event_id, p.ticker)] for p in g.pairs], dtype=np.int64)
        width = g.event_window[1] - g.event_window[0] + 1
        ranks[0].append(np.repeat(pos, width))
        ranks[1].append(np.tile(pos, len(settings.car_windows)))
        ranks[2].append(pos)
    out = []
    for k in range(3):
        frame = pd.concat([part[k] for part in parts], ignore_index=True)
        rank = np.concatenate(ranks[k])
        if len(parts) > 1 or (np.diff(rank) < 0).any():
            frame = frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
        out.append(frame)
    return out[0], out[1], out[2]
