"""Login, passwords, signing keys, sessions and two-factor authentication: `OVERSIGHT_AUTH__*`."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group
from oversight.security.passwords import Argon2Params
from oversight.vocabulary import Role

LEGACY_KEY_ID = "default"  # the key id of `jwt_secret`, the single key of older configurations
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AuthSettings(_Group):
    """Login, passwords, tokens, sessions and two-factor authentication.

    Signing keys: `jwt_keys` maps key ids to secrets and `jwt_active_key` names the one that
    signs; `jwt_secret` (the older single-key setting) is the key with id "default". Tokens
    signed by any configured key verify, so a rotation keeps everyone logged in.
    """

    jwt_secret: SecretStr | None = None
    jwt_keys: dict[str, SecretStr] = Field(default_factory=dict)
    jwt_active_key: str | None = None
    jwt_issuer: str = "oversight"
    jwt_audience: str = "oversight-api"
    access_token_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 15
    sensitive_access_token_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 15
    sensitive_roles: Annotated[frozenset[Role], NoDecode, LIST_FROM_TEXT] = frozenset(
        {Role.admin, Role.director, Role.accountant}
    )
    refresh_token_days: Annotated[float, Field(gt=0, le=90)] = 14.0
    session_max_days: Annotated[float, Field(gt=0, le=365)] = 30.0
    two_factor_roles: Annotated[frozenset[Role], NoDecode, LIST_FROM_TEXT] = frozenset(
        {Role.admin, Role.director, Role.accountant}
    )
    two_factor_pending_minutes: Annotated[int, Field(ge=1, le=30)] = 5
    enrolment_token_hours: Annotated[int, Field(ge=1, le=30 * 24)] = 72
    """How long an administrator's enrolment token stays usable."""
    first_enrolment_hours: Annotated[float, Field(ge=0, le=30 * 24)] = 24.0
    """After an account is created, how long it may enrol a second factor without an
    enrolment token (0: always with a token)."""
    totp_issuer: Annotated[str, Field(min_length=1, max_length=64)] = "Oversight"
    argon2_time_cost: Annotated[int, Field(ge=1, le=50)] = 3
    argon2_memory_kib: Annotated[int, Field(ge=7168, le=4 * 1024 * 1024)] = 65_536
    argon2_parallelism: Annotated[int, Field(ge=1, le=64)] = 4
    password_max_length: Annotated[int, Field(ge=128, le=1024)] = 128
    login_free_failures: Annotated[int, Field(ge=1, le=100)] = 3
    login_ip_free_failures: Annotated[int, Field(ge=1, le=10_000)] = 10
    login_backoff_base_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    login_backoff_max_seconds: Annotated[float, Field(gt=0, le=86_400)] = 900.0
    login_account_failures_per_hour: Annotated[int, Field(ge=1, le=100)] = 100
    login_ip_failures_per_hour: Annotated[int, Field(ge=1, le=1_000_000)] = 1000

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("jwt_keys")
    @classmethod
    def _keys_long_enough(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for kid, secret in value.items():
            if not _KEY_ID.match(kid):
                raise ValueError(f"key id {kid!r}: 1-64 letters, digits, '.', '_' or '-'")
            if len(secret.get_secret_value()) < 32:
                raise ValueError(f"key {kid!r} must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.jwt_secret is not None and LEGACY_KEY_ID in self.jwt_keys:
            raise ValueError(
                f"jwt_keys: key id {LEGACY_KEY_ID!r} is jwt_secret's; name the key otherwise"
            )
        active = self.jwt_active_key
        if active is not None and active not in self.signing_keys:
            raise ValueError(f"jwt_active_key: {active!r} is not among the configured keys")
        if active is None and len(self.jwt_keys) > 1:
            raise ValueError("jwt_active_key: several jwt_keys are set; name the one that signs")
        if self.login_backoff_max_seconds < self.login_backoff_base_seconds:
            raise ValueError("login_backoff_max_seconds: must be at least the base")
        self.argon2  # noqa: B018 - validates the cost against OWASP's minimum
        return self

    @property
    def signing_keys(self) -> dict[str, str]:
        """Every key that verifies, by id. Settings fills in a generated key when none is
        configured outside production (oversight.config.local); with none at all, nothing
        verifies and nothing can be signed."""
        keys = {kid: secret.get_secret_value() for kid, secret in self.jwt_keys.items()}
        if self.jwt_secret is not None:
            keys[LEGACY_KEY_ID] = self.jwt_secret.get_secret_value()
        return keys

    @property
    def active_key_id(self) -> str:
        if self.jwt_active_key is not None:
            return self.jwt_active_key
        if self.jwt_keys:
            return next(iter(self.jwt_keys))
        return LEGACY_KEY_ID

    @property
    def argon2(self) -> Argon2Params:
        try:
            return Argon2Params(
                time_cost=self.argon2_time_cost,
                memory_kib=self.argon2_memory_kib,
                parallelism=self.argon2_parallelism,
            )
        except ValueError as error:
            raise ValueError(f"argon2_memory_kib/argon2_time_cost: {error}") from None
