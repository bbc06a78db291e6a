"""Start a server process for a test, wait for its HTTP endpoint, stop it afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import httpx


def start(argv: list[str], log: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    """Run `argv` in its own session with stdout and stderr to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """End every process of `process`'s session (it was started with start_new_session=True):
    SIGTERM to the group, SIGKILL after 15 s. Also what a shell script left in the background."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and group_alive(process.pid):
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` is still running (zombies of it excluded)."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = status.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
    return False


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Poll `url` until it answers 200; fail with the log's tail if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()[-3000:]}")
