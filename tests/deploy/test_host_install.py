"""The host install, followed literally: OPERATIONS.md's install block (the ```sh block that
starts with `# host-install:`), its text unchanged, run by `bash -euo pipefail` as root from the
checkout — database role and database by `runuser -u postgres`, deploy/host/install.sh into a
temporary prefix (the same wheel the Dockerfile builds), the database and Redis into the
settings file, `oversight migrate` and `users create` with that file loaded, and a smoke check
serving two workers from the prefix until `/ready` answers. The environment overrides only
variables the block declares (PREFIX, CONFIG_DIR, UNIT_DIR, INSTALL_OPTIONS, DB_*, REDIS_URL,
ADMIN_PASSWORD, SMOKE_PORT), pointing them at temporary directories and at the test's
PostgreSQL (run as the `postgres` system user, reached by the superuser through its socket
directory) and Redis; INSTALL_OPTIONS=--no-system-user keeps the test from adding a system
user to the machine. The installed units then pass `systemd-analyze verify`.

Only the dependencies are borrowed: before the block runs, the test creates the virtual
environment at PREFIX itself (install.sh keeps an existing one) with a .pth line to the test
environment's site-packages, and sets pip's own PIP_NO_DEPS=1, so nothing is downloaded. What
is under test is Oversight's own wheel (its modules, migrations, data files), the script and
the documented commands; the dependency list itself is what `make test` installed the test
environment from.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import servers
from oversight.db import migrate
from processes import group_alive, start, stop, stop_group, wait_http

ROOT = Path(__file__).parents[2]
INSTALL = ROOT / "deploy/host/install.sh"
OPERATIONS = ROOT / "OPERATIONS.md"
DATABASE = "host_install"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the install block runs as root (runuser -u postgres)"
)


def install_block() -> str:
    """The operator's commands: OPERATIONS.md's one ```sh block starting `# host-install:`."""
    blocks = re.findall(r"^```sh\n(.*?)^```", OPERATIONS.read_text(), flags=re.S | re.M)
    (block,) = [b for b in blocks if b.startswith("# host-install:")]
    return block


@dataclass(frozen=True)
class Installed:
    prefix: Path
    config_dir: Path
    unit_dir: Path
    output: str
    admin_password: str
    database_url: str

    def env(self, **overrides: str) -> dict[str, str]:
        values = dict(os.environ)
        for line in (self.config_dir / "oversight.env").read_text().splitlines():
            if line and not line.startswith("#"):
                # As systemd's EnvironmentFile= reads it: one pair of enclosing quotes removed.
                name, _, value = line.partition("=")
                values[name] = shlex.split(value)[0] if value else ""
        return values | overrides


@pytest.fixture(scope="module")
def redis() -> Iterator[servers.RedisServer]:
    with servers.redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: servers.PostgresServer,
    redis: servers.RedisServer,
) -> Installed:
    base = tmp_path_factory.mktemp("host")
    prefix, config_dir, unit_dir = base / "opt", base / "etc", base / "units"
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
    fresh = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    (fresh / "zz-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    admin_password = secrets.token_urlsafe(18)
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    env |= {
        "PIP_NO_DEPS": "1",  # pip's own variable: the dependencies are borrowed (see above)
        "PREFIX": str(prefix),
        "CONFIG_DIR": str(config_dir),
        "UNIT_DIR": str(unit_dir),
        "INSTALL_OPTIONS": "--no-system-user",
        "DB_ADMIN_HOST": str(postgres.socket_dir),
        "DB_HOST": postgres.host,
        "DB_PORT": str(postgres.port),
        "DB_NAME": DATABASE,
        "REDIS_URL": f"redis://{redis.host}:{redis.port}",
        "ADMIN_PASSWORD": admin_password,
        "SMOKE_PORT": str(servers.free_port()),
    }
    # Its own session, so that whatever the block leaves running is ended with it.
    block = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", install_block()],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = block.communicate(timeout=600)[0].decode()
        # uvicorn's supervisor joins its workers; what may outlive it for a moment is
        # multiprocessing's resource tracker, which exits once it sees the supervisor gone.
        deadline = time.monotonic() + 10
        while group_alive(block.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left_running = group_alive(block.pid)
    finally:
        stop_group(block)
    assert block.returncode == 0, output
    assert not left_running, "the install block left a process running"
    with pytest.raises(ConnectionRefusedError):  # the units' port is free again
        socket.create_connection(("127.0.0.1", int(env["SMOKE_PORT"])), timeout=5).close()
    database_url = postgres.url(DATABASE)
    return Installed(prefix, config_dir, unit_dir, output, admin_password, database_url)


def test_the_install_block_migrates_creates_the_admin_and_reaches_ready(installed, tmp_path):
    assert '"status":"ok"' in installed.output  # the block's smoke check: /ready of two workers
    assert installed.output.rstrip().endswith(
        "systemctl enable --now oversight-api oversight-scheduler"
    )
    engine = create_engine(installed.database_url)
    try:
        head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
        assert migrate.current_revision(engine) == head
    finally:
        engine.dispose()
    # The administrator's password is accepted by the installed app, as the unit runs it.
    env = installed.env(OVERSIGHT_OBSERVABILITY__MULTIPROCESS_DIR=str(tmp_path / "metrics"))
    assert env["OVERSIGHT_DATABASE__URL"].endswith(f"@{installed.database_url.split('@')[1]}")
    port = servers.free_port()
    log = tmp_path / "serve.log"
    oversight = str(installed.prefix / "bin/oversight")
    server = start(
        [oversight, "serve", "--host", "127.0.0.1", "--port", str(port)], log, env=env, cwd=tmp_path
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/ready", server, log, timeout=90)
        login = f"http://127.0.0.1:{port}/api/v1/auth/login"
        # Production's argon2 cost on a busy machine: more than httpx's default 5 s may pass.
        password = {"username": "admin", "password": installed.admin_password}
        accepted = httpx.post(login, json=password, timeout=60)
        wrong = {"username": "admin", "password": "not-the-password"}
        refused = httpx.post(login, json=wrong, timeout=60)
    finally:
        stop(server)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["two_factor"] == "enrol"  # an administrator enrols 2FA first
    assert refused.status_code == 401, refused.text


def test_install_writes_fresh_secrets_readable_only_by_the_service(installed):
    env_file = installed.config_dir / "oversight.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    text = env_file.read_text()
    for name in ("OVERSIGHT_AUTH__JWT_SECRET", "OVERSIGHT_ENCRYPTION__KEYS"):
        value = installed.env()[name]
        assert value != "CHANGE-ME"
        assert len(value) >= 40, name
    # install.sh left only the database password to the operator among the lines in force,
    # and the install block filled it in (sed -i kept the mode checked above).
    example = (INSTALL.parent / "oversight.env.example").read_text().splitlines()
    in_force = [line for line in example if not line.startswith("#") and "CHANGE-ME" in line]
    assert [line.partition("=")[0] for line in in_force] == [
        "OVERSIGHT_DATABASE__URL", "OVERSIGHT_AUTH__JWT_SECRET", "OVERSIGHT_ENCRYPTION__KEYS",
    ]  # fmt: skip
    assert "CHANGE-ME" not in "".join(line for line in text.splitlines() if line[:1] != "#")


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
