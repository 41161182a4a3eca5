#!/usr/bin/env bash
# Installs everything the test-suite needs (a virtualenv with the test extras; Debian's chromium
# for the browser tests, nginx-light for the deployment tests, redis-server for the shared-state
# tests, Node.js for the embed-script tests, and axe-core from npm for the accessibility checks,
# each when missing), then runs lint, type checks and tests. Exits non-zero when any of them fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# need COMMAND PACKAGE... : install the Debian packages when COMMAND is not on this machine
# (the package lists are refreshed only when a first attempt fails).
need() {
    local command="$1"
    shift
    if command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ]; then
        return
    fi
    echo "==> installing $* (for $command)"
    $sudo_cmd apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q "$@" >/dev/null; }
}

need chromium chromium          # browser tests drive the system Chromium
need nginx nginx-light          # deployment tests run the shipped nginx site on 127.0.0.1
need openssl openssl            # ... with a self-signed certificate
need node nodejs                # the embed scripts are exercised under Node
need npm npm                    # to fetch axe-core
need redis-server redis-server  # the shared-state tests start their own Redis on 127.0.0.1
# The tests start their own nginx and redis-server on 127.0.0.1; packaged services are not wanted.
$sudo_cmd systemctl disable --now nginx >/dev/null 2>&1 || true
$sudo_cmd systemctl disable --now redis-server >/dev/null 2>&1 || true

# axe-core (the accessibility checker the browser tests inject into every page), from npm into a
# git-ignored folder; pinned so that a new axe release cannot fail a build on its own.
AXE_VERSION="4.14.1"
axe_dir=".cache/npm/node_modules/axe-core"
if [ ! -f "$axe_dir/axe.min.js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$axe_dir/package.json"; then
    echo "==> installing axe-core $AXE_VERSION into .cache/npm"
    npm install -q --prefix .cache/npm --no-audit --no-fund --no-save "axe-core@$AXE_VERSION" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$python" -m venv .venv
fi
echo "==> installing affsite with its test extras"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

echo "==> ruff"
.venv/bin/ruff check affsite tests bench
echo "==> mypy"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/python -m pytest -q -n 2 -p no:cacheprovider "$@"
