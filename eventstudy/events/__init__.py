"""Reading a study: events.yaml or an events table (CSV, Parquet), validated into a StudySpec with
every problem named.
"""
