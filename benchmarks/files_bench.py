"""Files speed, side by side in one run (not part of `make test`).

    python benchmarks/files_bench.py

1. Upload receiving: a 50 MB multipart body fed to `oversight.files.upload.receive_file` in
   64 KiB chunks (as the server hands them over), against writing the same 50 MB to disk
   with the same chunk size. Objective: >= 0.7x.
2. Preview time for 20 typical photos (12 MP JPEGs) and PDFs: P50 / P90 (objective P90 < 60 s).
3. Mover: `move_blob` (put + verifying read-back) to a local cold folder, against a plain
   `Storage.put` of the same bytes with the same backend client.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

from PIL import Image
from starlette.requests import Request

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "support"))

from common import Row, Scale, absolute_row, print_rows, ratio_row

import files_samples
from oversight.config.storage import StorageTarget
from oversight.files import previews
from oversight.files.models import Blob
from oversight.files.mover import move_blob
from oversight.files.store import HotStore, object_name
from oversight.files.upload import receive_file
from oversight.storage import open_storage

MB = 1024 * 1024
CHUNK = 64 * 1024
BOUNDARY = "benchboundary1234567890"


def _multipart(payload: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + payload + f"\r\n--{BOUNDARY}--\r\n".encode()


def bench_upload(folder: Path, rounds: int) -> tuple[float, float]:
    """Median seconds of ours and of the plain write, interleaved round by round (a busy
    machine slows both sides of a round alike). Both sides get the same pre-cut chunks."""
    body = _multipart(os.urandom(50 * MB))
    cut = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]

    async def receive_once() -> float:
        chunks = deque(cut)

        async def receive() -> dict[str, object]:
            chunk = chunks.popleft()
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())],
        }
        started = time.perf_counter()
        received = await receive_file(Request(scope, receive), folder / "up", 60 * MB)
        elapsed = time.perf_counter() - started
        received.path.unlink()
        return elapsed

    def plain_once() -> float:
        started = time.perf_counter()
        with (folder / "plain").open("wb") as out:
            for chunk in cut:
                out.write(chunk)
        elapsed = time.perf_counter() - started
        (folder / "plain").unlink()
        return elapsed

    ours: list[float] = []
    plain: list[float] = []
    for _ in range(rounds):
        ours.append(asyncio.run(receive_once()))
        plain.append(plain_once())
    return statistics.median(ours), statistics.median(plain)


def bench_previews(folder: Path) -> list[float]:
    times = []
    for n in range(20):
        if n % 2:
            body, mime = files_samples.pdf(3), "application/pdf"
        else:
            image = Image.effect_noise((4000, 3000), 40 + n).convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=90)
            body, mime = out.getvalue(), "image/jpeg"
        source = folder / f"src{n}"
        source.write_bytes(body)
        started = time.perf_counter()
        previews.render(source, mime, folder / f"p{n}.jpg", 512)
        times.append(time.perf_counter() - started)
    return times


def bench_mover(folder: Path) -> tuple[float, float]:
    body = os.urandom(50 * MB)
    sha = hashlib.sha256(body).hexdigest()
    store = HotStore(folder / "hot")
    store.blob_path(sha).parent.mkdir(parents=True)
    store.blob_path(sha).write_bytes(body)
    blob = Blob(sha256=sha, size=len(body), content_type="application/pdf")
    with open_storage(StorageTarget(url=str(folder / "cold"))) as storage:
        started = time.perf_counter()
        move_blob(storage, store, blob)
        ours = time.perf_counter() - started
        storage.delete(object_name(sha))
        started = time.perf_counter()
        with store.blob_path(sha).open("rb") as stream:
            storage.put(object_name(sha) + "-plain", stream, size=len(body))
        plain = time.perf_counter() - started
    return ours, plain


def rows(scale: Scale) -> list[Row]:
    """Upload receiving vs a plain write, preview P90, mover vs a plain put (50 MB each)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rounds = scale.pick(9, 3)
        ours, plain = bench_upload(folder, rounds)
        times = sorted(bench_previews(folder))
        p90 = times[int(0.9 * len(times)) - 1]
        moved, put = bench_mover(folder)
    return [
        ratio_row("files: receive a 50 MB upload vs plain write", 50 / ours, 50 / plain, "MB/s",
                  at_least=0.7, note=f"median of {rounds} interleaved rounds"),
        absolute_row("files: preview P90 (12 MP JPEGs, PDFs)", p90, "s", at_most=60,
                     note=f"P50 {statistics.median(times):.2f} s"),
        ratio_row("files: move 50 MB to cold (copy + read-back) vs plain put", 50 / moved,
                  50 / put, "MB/s", at_least=None),
    ]  # fmt: skip


def main() -> None:
    print_rows(rows(Scale.from_environment()))


if __name__ == "__main__":
    main()
