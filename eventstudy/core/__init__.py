"""The study's own data types, at the bottom of every layer: settings, events, the study spec,
price tables, errors, atomic file writes.
"""
