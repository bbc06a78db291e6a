"""The scheduler: collects each package's `tasks` module and runs each job in its own session.

A package offers jobs with a `tasks.py` that defines `register(jobs, settings)`; see
`oversight.jobs.registry`. `oversight scheduler` runs them (once cluster-wide: the leader
holds a PostgreSQL advisory lock); `oversight jobs list|run NAME` inspects and runs them.
"""
