"""Field encryption root keys: `OVERSIGHT_ENCRYPTION__*`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Self

from pydantic import SecretStr, ValidationInfo, field_validator, model_validator

from oversight.config.base import _Group
from oversight.security.fieldcrypt import (
    Keyring,
    KeyringError,
    parse_keys,
    read_key_file,
)


class EncryptionSettings(_Group):
    """Field encryption root keys (oversight.security.fieldcrypt), from the environment or a file.

    `keys` is "kid:base64key,kid:base64key"; `key_file` holds the same entries one a line.
    With several keys, `active_key_id` names the one that encrypts; all of them decrypt.
    With none, development and test runs get a key generated into the local state directory
    (oversight.config.local); production refuses to start.
    """

    keys: SecretStr | None = None
    key_file: Path | None = None
    active_key_id: str | None = None

    @field_validator("keys")
    @classmethod
    def _keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            parse_keys(value.get_secret_value(), where="")
        except KeyringError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("key_file")
    @classmethod
    def _file_parses(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None or not str(value):
            return None
        if info.data.get("keys") is not None:
            raise ValueError("set this or OVERSIGHT_ENCRYPTION__KEYS, not both")
        try:
            read_key_file(value)
        except KeyringError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("active_key_id")
    @classmethod
    def _among_the_keys(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        keys, key_file = info.data.get("keys"), info.data.get("key_file")
        try:
            if keys is not None:
                known = parse_keys(keys.get_secret_value(), where="")
            elif key_file is not None:
                known = read_key_file(key_file)
            else:
                raise ValueError("set only together with OVERSIGHT_ENCRYPTION__KEYS or __KEY_FILE")
        except KeyringError:
            return value  # the keys themselves are reported as invalid
        if value not in known:
            raise ValueError(f"no key with id {value!r} among the configured keys")
        return value

    @model_validator(mode="after")
    def _active_named(self) -> Self:
        if self.active_key_id is None and self.configured:
            try:
                self.keyring  # noqa: B018 - several keys and none named active fails here
            except KeyringError:
                raise ValueError(
                    "several keys are configured; name the one that encrypts in "
                    "OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID"
                ) from None
        return self

    @property
    def configured(self) -> bool:
        """True when keys were given (or generated for a development run)."""
        return self.keys is not None or self.key_file is not None

    @functools.cached_property
    def keyring(self) -> Keyring:
        """The configured keys; KeyringError when there are none."""
        if self.keys is not None:
            return Keyring.parse(
                self.keys.get_secret_value(),
                active=self.active_key_id,
                where="OVERSIGHT_ENCRYPTION__KEYS",
            )
        if self.key_file is not None:
            return Keyring.from_file(self.key_file, active=self.active_key_id)
        raise KeyringError(
            "no field encryption key: set OVERSIGHT_ENCRYPTION__KEYS or "
            "OVERSIGHT_ENCRYPTION__KEY_FILE (`oversight keys generate` makes one)"
        )
