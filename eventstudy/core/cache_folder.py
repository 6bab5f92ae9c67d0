"""Where eventstudy keeps what it caches between runs: prices and exchange calendars."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "EVENTSTUDY_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$EVENTSTUDY_CACHE_DIR`` if set, else the platform's user cache folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("eventstudy", appauthor=False))
