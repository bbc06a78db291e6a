"""Logs (structlog), metrics (prometheus_client), Sentry and the health probes.

Foundation code: the modules here import no domain package, except `business` (the
business gauges read the domain's own definitions of "open" and "overdue") and `health`.
"""
