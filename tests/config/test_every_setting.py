"""Every setting, fed a malformed value, stops start-up with one line naming its variable.

The settings are walked from the model, so a new setting is swept without being listed here.
For each, the first of a few malformed values that the setting refuses is used; a setting that
refuses none of them takes any text (a name, a path) and is reported as such.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from oversight.config import Settings, SettingsError, load_settings

MALFORMED = ("not-a-number", "-1", "99999999999999999999", "[unclosed", "{unclosed", "", "x" * 300)


def variables() -> list[str]:
    names = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name.upper()}__")
            else:
                names.append(f"{prefix}{name.upper()}")

    walk(Settings, "OVERSIGHT_")
    return names


def refusal(monkeypatch: pytest.MonkeyPatch, variable: str) -> tuple[str, str] | None:
    for value in MALFORMED:
        with monkeypatch.context() as env:
            env.setenv(variable, value)
            try:
                load_settings(_env_file=None)
            except SettingsError as error:
                return value, str(error)
    return None


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    # A malformed state directory such as "-1" is still a relative path: loading settings
    # there generates key files, which must land in the test's own directory, not the checkout.
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)


def test_the_walk_finds_the_nested_settings():
    found = variables()
    assert "OVERSIGHT_COMPANY__WORKDAYS" in found
    assert "OVERSIGHT_SLA__HIGH__RESOLUTION_HOURS" in found
    assert len(found) > 60


@pytest.mark.parametrize("variable", variables())
def test_a_malformed_setting_is_one_line_naming_it(monkeypatch, variable):
    refused = refusal(monkeypatch, variable)
    if refused is None:
        pytest.skip(f"{variable} takes any text")
    value, message = refused
    assert message.splitlines() == [message], (value, message)
    assert message.startswith(f"invalid setting {variable}:"), (value, message)


@pytest.mark.parametrize(
    ("assignment", "line"),
    [
        ("OVERSIGHT_COMPANY__WORKDAYS=1,2,9", "invalid setting OVERSIGHT_COMPANY__WORKDAYS:"),
        ("OVERSIGHT_API__TRUSTED_PROXIES=[10.0", "invalid setting OVERSIGHT_API__TRUSTED_PROXIES:"),
        (
            "OVERSIGHT_AUTH__JWT_KEYS={k1",
            "invalid setting OVERSIGHT_AUTH__JWT_KEYS: not valid JSON",
        ),
    ],
)
def test_the_command_prints_one_line_and_exits_2(tmp_path, assignment, line):
    name, _, value = assignment.partition("=")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | {name: value}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "oversight"), "config", "show"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert line in result.stderr


def test_lists_are_read_as_plain_commas_or_json(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_COMPANY__WORKDAYS", "1,2,3")
    monkeypatch.setenv("OVERSIGHT_API__TRUSTED_PROXIES", "10.0.0.0/8")
    monkeypatch.setenv("OVERSIGHT_API__ADMIN_ALLOW", '["192.168.0.0/16", "10.1.0.0/16"]')
    settings = load_settings(_env_file=None)
    assert settings.company.workdays == frozenset({1, 2, 3})
    assert settings.api.trusted_proxies == ("10.0.0.0/8",)
    assert settings.api.admin_allow == ("192.168.0.0/16", "10.1.0.0/16")
