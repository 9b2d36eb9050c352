#!/usr/bin/env bash
# Runs the benchmarks of smtptest, the floor (bare go-smtp) and the Go peers
# side by side, COUNT times (default 7), and prints benchstat's summary and
# the table of medians and ratios to the floor that README.md shows.
#
#   bench/run.sh                 # about 5 minutes on 2 cores
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
# Client and server in this process first; then the start benchmark with
# the client in a process of its own, each pinned to a CPU of its own
# (when there are two and taskset exists).
go test -run '^$' -bench . -skip Split -count "$count" -benchtime "$benchtime" . | tee "$out"
cpus=$(nproc)
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
	SMTPTEST_BENCH_CLIENT_CPU=$((cpus - 1)) taskset -c 0 \
		go test -run '^$' -bench Split -count "$count" -benchtime "$benchtime" . | tee -a "$out"
else
	go test -run '^$' -bench Split -count "$count" -benchtime "$benchtime" . | tee -a "$out"
fi
echo
"$benchstat" -col /server "$out" || true
echo
go run ./ratios < "$out"
echo
# The prototype of a bulk DATA reader for go-smtp (see dotreader's doc).
dot=$(mktemp)
go test -run '^$' -bench . -count "$count" -benchtime "$benchtime" ./dotreader | tee "$dot"
"$benchstat" -col /reader "$dot" || true
echo
echo "Machine: $(nproc) cores, $(go version), $(uname -srm)"
