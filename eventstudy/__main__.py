"""``python -m eventstudy``."""

from eventstudy.cli import main

main()
