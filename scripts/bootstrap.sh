#!/usr/bin/env bash
# Installs what MediaJobs needs on Debian 12: FFmpeg's, libcurl's and SQLite's development
# packages, the pocketsphinx English model, and the ffmpeg program (benchmarks and tests use it as
# a peer; the product never runs it), a font for drawtext's test-pattern captions, and for the
# tests and benchmarks: Python (loopback servers), curl, Debian's chromium (the dashboard
# test drives it headless through Playwright), python3-venv (the test venv with schemathesis and
# playwright, made by `make venv`), wrk, and Debian's PostgreSQL 15 server (scripts/pg-test-cluster.sh runs a
# throwaway cluster of it for the PostgreSQL store's tests; the package's own cluster is not used). Idempotent:
# installs only what is missing.
set -euo pipefail

packages=(
    pkg-config
    libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswresample-dev libswscale-dev
    libcurl4-openssl-dev libsqlite3-dev
    pocketsphinx-en-us
    fonts-dejavu-core
    ffmpeg
    # Tests: loopback servers in Python, curl as the download peer.
    python3 curl
    chromium python3-venv wrk
    # The PostgreSQL store's tests: initdb and pg_ctl from /usr/lib/postgresql/15/bin.
    postgresql
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
echo "bootstrap: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
