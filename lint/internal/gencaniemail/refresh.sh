#!/usr/bin/env bash
# Refreshes lint's copy of the caniemail data set (lint/caniemail.txt and
# its licence, lint/caniemail.LICENSE) from the npm package caniemail at
# the version pinned here: bump it, run this, review the diff.
#
#   lint/internal/gencaniemail/refresh.sh
set -euo pipefail
version=2.0.2
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts "caniemail@$version" >/dev/null)
go run . -in "$tmp/node_modules/caniemail/data/caniemail.json" -version "$version" > ../../caniemail.txt
cp "$tmp/node_modules/caniemail/LICENSE" ../../caniemail.LICENSE
echo "lint/caniemail.txt: caniemail $version"
