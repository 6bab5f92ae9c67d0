"""eventstudy: market-impact event studies."""

__version__ = "0.1.0"
