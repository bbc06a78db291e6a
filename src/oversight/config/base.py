"""What the groups share: the frozen `_Group` base and validated types used by several groups.

Names with a leading underscore are private to the `oversight.config` package.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr
from pydantic_settings import NoDecode


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


def _list_from_text(value: Any) -> Any:
    """A list setting from the environment: a JSON list (`["a", "b"]`) or plain commas (`a,b`).

    Read here rather than by pydantic-settings' JSON decoding, so that `10.0.0.0/8` or
    `1,2,3` is understood, and a broken JSON list is a validation error naming the variable.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError('not a JSON list (write ["a", "b"] or a,b)') from None
    return [part.strip() for part in text.split(",") if part.strip()]


# A list-like setting is `Annotated[tuple[str, ...], NoDecode, LIST_FROM_TEXT]`.
LIST_FROM_TEXT = BeforeValidator(_list_from_text)

Networks = Annotated[tuple[str, ...], NoDecode, LIST_FROM_TEXT, AfterValidator(_check_networks)]


def _redis_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    if value.get_secret_value().partition("://")[0] not in {"redis", "rediss", "unix"}:
        raise ValueError("not a Redis URL (expected redis://host:6379/0)")
    return value
