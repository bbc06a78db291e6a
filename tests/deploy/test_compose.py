"""The compose stack, proven without a container engine: it validates against the Compose
Specification's schema, everything it names is defined, every file it mounts exists, every
variable it reads is in `.env.example`, every service has a healthcheck and a restart policy,
and the Dockerfile passes hadolint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_PATH = DEPLOY / "docker-compose.yml"
SCHEMA = json.loads((Path(__file__).parent / "schemas/compose-spec.json").read_text())
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?:[:?-][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    return yaml.safe_load(COMPOSE_PATH.read_text())  # type: ignore[no-any-return]


def services(compose: dict[str, object]) -> dict[str, dict[str, object]]:
    return compose["services"]  # type: ignore[return-value]


def env_example_names() -> set[str]:
    names = set()
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_compose_validates_against_the_compose_specification(compose):
    jsonschema.validate(compose, SCHEMA)


def test_the_schema_check_fails_on_a_broken_file(compose):
    broken = json.loads(json.dumps(compose))
    broken["services"]["app"]["restart"] = ["always"]  # a list where a string belongs
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_dependency_volume_and_network_is_defined(compose):
    names = set(services(compose))
    volumes = set(compose["volumes"])  # type: ignore[arg-type]
    for name, service in services(compose).items():
        depends = service.get("depends_on", [])
        for dependency in depends:  # type: ignore[union-attr]  # a list or a mapping of names
            assert dependency in names, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):  # type: ignore[union-attr]
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/", "$")):
                assert source in volumes, f"{name} mounts undeclared volume {source}"
    used = {
        str(v).split(":", 1)[0]
        for service in services(compose).values()
        for v in service.get("volumes", [])  # type: ignore[union-attr]
    }
    assert volumes <= used, f"declared but unused volumes: {volumes - used}"


def test_every_mounted_file_exists_in_the_repository(compose):
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):  # type: ignore[union-attr]
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
    build = services(compose)["app"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()  # type: ignore[index]


def test_every_variable_the_stack_reads_is_in_the_env_example(compose):
    text = COMPOSE_PATH.read_text()
    read = set(INTERPOLATION.findall(text))
    assert {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= read
    assert read <= env_example_names(), read - env_example_names()
    # And the example holds no secret: every secret-looking value is a placeholder.
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z_]*(PASSWORD|SECRET|KEYS|TOKEN)[A-Z_]*=", line):
            assert line.endswith("=CHANGE-ME"), line


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(compose):
    for name, service in services(compose).items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        if name == "bot":  # a polling bot serves no port to probe: restarted on a crash
            assert service["healthcheck"] == {"disable": True}
            assert service["restart"] == "unless-stopped"
            continue
        assert service.get("restart") == "unless-stopped", name
        # The app's healthcheck is the image's HEALTHCHECK (Dockerfile); every other one is here.
        if name != "app":
            assert "test" in service.get("healthcheck", {}), f"{name} has no healthcheck"


def test_the_app_waits_for_migrations(compose):
    for name in ("app", "scheduler", "bot"):
        depends = services(compose)[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}  # type: ignore[index]
        assert services(compose)[name]["image"] == "oversight:local"
    assert services(compose)["migrate"]["command"] == ["migrate"]


def test_every_piece_of_state_is_on_a_named_volume(compose):
    state = {
        "postgres": "/var/lib/postgresql/data",
        "redis": "/data",
        "prometheus": "/prometheus",
        "prometheus-longterm": "/prometheus",
        "alertmanager": "/alertmanager",
        "grafana": "/var/lib/grafana",
        "loki": "/loki",
        # The files' hot directory, the audit archive and the backups' staging are under the
        # working directory: every process of the image sees the same one.
        "app": "/var/lib/oversight",
        "scheduler": "/var/lib/oversight",
        "bot": "/var/lib/oversight",
    }
    for name, path in state.items():
        mounts = [str(v) for v in services(compose)[name]["volumes"]]  # type: ignore[union-attr]
        assert any(m.split(":")[1] == path and not m.startswith((".", "/")) for m in mounts), name


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install oversight\n")
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag


def test_the_image_runs_as_a_non_root_user_and_probes_health():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM ", dockerfile, re.M)
    assert len(stages) == 2
    runtime = dockerfile.split("\nFROM ")[-1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert "HEALTHCHECK" in runtime
    assert "/health" in runtime
    assert 'ENTRYPOINT ["oversight"]' in runtime
    assert "gcc" not in runtime
    assert "build-essential" not in runtime
    rules = [
        line for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    # Everything out, then only the build's inputs back in (no .env, var/, .git, .venv).
    assert rules[0] == "*"
    assert {line for line in rules if line.startswith("!")} == {
        "!pyproject.toml", "!README.md", "!src/",
    }  # fmt: skip
