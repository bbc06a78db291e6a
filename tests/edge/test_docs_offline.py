"""`/docs` works with no internet: headless Chromium, refused every host but the loopback,
renders the operations from assets the app serves itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import servers
from engines import EMBEDDED_ONLY
from processes import start, stop, wait_http

pytestmark = EMBEDDED_ONLY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by make test")
def test_docs_render_their_operations_offline(tmp_path):
    port = servers.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env["OVERSIGHT_DATABASE__URL"] = f"sqlite:///{tmp_path / 'oversight.db'}"
    oversight = str(Path(sys.executable).parent / "oversight")
    subprocess.run([oversight, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    log = tmp_path / "serve.log"
    app = start([oversight, "serve", "--port", str(port)], log, env=env, cwd=tmp_path)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", app, log)
        browser = subprocess.run(
            [
                str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                # The outside world does not exist: any other host fails to resolve.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000", "--dump-dom", f"http://127.0.0.1:{port}/docs",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        stop(app)
    dom = browser.stdout
    assert 'class="swagger-ui"' in dom, browser.stderr[-2000:]
    assert dom.count('class="opblock ') > 50  # the operations, rendered by the bundle's script
    assert "/api/v1/auth/login" in dom
    assert "cdn.jsdelivr.net" not in dom
