#!/usr/bin/env bash
# Runs the benchmarks of smtptest, the floor (bare go-smtp) and the Go peers
# side by side, COUNT times (default 7), and prints benchstat's summary and
# the table of medians and ratios to the floor that README.md shows.
#
#   bench/run.sh                 # about 4 minutes on 2 cores
#   COUNT=3 BENCHTIME=500ms bench/run.sh
set -euo pipefail
cd "$(dirname "$0")"
count=${COUNT:-7}
benchtime=${BENCHTIME:-1s}

go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
benchstat=$(go env GOPATH)/bin/benchstat

# Thousands of sockets in TIME_WAIT (from an earlier run, or fuzzing) make
# every listen and connect search for a free port: wait for them to go.
if command -v ss >/dev/null; then
	for _ in $(seq 1 30); do
		[ "$(ss -tan state time-wait | wc -l)" -lt 200 ] && break
		sleep 5
	done
fi

out=$(mktemp)
go test -run '^$' -bench . -count "$count" -benchtime "$benchtime" . | tee "$out"
echo
"$benchstat" -col /server "$out" || true
echo
go run ./ratios < "$out"
echo
echo "Machine: $(nproc) cores, $(go version), $(uname -srm)"
