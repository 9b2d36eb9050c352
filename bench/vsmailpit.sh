#!/usr/bin/env bash
# Measures cmd/smtptest and Mailpit under the same load (see vsmailpit/main.go).
# Not run by CI: it downloads and builds Mailpit.
#
#   bench/vsmailpit.sh                  # 20,000 messages, 3 runs each
#   N=5000 RUNS=1 bench/vsmailpit.sh
#   bench/vsmailpit.sh -ui-stream       # more flags go to vsmailpit (go run ./vsmailpit -h)
set -euo pipefail
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin go install github.com/axllent/mailpit@v1.33.1
(cd .. && go build -o "$bin/smtptest" ./cmd/smtptest)
go run ./vsmailpit -smtptest "$bin/smtptest" -mailpit "$bin/mailpit" -n "${N:-20000}" -runs "${RUNS:-3}" "$@"
