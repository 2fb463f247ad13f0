# The two commands of the README: `make demo` runs the main job, `make test` runs the tests.
SWIFT ?= swift
BIN = .build/debug/mediajobs
SENTENCE = The quick brown fox jumps over the lazy dog

VENV = .build/venv

.PHONY: bootstrap build demo test bench bench-http fuzz venv clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build --product mediajobs

# Speech from text, then that speech back into text, with the local provider (no key, no network).
demo: build
	@mkdir -p out
	$(BIN) submit tts --text "$(SENTENCE)" --format mp3 --wait --json -o out/demo.mp3
	$(BIN) submit transcribe --audio out/demo.mp3 --wait -o out/demo.txt
	@echo "--- out/demo.mp3 was heard as:"
	@cat out/demo.txt

# Python tools the HTTP server's tests run: schemathesis (property-based API testing against
# /openapi.json) and playwright (drives Debian's chromium; it downloads no browser); psycopg for the
# PostgreSQL queue's benchmark peer. Remade when this Makefile changes (pip keeps what is installed).
venv: $(VENV)/.ready

$(VENV)/.ready: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "schemathesis==4.32.5" "playwright==1.65.2" "psycopg[binary]==3.3.9"
	touch $@

# The tests run with a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh), stopped at the end
# even when they fail; MEDIAJOBS_REQUIRE_POSTGRES=1 makes the PostgreSQL tests fail rather than skip.
# The fleet test (three worker processes running 2,000 jobs flat out) runs after the others, beside the
# PostgreSQL store's own tests only: it keeps both cores busy for minutes, which would starve the
# suite's lease keepers and poll cadences beside it (they test a busy worker, not a machine at 100 %).
test: bootstrap venv
	$(SWIFT) build --build-tests
	scripts/with-pg-cluster.sh sh -c '$(SWIFT) test --skip-build --skip "MediaJobsPostgresTests|FleetKillTests" && $(SWIFT) test --skip-build --filter "MediaJobsPostgresTests|FleetKillTests"'

# Peers: huey from PyPI for the queue, the ffmpeg program (installed by bootstrap) for speech.
bench: bootstrap
	python3 -m pip install --quiet huey
	$(SWIFT) build -c release --product QueueBenchmark
	$(SWIFT) build -c release --product SpeechBenchmark
	$(SWIFT) build -c release --product DownloadBenchmark
	$(SWIFT) build -c release --product MediaBenchmark
	$(SWIFT) build -c release --product mediajobs
	$(SWIFT) build -c release --product SubmitBenchmark
	$(SWIFT) build -c release --product LongInputBenchmark
	.build/release/QueueBenchmark
	.build/release/SpeechBenchmark
	.build/release/DownloadBenchmark --megabytes 500 --runs 3
	.build/release/MediaBenchmark
	.build/release/SubmitBenchmark
	.build/release/LongInputBenchmark

# wrk against `mediajobs serve` (release build) while two workers run jobs.
bench-http: bootstrap
	$(SWIFT) build -c release --product mediajobs
	Benchmarks/HTTP/wrk-job-status.sh 30 32

# libFuzzer targets (docs/FUZZING.md), FUZZ_SECONDS each (default 60), one at a time; FUZZ_TARGETS picks some.
fuzz: bootstrap
	scripts/fuzz.sh

clean:
	rm -rf .build out
