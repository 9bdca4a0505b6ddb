#!/usr/bin/env bash
# All speed benchmarks in one go (quality suites are separate: npm run bench:quality -- <family>).
# Each prints its own table; run on a quiet machine, since ratios are only comparable within one run.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for b in data train export; do
  echo "== npm run bench:$b"
  npm run -s "bench:$b" || { echo "bench:$b failed"; status=1; }
done
exit $status
