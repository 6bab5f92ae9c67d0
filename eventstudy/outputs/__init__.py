"""What a run writes and shows: tables (CSV, Parquet, Excel), figures, report.html, manifest.json,
and the public StudyResult.
"""
