#!/usr/bin/env bash
# Runs a command with the throwaway PostgreSQL test cluster (scripts/pg-test-cluster.sh) up:
#
#   scripts/with-pg-cluster.sh swift test --skip-build
#
# The command sees MEDIAJOBS_TEST_DATABASE_URL (the cluster's URL) and MEDIAJOBS_REQUIRE_POSTGRES=1 (so the
# PostgreSQL tests fail instead of skipping). A cluster this script started is stopped when the command ends,
# whether it passed, failed or was interrupted; one that was already running is left running. Exits with the
# command's status.
set -euo pipefail

cluster=$(dirname "$0")/pg-test-cluster.sh
(($# > 0)) || { echo "usage: $0 COMMAND [ARGUMENT…]" >&2; exit 2; }

if url=$("$cluster" url 2>/dev/null); then
    started=0
else
    started=1
    trap '"$cluster" stop' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    url=$("$cluster" start)
fi
echo "with-pg-cluster: PostgreSQL test cluster at $url" >&2

export MEDIAJOBS_TEST_DATABASE_URL=$url
export MEDIAJOBS_REQUIRE_POSTGRES=1
status=0
"$@" || status=$?
((started == 0)) || echo "with-pg-cluster: stopping the test cluster" >&2
exit "$status"
