"""What a rate-limit verdict means for a request: allowed, 429, or 503 when the limit cannot be
checked on a route that fails closed. Shared by the guard middleware (per address, per
account named at login) and the principal dependency (per signed-in user)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from oversight.edge.rules import CompiledRule
from oversight.errors import TooManyRequests
from oversight.observability import metrics
from oversight.observability.logging import get_logger
from oversight.security.rate_limiter import RateLimiter, Verdict

RULE_SCOPE_KEY = "oversight.rate_rule"

edge_log = get_logger("oversight.edge")


class LimiterUnavailable(TooManyRequests):
    """503 with `Retry-After`: the limit could not be checked and the route fails closed.

    A TooManyRequests so that it is rendered with its `Retry-After` like one.
    """

    status_code = 503
    code = "service_unavailable"


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    message: str
    retry_after: int

    def as_error(self) -> TooManyRequests:
        error_type = LimiterUnavailable if self.status == 503 else TooManyRequests
        return error_type(self.message, retry_after=self.retry_after)


def judge(rule: CompiledRule, verdict: Verdict, per: str, client_ip: str | None) -> Refusal | None:
    """None to let the request through; else the refusal, counted and logged."""
    if verdict.allowed:
        return None
    if verdict.unavailable:
        outcome = "refused" if rule.fail_closed else "allowed"
        metrics.RATE_LIMIT_UNAVAILABLE.labels(rule.name, outcome).inc()
        if not rule.fail_closed:
            return None
        return Refusal(
            503,
            LimiterUnavailable.code,
            "temporarily unavailable: the rate limiter cannot be reached; retry shortly",
            verdict.retry_after,
        )
    metrics.HTTP_RATE_LIMITED.labels(rule.name, per).inc()
    edge_log.warning(
        "rate_limited",
        rule=rule.name,
        per=per,
        client_ip=client_ip,
        retry_after=verdict.retry_after,
    )
    return Refusal(
        429,
        TooManyRequests.code,
        f"too many requests: retry in {verdict.retry_after} s",
        verdict.retry_after,
    )


async def enforce_user_limit(request: Request, user_id: int) -> None:
    """Count one request of `user_id` against the per-user limit of the request's rule.

    Called once the caller is known (the principal dependency). Raises TooManyRequests (429),
    or LimiterUnavailable (503) on a fail-closed route whose limit cannot be checked.
    """
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    rule: CompiledRule | None = request.scope.get(RULE_SCOPE_KEY)
    if limiter is None or rule is None or not rule.per_user:
        return
    verdict = await limiter.hit(rule.per_user, rule.name, "user", str(user_id))
    client = request.scope.get("client")
    refusal = judge(rule, verdict, "user", client[0] if client else None)
    if refusal is not None:
        raise refusal.as_error()
