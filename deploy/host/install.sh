#!/usr/bin/env bash
# Install (or upgrade) Oversight on one host, without containers.
#
#   sudo deploy/host/install.sh                  # from a checkout of the repository
#   sudo deploy/host/install.sh --prefix /opt/oversight --config-dir /etc/oversight
#
# What it does, each step skipped when already done (so an upgrade is the same command):
#   1. creates the system user and group `oversight` (with --system-user, the default as root)
#   2. builds Oversight's wheel from this checkout and installs it into a virtual environment
#      at PREFIX (PREFIX/bin/oversight), with its dependencies from the package index
#   3. writes CONFIG_DIR/oversight.env from deploy/host/oversight.env.example with a fresh JWT
#      secret and field-encryption key (only if the file does not exist yet), mode 0640
#   4. installs the systemd units (PREFIX and CONFIG_DIR substituted) into UNIT_DIR: the API,
#      the scheduler and the long-term Prometheus (its config into CONFIG_DIR), and runs
#      `systemctl daemon-reload` (with --systemd, the default as root)
# It does not start anything: edit the settings, then `systemctl enable --now oversight-api
# oversight-scheduler` (OPERATIONS.md, "Host install").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
prefix=/opt/oversight
config_dir=/etc/oversight
unit_dir=/etc/systemd/system
python=python3
if [[ "$(id -u)" -eq 0 ]]; then system_user=1; systemd=1; else system_user=0; systemd=0; fi

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install: $*" >&2; exit 2; }

while (($#)); do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --config-dir) config_dir="${2:?--config-dir needs a directory}"; shift 2 ;;
        --unit-dir) unit_dir="${2:?--unit-dir needs a directory}"; shift 2 ;;
        --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
        --system-user) system_user=1; shift ;;
        --no-system-user) system_user=0; shift ;;
        --systemd) systemd=1; shift ;;
        --no-systemd) systemd=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

command -v "$python" >/dev/null || die "no $python: install python3 (3.11 or newer) and python3-venv"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$python is older than 3.11"

if ((system_user)); then
    if ! getent group oversight >/dev/null; then groupadd --system oversight; fi
    if ! id oversight >/dev/null 2>&1; then
        useradd --system --gid oversight --home-dir /var/lib/oversight --no-create-home \
            --shell /usr/sbin/nologin oversight
    fi
fi

echo "install: application into $prefix"
if [[ ! -x "$prefix/bin/python" ]]; then
    "$python" -m venv "$prefix" || die "cannot create a virtual environment in $prefix (python3-venv installed?)"
fi
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
"$prefix/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --wheel-dir "$wheels" "$repo"
"$prefix/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
    "$wheels"/oversight-*.whl
mkdir -p "$prefix/share"
cp "$repo/OPERATIONS.md" "$repo/README.md" "$prefix/share/"

mkdir -p "$config_dir"
env_file="$config_dir/oversight.env"
if [[ ! -e "$env_file" ]]; then
    echo "install: settings into $env_file (fresh secrets)"
    jwt_secret="$("$prefix/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
    field_key="$("$prefix/bin/oversight" keys generate --key-id k1)"
    umask 027
    sed -e "s|^OVERSIGHT_AUTH__JWT_SECRET=.*|OVERSIGHT_AUTH__JWT_SECRET=$jwt_secret|" \
        -e "s|^OVERSIGHT_ENCRYPTION__KEYS=.*|OVERSIGHT_ENCRYPTION__KEYS=$field_key|" \
        "$here/oversight.env.example" > "$env_file"
    if ((system_user)); then chgrp oversight "$env_file"; fi
    chmod 0640 "$env_file"
else
    echo "install: $env_file exists, left as it is"
fi

if [[ ! -e "$config_dir/prometheus-longterm.yml" ]]; then
    cp "$here/prometheus-longterm.yml" "$config_dir/prometheus-longterm.yml"
fi

if ((systemd)); then
    echo "install: systemd units into $unit_dir"
    mkdir -p "$unit_dir"
    for unit in "$here"/systemd/*.service; do
        sed -e "s|/opt/oversight|$prefix|g" -e "s|/etc/oversight|$config_dir|g" \
            "$unit" > "$unit_dir/$(basename "$unit")"
    done
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
    fi
fi

echo "install: done. Next: edit $env_file (database URL, company), then"
echo "  systemctl enable --now oversight-api oversight-scheduler"
