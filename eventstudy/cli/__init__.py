"""The command line on top of everything: eventstudy run, fetch, cache, list and validate."""
