#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests of MediaJobsPostgres.
#
#   scripts/pg-test-cluster.sh start   # initdb + start (reuses a running one); prints its URL
#   scripts/pg-test-cluster.sh url     # prints the URL of the running cluster (fails when none runs)
#   scripts/pg-test-cluster.sh stop    # stops it and removes its folder
#
# The cluster lives in one folder per checkout, ${TMPDIR:-/tmp}/mediajobs-pg-test-<hash of the checkout path>
# (MEDIAJOBS_PG_TEST_DIR overrides it): data/, the server's log, its Unix socket and a file `url` holding
# postgres://postgres@127.0.0.1:PORT/postgres. It listens on 127.0.0.1 only, on a free port, with trust auth (no
# password), fsync off and max_connections 400 so parallel tests each get a database and a pool. Its data is
# disposable: nothing in it survives `stop`.
#
# As root (CI), initdb refuses to run, so the folder is owned by the `postgres` OS user and initdb and pg_ctl run as
# that user through runuser. A folder left by a killed run is reused when its server still answers, and otherwise
# stopped and wiped before a fresh initdb.
set -euo pipefail

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
checkout=$(cd "$(dirname "$0")/.." && pwd -P)
dir=${MEDIAJOBS_PG_TEST_DIR:-${TMPDIR:-/tmp}/mediajobs-pg-test-$(printf '%s' "$checkout" | sha256sum | cut -c1-12)}
data=$dir/data

fail() { echo "pg-test-cluster: $*" >&2; exit 1; }

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True when the cluster in $dir runs and accepts connections on the port of its url file.
running() {
    [[ -f $dir/url && -f $dir/port && -d $data ]] || return 1
    as_owner "$pg_bin/pg_ctl" status -D "$data" >/dev/null 2>&1 || return 1
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/port")" -t 5
}

# Stops whatever server the folder holds (fast, then immediate) and removes the folder.
wipe() {
    if [[ -d $data ]]; then
        as_owner "$pg_bin/pg_ctl" stop -D "$data" -m fast -w -t 20 >/dev/null 2>&1 \
            || as_owner "$pg_bin/pg_ctl" stop -D "$data" -m immediate -w -t 20 >/dev/null 2>&1 \
            || true
    fi
    rm -rf "$dir"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    [[ -x $pg_bin/initdb ]] || fail "$pg_bin/initdb not found: install Debian's postgresql (scripts/bootstrap.sh)"
    if running; then
        cat "$dir/url"
        return
    fi
    wipe
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || fail "running as root needs the postgres OS user (Debian's postgresql makes it)"
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; fail "initdb failed in $data"; }

    # A port found free can be taken before the server binds it: try a few.
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$pg_bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 -o "\
            -c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=400 -c shared_buffers=128MB" >/dev/null; then
            echo "$port" >"$dir/port"
            echo "postgres://postgres@127.0.0.1:$port/postgres" >"$dir/url"
            cat "$dir/url"
            return
        fi
        echo "pg-test-cluster: start on port $port failed (attempt $attempt); see $dir/server.log" >&2
    done
    tail -n 20 "$dir/server.log" >&2 || true
    fail "could not start PostgreSQL in $data"
}

case ${1:-} in
    start) start ;;
    stop) wipe ;;
    url)
        running || fail "no test cluster runs in $dir (scripts/pg-test-cluster.sh start)"
        cat "$dir/url"
        ;;
    *) fail "usage: $0 start|stop|url" ;;
esac
