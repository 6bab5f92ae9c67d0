"""The measures of a run: what a run produced (StudyRecord), volume, volatility, long horizons,
calendar time, placebo dates, regressions.
"""
