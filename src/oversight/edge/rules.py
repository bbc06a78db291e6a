"""Path patterns compiled once: the admin paths, and the rate-limit table of the settings."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from limits import RateLimitItem

from oversight.config import RateRule
from oversight.security.rate_limiter import parse_limits

DEFAULT_RULE = "default"


def _pattern(globs: Iterable[str]) -> str:
    """One regex alternative matching any of the glob patterns (`*` any characters)."""
    return "|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs) or "(?!)"


class PathSet:
    """Whether a path matches any of a list of glob patterns (one regex match)."""

    def __init__(self, globs: Iterable[str]) -> None:
        self.globs = tuple(globs)
        self._regex = re.compile(_pattern(self.globs))

    def __bool__(self) -> bool:
        return bool(self.globs)

    def matches(self, path: str) -> bool:
        return self._regex.match(path) is not None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    per_ip: tuple[RateLimitItem, ...]
    per_user: tuple[RateLimitItem, ...]
    fail_closed: bool
    account_field: str | None


class RateTable:
    """The rule for a path: the first rule whose pattern matches, `default` last."""

    def __init__(self, rules: Mapping[str, RateRule]) -> None:
        ordered = [name for name in rules if name != DEFAULT_RULE]
        if DEFAULT_RULE in rules:
            ordered.append(DEFAULT_RULE)
        self.rules = tuple(
            CompiledRule(
                name=name,
                per_ip=parse_limits(rules[name].per_ip),
                per_user=parse_limits(rules[name].per_user),
                fail_closed=rules[name].fail_closed,
                account_field=rules[name].account_field,
            )
            for name in ordered
        )
        self._none = CompiledRule(DEFAULT_RULE, (), (), False, None)
        self._regex = re.compile(
            "|".join(
                f"(?P<r{index}>{_pattern(rules[name].paths)})" for index, name in enumerate(ordered)
            )
            or "(?!)"
        )

    def match(self, path: str) -> CompiledRule:
        found = self._regex.match(path)
        if found is None or found.lastgroup is None:
            return self._none
        return self.rules[int(found.lastgroup[1:])]
