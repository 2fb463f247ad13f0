#!/usr/bin/env bash
# Planning a batch over a 1,000-file folder (scan, FFmpeg check of every file, hashing, dry run),
# next to a peer doing less: `ffprobe` run once per file over the same folder.
# Usage: Benchmarks/batch-plan.sh [FILES]   (needs `make build` first)
set -euo pipefail
files=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.build/debug/mediajobs"
[[ -x "$root/.build/release/mediajobs" ]] && bin="$root/.build/release/mediajobs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
# Distinct one-second recordings (a different tone each), in 10 sub-folders.
ffmpeg -nostdin -loglevel error -f lavfi -i "sine=frequency=440:duration=1" -ar 16000 -ac 1 "$work/tone.wav"
for ((i = 0; i < files; i++)); do
    mkdir -p "$work/in/d$((i % 10))"
    cp "$work/tone.wav" "$work/in/d$((i % 10))/f$i.wav"
    printf '%08d' "$i" >> "$work/in/d$((i % 10))/f$i.wav"   # trailing bytes: distinct content, still valid
done
start=$(date +%s.%N)
MEDIAJOBS_HOME="$work/home" "$bin" batch transcribe "$work/in" --recursive --dry-run --json > "$work/plan.json"
ours=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
start=$(date +%s.%N)
find "$work/in" -type f -name '*.wav' -print0 | xargs -0 -n 1 ffprobe -v error -show_streams > /dev/null
peer=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
jobs=$(python3 -c "import json,sys; print(json.load(open('$work/plan.json'))['jobs'])")
echo "binary: $bin"
echo "planned $jobs jobs from $files files: mediajobs batch --dry-run ${ours} s (goal < 5 s)"
echo "peer: ffprobe once per file ${peer} s; ratio peer/ours $(python3 -c "print(round($peer / $ours, 1))")"
