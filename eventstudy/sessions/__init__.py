"""Exchange calendars and returns: day 0 of every (event, security) pair, sessions, simple and
trade-to-trade returns, neighbouring events.
"""
