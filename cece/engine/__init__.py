"""Compute and reduce: the block loop every command shares, and the commands' tasks.

``pipeline`` runs blocks on worker threads and folds them in order into the mergeable
aggregates of ``reduce``; ``task`` defines the hooks a command fills in (``categorical``,
``binary``, ``measures``); ``documents`` reads cece's JSON back for baselines and merges.
"""
