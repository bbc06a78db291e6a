#!/usr/bin/env bash
# Install, only when missing, the Debian packages the test suite needs.
#
# Usage: scripts/ensure-system-deps.sh [PACKAGE[:COMMAND] ...]
#
# Always checks:
#   postgresql    (present when /usr/lib/postgresql/*/bin/pg_ctl exists)
#   redis-server  (present when `command -v redis-server` succeeds)
# Each extra argument is a Debian package name, detected by `command -v NAME`;
# write PACKAGE:COMMAND when the command differs from the package name. COMMAND
# may be an absolute path (nginx:/usr/sbin/nginx: /usr/sbin is not on every
# user's PATH).
#
# Runs `apt-get update` once, and only when something must be installed.
# Not root and something missing: prints what to install and exits 1.
# Idempotent; when everything is present it runs no apt command at all.
# The test fixtures start their own servers on free ports: any system cluster
# or service that the packages' postinst scripts start is stopped again here.
set -euo pipefail

missing=()

pg_ctl_present() {
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

pg_ctl_present || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

for spec in "$@"; do
    pkg="${spec%%:*}"
    cmd="${spec#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "system deps: missing ${missing[*]}; install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_log="$(mktemp)"
    trap 'rm -f "$apt_log"' EXIT
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        echo "system deps: apt-get failed installing ${missing[*]}" >&2
        exit 1
    fi
    # Debian's postinst scripts may start a system PostgreSQL cluster on 5432
    # and a system redis on 6379; the fixtures never use them, so stop them.
    if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
            if [[ "$status" == online* ]]; then
                pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
            fi
        done
    fi
    if [[ " ${missing[*]} " == *" redis-server "* ]]; then
        if command -v service >/dev/null 2>&1; then
            service redis-server stop >/dev/null 2>&1 || true
        fi
    fi
    # openssh-server's postinst starts a system sshd on port 22: the storage tests start
    # their own on a loopback port, and the test machine should not gain an SSH server.
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
        if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
            systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
        elif command -v service >/dev/null 2>&1; then
            service ssh stop >/dev/null 2>&1 || true
        fi
    fi
    # Likewise nginx's postinst may start the default site on port 80.
    if [[ " ${missing[*]} " == *" nginx "* ]]; then
        if command -v service >/dev/null 2>&1; then
            service nginx stop >/dev/null 2>&1 || true
        fi
    fi
fi

# The fixtures run initdb/pg_ctl as `postgres` when running as root.
if [[ "$(id -u)" -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# Sanity checks after install, then one short summary line.
if ! pg_ctl_present; then
    echo "system deps: postgresql server binaries still missing after install" >&2
    exit 1
fi
pg_version="$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_ctl | awk -F/ '{print $5}' | sort -V | tail -n 1)"
if ! redis_out="$(redis-server --version 2>/dev/null)"; then
    echo "system deps: redis-server still missing after install" >&2
    exit 1
fi
redis_version="$(sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p' <<<"$redis_out")"
for spec in "$@"; do
    cmd="${spec#*:}"
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "system deps: '$cmd' still missing after installing ${spec%%:*}" >&2
        exit 1
    fi
done

action="ok"
((${#missing[@]} > 0)) && action="installed ${missing[*]}"
extra=""
(($# > 0)) && extra=", $*"
echo "system deps: $action (postgresql $pg_version, redis-server ${redis_version:-?}$extra)"
