"""Normal-return models and the batched engine: market model and its kin, GARCH, estimation of
stacked pairs, AR and CAR rows.
"""
