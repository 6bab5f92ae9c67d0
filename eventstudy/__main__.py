"""``python -m eventstudy``."""

from eventstudy.cli.app import main

main()
