"""A TCP proxy on loopback that cuts its first connections after some bytes: a network
connection dropped in the middle of a transfer, for real, between a client and a test server."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class DroppingProxy:
    """Forwards 127.0.0.1:`port` to `target`; each of the first `drops` connections is
    closed (both ways) once `after_bytes` bytes have gone client → server."""

    def __init__(self, target_port: int, *, after_bytes: int, drops: int = 1) -> None:
        self.target_port = target_port
        self.after_bytes = after_bytes
        self.drops_left = drops
        self.dropped = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                limit = self.after_bytes if self.drops_left > 0 else None
                if limit is not None:
                    self.drops_left -= 1
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server, limit), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    with self._lock:
                        self.dropped += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self._closing = True
        self._listener.close()


@contextlib.contextmanager
def dropping_proxy(
    target_port: int, *, after_bytes: int, drops: int = 1
) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(target_port, after_bytes=after_bytes, drops=drops)
    try:
        yield proxy
    finally:
        proxy.close()
