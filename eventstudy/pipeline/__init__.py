"""The pipeline that runs a daily study: estimate, long horizons, placebo; its result with the
tests computed on demand (RunResult).
"""
