"""What the groups share: the frozen `_Group` base and validated types used by several groups.

Names with a leading underscore are private to the `oversight.config` package.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_networks(value: tuple[str, ...]) -> tuple[str, ...]:
    """Each entry must be an IP address or a CIDR network (host bits may be set)."""
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(
                f"not an IP address or network {network!r} (e.g. 10.0.0.0/8)"
            ) from None
    return value


Networks = Annotated[tuple[str, ...], AfterValidator(_check_networks)]


def _redis_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    if value.get_secret_value().partition("://")[0] not in {"redis", "rediss", "unix"}:
        raise ValueError("not a Redis URL (expected redis://host:6379/0)")
    return value
