#!/usr/bin/env bash
# GET /v1/jobs/{id} under wrk for 30 s while two workers run tts jobs, beside the same server's
# /healthz (the peer: what Hummingbird itself costs per request on this machine).
# Usage: Benchmarks/HTTP/wrk-job-status.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-30}
CONNECTIONS=${2:-32}
BIN=.build/release/mediajobs
[[ -x $BIN ]] || swift build -c release --product mediajobs >&2
command -v wrk >/dev/null || { echo "wrk is missing: scripts/bootstrap.sh installs it" >&2; exit 1; }

HOME_DIR=$(mktemp -d)
LOG=$(mktemp)
cleanup() { [[ -n ${SERVER_PID:-} ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; rm -rf "$HOME_DIR" "$LOG"; }
trap cleanup EXIT

"$BIN" serve --home "$HOME_DIR" --port 0 --workers 2 --log-level warning >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$LOG" && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.]*:[0-9]*' "$LOG" | head -1)

submit() {
    curl -s "$BASE/v1/jobs" -H 'Content-Type: application/json' \
        -d "{\"kind\": \"tts\", \"provider\": \"local\", \"input\": {\"text\": \"Benchmark sentence number $1, spoken while the API is under load.\"}, \"output\": {\"format\": \"mp3\"}}"
}
ID=$(submit 0 | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
# Work for the two workers for the whole run (each job takes about a second of a core).
for i in $(seq 1 400); do submit "$i" >/dev/null; done
until curl -s "$BASE/v1/jobs/$ID" | grep -q '"state":"succeeded"'; do sleep 0.2; done

echo "server: $BASE, job $ID, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d${SECONDS_TO_RUN}s"
for path in "/v1/jobs/$ID" "/healthz"; do
    running_before=$(curl -s "$BASE/v1/stats" | grep -o '"succeeded":[0-9]*' | cut -d: -f2)
    echo "--- GET $path"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_TO_RUN}s" --latency "$BASE$path" | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
    running_after=$(curl -s "$BASE/v1/stats" | grep -o '"succeeded":[0-9]*' | cut -d: -f2)
    echo "jobs finished by the workers meanwhile: $((running_after - running_before))"
done
