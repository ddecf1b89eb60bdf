#!/usr/bin/env bash
# Set up kataio on Debian 12 as root: apt packages, a virtual environment, the package.
#   scripts/setup.sh           the application (fio, runc, crun, runsc, tmux; kataio in .venv)
#   scripts/setup.sh --tests   also the test tools and the Kubernetes lab (built once into its cache)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

APT_PACKAGES=(fio runc crun runsc tmux)
# tests also compile fio's percentile arithmetic in C to check kataio against it
[ $with_tests -eq 1 ] && APT_PACKAGES+=(gcc libc6-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extras=""
[ $with_tests -eq 1 ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"

if [ $with_tests -eq 1 ] && [ -x .ci/lab-setup ]; then
    .ci/lab-setup
fi
