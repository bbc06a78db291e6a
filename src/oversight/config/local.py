"""Secrets of a development or test checkout, generated on first run into the local state
directory (`OVERSIGHT_STATE_DIR`, default `var/`) and read back on later runs.

The source holds no usable secret: a development run with no signing key or field key
configured gets random ones of its own, kept in `<state_dir>/secrets/` (mode 0600) so that the
demo keeps working between runs. Production never comes here: it refuses to start without
configured keys (`oversight.config.settings`).
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DEFAULT_STATE_DIR = Path("var")
LOCAL_KEY_ID = "local"
JWT_FILE = "jwt-signing.key"
FIELD_KEY_FILE = "field-encryption.key"


def local_secret(state_dir: Path, name: str, what: str) -> str:
    """The secret kept in `<state_dir>/secrets/<name>`, made (32 random bytes, base64) and
    announced on stderr the first time."""
    path = state_dir / "secrets" / name
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    try:
        # O_EXCL: of two processes starting at once, one writes and the other reads its key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(value + "\n")
    print(
        f"oversight: generated a development {what} in {path} (kept for later runs; "
        "production refuses to start without its own)",
        file=sys.stderr,
    )
    return value


def _configured(group: object, *names: str) -> bool:
    if isinstance(group, BaseModel):
        return any(getattr(group, name, None) for name in names)
    if isinstance(group, dict):
        return any(group.get(name) for name in names)
    return False


def _with(group: object, **values: Any) -> object:
    if isinstance(group, BaseModel):
        return type(group).model_validate(group.model_dump() | values)
    base = group if isinstance(group, dict) else {}
    return {**base, **values}


def with_local_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """The raw settings `data` of a development or test run, with a generated JWT signing key
    and field encryption key where none is configured."""
    if str(data.get("env", "development")) == "production":
        return data
    state_dir = Path(data.get("state_dir") or DEFAULT_STATE_DIR)
    data = dict(data)
    auth = data.get("auth", {})
    if not _configured(auth, "jwt_secret", "jwt_keys"):
        secret = local_secret(state_dir, JWT_FILE, "JWT signing key")
        data["auth"] = _with(auth, jwt_keys={LOCAL_KEY_ID: secret})
    encryption = data.get("encryption", {})
    if not _configured(encryption, "keys", "key_file"):
        key = local_secret(state_dir, FIELD_KEY_FILE, "field encryption key")
        data["encryption"] = _with(encryption, keys=f"{LOCAL_KEY_ID}:{key}")
    return data
