"""The hot folder's disk nearly full (a real 512 KiB tmpfs): an upload that does not fit is
refused whole with 507 and one clear sentence, its spool file removed, and reads go on."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import files_samples as samples
from companies import make_company
from oversight.config import Settings

from .conftest import _wire


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.resilience
def test_an_upload_past_the_free_space_is_507_and_reads_go_on(
    small_disk, files_settings: Settings, apps, session, auth
):
    from fastapi.testclient import TestClient

    files = files_settings.files.model_copy(update={"hot_dir": small_disk})
    settings = files_settings.model_copy(update={"files": files})
    application = apps.get(f"files-small-disk-{small_disk}", lambda: settings)
    _wire(application, session)
    world = make_company(session)
    headers = auth(world.contact)
    with TestClient(application, raise_server_exceptions=False) as client:
        fits = samples.upload(client, world.request.id, samples.jpeg(), headers)
        assert fits.status_code == 201, fits.text
        too_big = samples.upload(client, world.request.id, samples.padded_png(1_000_000),
                                 headers, name="plan.png", mime="image/png")  # fmt: skip
        listed = client.get(f"/api/v1/requests/{world.request.id}/attachments", headers=headers)
    application.dependency_overrides.clear()
    assert too_big.status_code == 507, too_big.text
    assert too_big.json()["error"]["code"] == "insufficient_storage"
    assert too_big.json()["error"]["message"] == (
        "no space left on the server to store this file; try again later"
    )
    assert list((small_disk / "incoming").iterdir()) == []
    assert listed.status_code == 200
    body = listed.json()
    items = body["items"] if isinstance(body, dict) else body
    assert [a["filename"] for a in items] == ["photo.jpg"]
