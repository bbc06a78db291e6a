"""The host install, followed literally: deploy/host/install.sh into a temporary prefix (the
same wheel the Dockerfile builds), then `oversight migrate` and `oversight serve --workers 2`
from that prefix against a real PostgreSQL and Redis, until `/ready` answers; its systemd
units pass `systemd-analyze verify`.

Only the dependencies are borrowed: the fresh environment sees the test environment's
site-packages through a .pth line, so the test does not download the world. What is under
test is Oversight's own wheel (its modules, migrations, data files) and the script; the
dependency list itself is what `make test` installed the test environment from.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import servers
from processes import start, stop, wait_http

ROOT = Path(__file__).parents[2]
INSTALL = ROOT / "deploy/host/install.sh"


@dataclass(frozen=True)
class Installed:
    prefix: Path
    config_dir: Path
    unit_dir: Path
    output: str

    def env(self, **overrides: str) -> dict[str, str]:
        values = dict(os.environ)
        for line in (self.config_dir / "oversight.env").read_text().splitlines():
            if line and not line.startswith("#"):
                # As systemd's EnvironmentFile= reads it: one pair of enclosing quotes removed.
                name, _, value = line.partition("=")
                values[name] = shlex.split(value)[0] if value else ""
        return values | overrides


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("host")
    prefix, config_dir, unit_dir = base / "opt", base / "etc", base / "units"
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
    fresh = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    (fresh / "zz-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    result = subprocess.run(
        [
            str(INSTALL),
            "--prefix",
            str(prefix),
            "--config-dir",
            str(config_dir),
            "--unit-dir",
            str(unit_dir),
            "--no-system-user",
            "--systemd",
        ],
        env=dict(os.environ, PIP_NO_DEPS="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Installed(prefix, config_dir, unit_dir, result.stdout)


def test_install_writes_fresh_secrets_readable_only_by_the_service(installed):
    env_file = installed.config_dir / "oversight.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    text = env_file.read_text()
    for name in ("OVERSIGHT_AUTH__JWT_SECRET", "OVERSIGHT_ENCRYPTION__KEYS"):
        value = installed.env()[name]
        assert value != "CHANGE-ME"
        assert len(value) >= 40, name
    settings_lines = [line for line in text.splitlines() if not line.startswith("#")]
    # Only the database password is left to the operator among the lines in force.
    assert sum("CHANGE-ME" in line for line in settings_lines) == 1


def test_install_again_keeps_the_settings(installed):
    before = (installed.config_dir / "oversight.env").read_text()
    result = subprocess.run(
        [
            str(INSTALL),
            "--prefix",
            str(installed.prefix),
            "--config-dir",
            str(installed.config_dir),
            "--no-system-user",
            "--no-systemd",
        ],
        env=dict(os.environ, PIP_NO_DEPS="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "exists, left as it is" in result.stdout
    assert (installed.config_dir / "oversight.env").read_text() == before


def test_install_refuses_an_unknown_option_in_one_line():
    result = subprocess.run(
        [str(INSTALL), "--prefx", "somewhere"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "install: unknown option --prefx (see --help)"


def test_the_installed_wheel_is_the_one_that_runs(installed):
    where = subprocess.run(
        [str(installed.prefix / "bin/python"), "-c", "import oversight; print(oversight.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(installed.prefix)), where


@pytest.fixture(scope="module")
def redis() -> Iterator[servers.RedisServer]:
    with servers.redis_server() as server:
        yield server


def test_installed_app_migrates_and_serves_two_workers_until_ready(
    installed, postgres, redis, tmp_path
):
    postgres.create_database("host_install")
    env = installed.env(
        OVERSIGHT_DATABASE__URL=postgres.url("host_install"),
        OVERSIGHT_RATELIMIT__REDIS_URL=f"{redis.url}/0",
        OVERSIGHT_ANALYTICS__REDIS_URL=f"{redis.url}/1",
        OVERSIGHT_OBSERVABILITY__MULTIPROCESS_DIR=str(tmp_path / "metrics"),
    )
    oversight = str(installed.prefix / "bin/oversight")
    migrate = subprocess.run(
        [oversight, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    port = servers.free_port()
    log = tmp_path / "serve.log"
    process = start(
        [oversight, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        log,
        env=env,
        cwd=tmp_path,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/ready", process, log, timeout=90)
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["status"] == "ok"
    finally:
        stop(process)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_installed_units_pass_systemd_analyze_verify(installed):
    units = sorted(installed.unit_dir.glob("*.service"))
    assert {unit.name for unit in units} == {
        "oversight-api.service", "oversight-bot.service", "oversight-scheduler.service",
        "prometheus-longterm.service",
    }  # fmt: skip
    for unit in units:
        text = unit.read_text()
        assert "/opt/oversight" not in text
        assert "NoNewPrivileges=true" in text
        assert "ProtectSystem=strict" in text
    api = (installed.unit_dir / "oversight-api.service").read_text()
    assert f"ExecStartPre={installed.prefix}/bin/oversight migrate" in api
    for directive in ("StateDirectory=", "LogsDirectory=", "RuntimeDirectory=", "User=oversight"):
        assert directive in api
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True, check=False
    )
    # verify exits 0 on unknown keys and bad values too, but says so: both streams must be quiet.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_systemd_analyze_verify_reports_a_misspelt_directive(installed, tmp_path):
    unit = tmp_path / "oversight-api.service"
    text = (installed.unit_dir / "oversight-api.service").read_text()
    unit.write_text(text.replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert "Unknown key 'ProtectSytem'" in result.stderr
