"""The shipped reverse-proxy configuration, run in a real nginx (Debian's `nginx` package).

deploy/nginx/oversight.conf is rendered for the test (a generated certificate, free loopback
ports, files under tmp, the host upstream snippet pointed at three small echo servers standing
in for the app, Grafana and Prometheus) and served by `nginx -p tmp -c ...`. Every replacement
fails loudly when the shipped file no longer contains what it replaces. The shipped admin
allowlist is used as it is: requests from 127.0.0.1 (an allowed address) come from the office,
requests from 127.0.0.2 from outside it. The docker compose variant cannot run here (its
upstream names resolve only inside compose): its wiring is checked structurally.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import servers
from oversight.config import DEFAULT_ADMIN_PATHS
from oversight.edge.rules import PathSet

DEPLOY = Path(__file__).parents[2] / "deploy"
NGINX_DIR = DEPLOY / "nginx"
SHIPPED_CONF = NGINX_DIR / "oversight.conf"
UPSTREAMS_INCLUDE = "/etc/nginx/snippets/oversight-upstreams.conf"
ADMIN_ALLOW_INCLUDE = "/etc/nginx/snippets/oversight-admin-allow.conf"
SERVER_NAME = "oversight.example.com"
OFFICE = "127.0.0.1"  # in the shipped allowlist
OUTSIDE = "127.0.0.2"  # not in it
# Where the host snippet expects each backend, and the compose service that stands for it.
BACKENDS = {"oversight_api": 8000, "oversight_grafana": 3000, "oversight_prometheus": 9090}
COMPOSE_SERVICES = {"oversight_api": "app", "oversight_grafana": "grafana",
                    "oversight_prometheus": "prometheus"}  # fmt: skip


def nginx_binary() -> str:
    path = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if path is None:
        pytest.fail("nginx not installed: run scripts/ensure-system-deps.sh (make test does)")
    return path


def substitute(text: str, old: str, new: str, *, count: int = 1) -> str:
    """`text` with `old` replaced; fails unless the shipped text has it exactly `count` times."""
    found = text.count(old)
    assert found == count, f"the shipped config has {old!r} {found} times, not {count}"
    return text.replace(old, new)


def upstreams(path: Path) -> dict[str, tuple[str, int]]:
    """`upstream NAME { server HOST:PORT; ... }` blocks of a snippet: {NAME: (HOST, PORT)}."""
    found = re.findall(r"upstream\s+(\w+)\s*\{\s*server\s+([\w.-]+):(\d+)\s*;", path.read_text())
    return {name: (host, int(port)) for name, host, port in found}


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with JSON: which backend it is, the path and headers it received."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes
    backend = ""

    def _echo(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(
            {
                "backend": self.backend,
                "path": self.path,
                "version": self.request_version,
                "headers": {name.lower(): value for name, value in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Strict-Transport-Security", "max-age=1")  # nginx's must replace it
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._echo()

    def do_POST(self) -> None:
        self._echo()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _echo_server(backend: str) -> ThreadingHTTPServer:
    handler = type(f"Echo_{backend}", (_Echo,), {"backend": backend})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the server name and 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "fullchain.pem", tmp / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Nginx:
    http_port: int
    https_port: int
    tls: ssl.SSLContext
    acme_token: str


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def echo(self) -> dict[str, Any]:
        """What the backend received (fails when nginx answered itself)."""
        assert self.status == 200, (self.status, self.body[:300])
        data: dict[str, Any] = json.loads(self.body)
        return data


def _render(tmp: Path, http_port: int, https_port: int, backends: dict[str, int]) -> Path:
    """The shipped configuration, made runnable in `tmp`; returns the main nginx.conf."""
    cert, key = _certificate(tmp)
    snippet = (NGINX_DIR / "oversight-upstreams-host.conf").read_text()
    for name, shipped_port in BACKENDS.items():
        snippet = substitute(snippet, f"127.0.0.1:{shipped_port};", f"127.0.0.1:{backends[name]};")
    (tmp / "upstreams.conf").write_text(snippet)
    (tmp / "certbot").mkdir()

    conf = SHIPPED_CONF.read_text()
    conf = substitute(conf, f"include {UPSTREAMS_INCLUDE};", f"include {tmp}/upstreams.conf;")
    allow_count = conf.count(f"include {ADMIN_ALLOW_INCLUDE};")
    assert allow_count >= 7, "the admin zone and Prometheus include the admin allowlist"
    conf = substitute(
        conf,
        f"include {ADMIN_ALLOW_INCLUDE};",
        f"include {NGINX_DIR / 'oversight-admin-allow.conf'};",
        count=allow_count,
    )
    conf = substitute(conf, "    listen [::]:80;\n", "")
    conf = substitute(conf, "    listen [::]:443 ssl http2;\n", "")
    conf = substitute(conf, "listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = substitute(conf, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    live = f"/etc/letsencrypt/live/{SERVER_NAME}"
    conf = substitute(conf, f"{live}/fullchain.pem;", f"{cert};")
    conf = substitute(conf, f"{live}/privkey.pem;", f"{key};")
    conf = substitute(conf, "root /var/www/certbot;", f"root {tmp}/certbot;")
    conf = substitute(conf, "/var/log/nginx/access.log;", f"{tmp}/access.log;")
    conf = substitute(conf, "/var/log/nginx/error.log warn;", f"{tmp}/error.log warn;")
    # One request a minute: the burst alone decides when the flood guard answers 429.
    conf = substitute(
        conf, "zone=oversight_auth:10m rate=120r/m;", "zone=oversight_auth:10m rate=1r/m;"
    )
    (tmp / "oversight.conf").write_text(conf)

    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp / "nginx.conf"
    main.write_text(
        # As root the master would hand the workers to `nobody`, who cannot enter pytest's
        # 0700 tmp directory.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\nerror_log {tmp}/error.log;\n"
        + "events { worker_connections 128; }\n"
        + f"http {{\n{temp_paths}\n    access_log {tmp}/access.log;\n"
        + f"    include {tmp}/oversight.conf;\n}}\n"
    )
    return main


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}:\n{log.read_text()[-3000:]}")


@contextmanager
def _running_nginx(argv: list[str], error_log: Path, https_port: int) -> Iterator[None]:
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [*argv, "-g", f"daemon off; pid {error_log.parent}/nginx.pid;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # -e: nginx writes everything to error_log
        start_new_session=True,
    )
    try:
        _wait_for_port(https_port, process, error_log)
        yield
    finally:
        process.terminate()  # fast shutdown: the master stops its workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def _echo_servers() -> Iterator[dict[str, int]]:
    """One echo server per backend: {upstream name: port}."""
    echoes = {name: _echo_server(name) for name in BACKENDS}
    try:
        yield {name: server.server_address[1] for name, server in echoes.items()}
    finally:
        for server in echoes.values():
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = nginx_binary()
    tmp = tmp_path_factory.mktemp("nginx")
    http_port, https_port = servers.free_port(), servers.free_port()
    with _echo_servers() as backends:
        main = _render(tmp, http_port, https_port, backends)
        challenges = tmp / "certbot/.well-known/acme-challenge"
        challenges.mkdir(parents=True)
        (challenges / "token-1").write_text("token-1.thumbprint")
        error_log = tmp / "error.log"
        argv = [binary, "-p", str(tmp), "-c", str(main), "-e", str(error_log)]
        with _running_nginx(argv, error_log, https_port):
            tls = ssl.create_default_context(cafile=str(tmp / "fullchain.pem"))
            yield Nginx(http_port, https_port, tls, "token-1")


def _connection(nginx: Nginx, source: str, *, https: bool = True) -> http.client.HTTPConnection:
    if https:
        return http.client.HTTPSConnection(
            "127.0.0.1", nginx.https_port, context=nginx.tls, source_address=(source, 0),
            timeout=10,
        )  # fmt: skip
    return http.client.HTTPConnection(
        "127.0.0.1", nginx.http_port, source_address=(source, 0), timeout=10
    )


def _send(
    connection: http.client.HTTPConnection,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Reply:
    # http.client sends the path exactly as given: no client-side normalisation.
    connection.request(method, path, headers={"Host": SERVER_NAME, **(headers or {})})
    response = connection.getresponse()
    return Reply(response.status, response.headers, response.read())


def fetch(
    nginx: Nginx,
    path: str,
    *,
    source: str = OUTSIDE,
    https: bool = True,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Reply:
    connection = _connection(nginx, source, https=https)
    try:
        return _send(connection, path, method=method, headers=headers)
    finally:
        connection.close()


# The app's own admin zone decides; nginx must agree on every path.
PROBE_PATHS = [
    "/api/v1/users", "/api/v1/users/", "/api/v1/users/7", "/api/v1/users/42/two-factor",
    "/api/v1/users/7?role=admin", "/api/v1/users/me", "/api/v1/users/me/password",
    "/api/v1/users/me/2fa/enrolment", "/api/v1/usersx", "/api/v1/audit", "/api/v1/audit/",
    "/api/v1/audit/export", "/api/v1/audit/export?format=csv", "/api/v1/auditing",
    "/api/v1/admin/x", "/api/v1/admin/keys/rotate", "/api/v1/requests", "/api/v1/requests/7",
    "/api/v1/customers/7", "/api/v1/auth/password", "/metrics", "/health", "/ready",
]  # fmt: skip


def _admin_by_the_app(path: str) -> bool:
    bare = path.partition("?")[0]
    return PathSet(DEFAULT_ADMIN_PATHS).matches(bare) or bare == "/metrics"


@pytest.mark.parametrize("path", PROBE_PATHS)
def test_nginx_admin_zone_is_the_apps_admin_zone_from_outside_the_office(nginx, path):
    reply = fetch(nginx, path, source=OUTSIDE)
    if _admin_by_the_app(path):
        assert reply.status == 403, reply.body[:300]
        assert b'"backend"' not in reply.body  # nginx answered; the app never saw it
    else:
        echo = reply.echo()
        assert (echo["backend"], echo["path"]) == ("oversight_api", path)


def test_own_account_passes_and_administration_is_refused_outside_the_office(nginx):
    for path in ("/api/v1/users/me", "/api/v1/users/me/password", "/api/v1/requests"):
        assert fetch(nginx, path, source=OUTSIDE).echo()["path"] == path
    for path in ("/api/v1/users", "/api/v1/users/7", "/api/v1/audit", "/api/v1/audit/export",
                 "/api/v1/admin/x", "/metrics"):  # fmt: skip
        assert fetch(nginx, path, source=OUTSIDE).status == 403, path


@pytest.mark.parametrize(
    "path",
    ["/api/v1/users/%37", "/api/v1//users", "/api/v1/users/me/../7", "/api/v1/./audit/export",
     "/api/v1/%61udit", "/api/v1/users/me/..%2F7", "//metrics"],
)  # fmt: skip
def test_other_spellings_of_admin_paths_are_refused_outside_the_office(nginx, path):
    assert fetch(nginx, path, source=OUTSIDE).status == 403


def test_admin_zone_and_prometheus_reach_their_backends_from_the_office(nginx):
    for path in ("/api/v1/users", "/api/v1/users/7", "/api/v1/audit/export", "/metrics"):
        echo = fetch(nginx, path, source=OFFICE).echo()
        assert (echo["backend"], echo["path"]) == ("oversight_api", path)
    echo = fetch(nginx, "/prometheus/api/v1/query?query=up", source=OFFICE).echo()
    # Prometheus serves at / (--web.route-prefix=/): nginx strips its prefix.
    assert (echo["backend"], echo["path"]) == ("oversight_prometheus", "/api/v1/query?query=up")


def test_prometheus_is_refused_outside_the_office(nginx):
    assert fetch(nginx, "/prometheus/graph", source=OUTSIDE).status == 403


def test_grafana_keeps_its_sub_path_and_its_own_login_from_anywhere(nginx):
    echo = fetch(nginx, "/grafana/api/health", source=OUTSIDE).echo()
    # Grafana serves itself under /grafana/ (serve_from_sub_path): the path passes unchanged.
    assert (echo["backend"], echo["path"]) == ("oversight_grafana", "/grafana/api/health")


def test_http_redirects_to_https_with_path_and_query(nginx):
    reply = fetch(nginx, "/api/v1/requests?status=open", https=False)
    assert reply.status == 301
    assert reply.headers["Location"] == f"https://{SERVER_NAME}/api/v1/requests?status=open"


def test_http_serves_acme_challenges_without_redirecting(nginx):
    reply = fetch(nginx, f"/.well-known/acme-challenge/{nginx.acme_token}", https=False)
    assert (reply.status, reply.body) == (200, b"token-1.thumbprint")


def test_backend_gets_the_address_nginx_saw_not_the_one_the_client_wrote(nginx):
    echo = fetch(
        nginx, "/api/v1/requests", source=OUTSIDE, headers={"X-Forwarded-For": "10.1.2.3"}
    ).echo()
    headers = echo["headers"]
    assert headers["x-forwarded-for"] == OUTSIDE
    assert headers["x-forwarded-proto"] == "https"
    assert headers["host"] == SERVER_NAME
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


def test_backend_connections_are_http11_without_close_so_keepalive_reuses_them(nginx):
    echo = fetch(nginx, "/api/v1/requests").echo()
    assert echo["version"] == "HTTP/1.1"
    assert "connection" not in echo["headers"]


def test_websocket_upgrade_headers_reach_grafana_live(nginx):
    echo = fetch(
        nginx,
        "/grafana/api/live/ws",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    ).echo()
    assert echo["headers"]["upgrade"] == "websocket"
    assert echo["headers"]["connection"] == "upgrade"


def test_one_hsts_header_nginxs_on_proxied_answers_and_on_refusals(nginx):
    for reply in (fetch(nginx, "/api/v1/requests"), fetch(nginx, "/api/v1/audit")):
        assert reply.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]


def test_sign_in_flood_guard_answers_429_per_address_after_its_burst(nginx):
    limit = re.search(
        r"location /api/v1/auth/ \{[^}]*limit_req zone=oversight_auth burst=(\d+) nodelay;",
        SHIPPED_CONF.read_text(),
    )
    assert limit is not None, "the sign-in location lost its flood guard"
    burst = int(limit.group(1))
    connection = _connection(nginx, "127.0.0.3")
    try:
        # rate=1r/m in the rendered file: 1 + burst pass, the next one is refused.
        statuses = [
            _send(connection, "/api/v1/auth/login", method="POST").status for _ in range(burst + 2)
        ]
        assert statuses[: burst + 1] == [200] * (burst + 1)
        assert statuses[-1] == 429
        assert _send(connection, "/api/v1/requests").status == 200  # other routes unaffected
    finally:
        connection.close()
    assert fetch(nginx, "/api/v1/auth/login", source="127.0.0.4", method="POST").status == 200


def _upload_limit() -> int:
    """The upload location's client_max_body_size in the shipped file, in bytes."""
    found = re.search(
        r"location ~ \^/api/v1/requests/\[0-9\]\+/attachments\$ \{[^}]*"
        r"client_max_body_size (\d+)m;",
        SHIPPED_CONF.read_text(),
    )
    assert found is not None, "the upload location lost its body limit"
    return int(found.group(1)) * 1024 * 1024


def _post_head(nginx: Nginx, path: str, length: int) -> http.client.HTTPSConnection:
    connection = _connection(nginx, OUTSIDE)
    assert isinstance(connection, http.client.HTTPSConnection)
    connection.putrequest("POST", path, skip_host=True)
    connection.putheader("Host", SERVER_NAME)
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    return connection


def test_the_upload_limit_is_the_apps_plus_the_multipart_envelope():
    from oversight.config import FilesSettings

    app_limit = FilesSettings().max_size_bytes
    assert _upload_limit() >= app_limit + 64 * 1024  # boundaries and part headers
    assert _upload_limit() <= app_limit + 2 * 1024 * 1024  # not a different limit altogether


def test_an_upload_of_exactly_nginxs_limit_passes_and_one_byte_more_is_413(nginx):
    limit = _upload_limit()
    path = "/api/v1/requests/7/attachments"
    connection = _post_head(nginx, path, limit)
    try:
        chunk = bytes(1024 * 1024)
        for _ in range(limit // len(chunk)):
            connection.send(chunk)
        connection.send(bytes(limit % len(chunk)))
        response = connection.getresponse()
        reply = Reply(response.status, response.headers, response.read())
    finally:
        connection.close()
    echoed = reply.echo()
    assert (echoed["backend"], echoed["path"]) == ("oversight_api", path)
    assert echoed["headers"]["content-length"] == str(limit)

    # One byte more: refused on the header alone, before any of the body is read.
    connection = _post_head(nginx, path, limit + 1)
    try:
        assert connection.getresponse().status == 413
    finally:
        connection.close()
    # Other routes keep nginx's default 1 MiB limit.
    connection = _post_head(nginx, "/api/v1/requests", 1024 * 1024 + 1)
    try:
        assert connection.getresponse().status == 413
    finally:
        connection.close()


# --- docker compose: the same oversight.conf, another upstream snippet ---------------------


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def _nginx_mounts(compose: dict[str, Any]) -> dict[str, str]:
    """{target in the container: source} of the nginx service's volumes."""
    mounts = {}
    for volume in compose["services"]["nginx"]["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    return mounts


def test_compose_mounts_the_config_and_every_snippet_it_includes():
    mounts = _nginx_mounts(_compose())
    # Over the image's default.conf: its welcome page must not be port 80's default server.
    assert mounts["/etc/nginx/conf.d/default.conf"] == "./nginx/oversight.conf"
    assert mounts[UPSTREAMS_INCLUDE] == "./nginx/oversight-upstreams-compose.conf"
    assert mounts[ADMIN_ALLOW_INCLUDE] == "./nginx/oversight-admin-allow.conf"
    includes = set(re.findall(r"^\s*include\s+(\S+);", SHIPPED_CONF.read_text(), re.M))
    assert includes == {UPSTREAMS_INCLUDE, ADMIN_ALLOW_INCLUDE}
    for target in includes:
        assert (DEPLOY / mounts[target]).is_file()
    webroot = re.search(r"root (\S+);", SHIPPED_CONF.read_text())
    assert webroot is not None
    assert webroot.group(1) in mounts  # certbot's challenges reach the container


def test_both_upstream_snippets_define_every_upstream_the_config_uses():
    used = set(re.findall(r"proxy_pass http://(\w+)", SHIPPED_CONF.read_text()))
    host = upstreams(NGINX_DIR / "oversight-upstreams-host.conf")
    compose = upstreams(NGINX_DIR / "oversight-upstreams-compose.conf")
    assert used == set(host) == set(compose) == set(BACKENDS)
    assert host == {name: ("127.0.0.1", port) for name, port in BACKENDS.items()}


def test_compose_upstreams_are_compose_services_listening_there():
    compose = _compose()
    services = compose["services"]
    found = upstreams(NGINX_DIR / "oversight-upstreams-compose.conf")
    assert found == {name: (COMPOSE_SERVICES[name], BACKENDS[name]) for name in BACKENDS}
    depends_on = services["nginx"]["depends_on"]
    for service in COMPOSE_SERVICES.values():
        # nginx resolves the names at start: restarted when one of them is recreated.
        assert depends_on[service]["restart"] is True
    serve = services["app"]["command"]
    assert serve[0] == "serve"  # the image's entry point is `oversight`
    assert serve[serve.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - inside its container
    assert int(serve[serve.index("--port") + 1]) == BACKENDS["oversight_api"]
    # Grafana's and Prometheus's default ports, not moved.
    assert "GF_SERVER_HTTP_PORT" not in services["grafana"].get("environment", {})
    assert not any("listen-address" in arg for arg in services["prometheus"]["command"])


def test_compose_app_trusts_the_pinned_compose_network_and_the_office_list_excludes_it():
    compose = _compose()
    subnets = [block["subnet"] for block in compose["networks"]["default"]["ipam"]["config"]]
    trusted = json.loads(
        compose["services"]["app"]["environment"]["OVERSIGHT_API__TRUSTED_PROXIES"]
    )
    assert trusted == subnets
    allowed = re.findall(
        r"^allow (\S+);", (NGINX_DIR / "oversight-admin-allow.conf").read_text(), re.M
    )
    for subnet in subnets:
        network = ipaddress.ip_network(subnet)
        assert not any(ipaddress.ip_network(a).overlaps(network) for a in allowed)


def _prometheus_web_flags(args: list[str]) -> dict[str, str]:
    return dict(arg.split("=", 1) for arg in args if arg.startswith("--web."))


def test_prometheus_and_grafana_sub_paths_match_what_nginx_does_with_them():
    compose = _compose()
    systemd = re.search(r'^ARGS="(.*)"$', (DEPLOY / "host/prometheus.env").read_text(), re.M)
    assert systemd is not None
    for args in (compose["services"]["prometheus"]["command"], shlex.split(systemd.group(1))):
        flags = _prometheus_web_flags(args)
        external = urlsplit(flags["--web.external-url"])
        assert (external.hostname, external.path) == (SERVER_NAME, "/prometheus/")
        assert flags["--web.route-prefix"] == "/"  # nginx strips /prometheus/
    grafana = compose["services"]["grafana"]["environment"]
    root = urlsplit(grafana["GF_SERVER_ROOT_URL"])
    assert (root.hostname, root.path) == (SERVER_NAME, "/grafana/")
    assert grafana["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true"  # nginx keeps /grafana/
