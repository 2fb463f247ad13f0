#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for a bounded time (docs/FUZZING.md).
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   which targets, space-separated (default: all four)
#   FUZZ_CONFIG    release (default) or debug
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10)
#   FUZZ_BUILD     0 to run the targets as last built, without building (default 1)
#
# Each target runs over a copy of Fuzz/Corpus/<Target> plus Fuzz/Regressions/<Target> in
# .build-fuzz/work/<Target>/corpus (the repository's corpus never grows), one target at a time. A crash,
# a sanitizer report, a hang or a leak fails the run; its input is left in .build-fuzz/work/<Target>/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-FuzzJobDocument FuzzTranscriptAnswers FuzzSubtitles FuzzMediaValidator}
FUZZ_CONFIG=${FUZZ_CONFIG:-release}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_BUILD=${FUZZ_BUILD:-1}
BUILD_PATH=.build-fuzz
WORK=$BUILD_PATH/work

# Largest input tried, and dictionary, per target.
max_len() {
    case $1 in
        FuzzJobDocument) echo 4096 ;;
        FuzzTranscriptAnswers) echo 8192 ;;
        FuzzSubtitles) echo 4096 ;;
        FuzzMediaValidator) echo 16384 ;;
        *) echo "unknown fuzz target '$1' (one of FuzzJobDocument FuzzTranscriptAnswers FuzzSubtitles FuzzMediaValidator)" >&2
           exit 2 ;;
    esac
}
dictionary() {
    case $1 in
        FuzzJobDocument) echo Fuzz/Dictionaries/job.dict ;;
        FuzzTranscriptAnswers) echo Fuzz/Dictionaries/transcript.dict ;;
        FuzzSubtitles) echo Fuzz/Dictionaries/subtitles.dict ;;
        FuzzMediaValidator) echo Fuzz/Dictionaries/media.dict ;;
    esac
}

for target in $FUZZ_TARGETS; do max_len "$target" >/dev/null; done

# MEDIAJOBS_FUZZ declares the targets in Package.swift; SwiftPM's default build (.build) never sees them.
for target in $FUZZ_TARGETS; do
    if [ "$FUZZ_BUILD" != 0 ]; then
        echo "== building $target ($FUZZ_CONFIG, libFuzzer + AddressSanitizer)"
        MEDIAJOBS_FUZZ=1 $SWIFT build -c "$FUZZ_CONFIG" --build-path "$BUILD_PATH" \
            -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$target" 2>&1 \
            | grep -v "Cannot export local symbol" || true
    fi
    test -x "$BUILD_PATH/$FUZZ_CONFIG/$target" || { echo "fuzz: building $target failed" >&2; exit 1; }
done

stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=()
summary=()
echo "== load before: $(uptime)"
for target in $FUZZ_TARGETS; do
    dir=$WORK/$target
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp Fuzz/Corpus/"$target"/* "$dir/corpus/"
    if compgen -G "Fuzz/Regressions/$target/*" >/dev/null; then cp Fuzz/Regressions/"$target"/* "$dir/corpus/"; fi
    options=(-max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$target")" -timeout="$FUZZ_TIMEOUT"
             -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/artifacts/")
    dict=$(dictionary "$target")
    if [ -n "$dict" ]; then options+=(-dict="$dict"); fi
    echo "== fuzzing $target for $FUZZ_SECONDS s (log: $dir/fuzz.log)"
    status=0
    # The Swift runtime's own backtracer would take seconds per crash and hide libFuzzer's report.
    SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
        "$BUILD_PATH/$FUZZ_CONFIG/$target" "${options[@]}" "$dir/corpus" >"$dir/fuzz.log" 2>&1 || status=$?
    execs=$(stat number_of_executed_units "$dir/fuzz.log")
    rate=$(stat average_exec_per_sec "$dir/fuzz.log")
    added=$(stat new_units_added "$dir/fuzz.log")
    result=ok
    if [ "$status" -ne 0 ] || compgen -G "$dir/artifacts/*" >/dev/null; then
        result="FAILED (exit $status)"
        failed+=("$target")
        grep -E "ERROR|Fatal error|SUMMARY|deadly signal|Test unit written" "$dir/fuzz.log" | head -20 >&2 || true
        ls "$dir"/artifacts/* >&2 2>/dev/null || true
    fi
    summary+=("$(printf '%-22s %6s s %12s execs %8s execs/s %6s new inputs  %s' \
        "$target" "$FUZZ_SECONDS" "${execs:-?}" "${rate:-?}" "${added:-?}" "$result")")
    echo "${summary[-1]}"
done
echo "== load after: $(uptime)"
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (inputs in $WORK/<target>/artifacts)" >&2
    exit 1
fi
