#!/usr/bin/env bash
# Alternating A/B of the data prep: a base commit's packages/data/src (stashed in and out) against the working tree,
# each a full `npm run bench:data -- --sizes SIZE` in its own process, ROUNDS pairs back to back.
# Usage: bash scripts/bench/data-ab.sh SIZE ROUNDS   (needs uncommitted changes under packages/data/src; the base is HEAD)
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-1000000}; rounds=${2:-3}
git diff --quiet -- packages/data/src && { echo "no changes under packages/data/src to compare with HEAD" >&2; exit 1; }
for _ in $(seq 1 "$rounds"); do
  git stash push -q -- packages/data/src
  trap 'git stash pop -q' EXIT
  printf 'base: '; npm run -s bench:data -- --sizes "$size" 2>&1 | grep 'events:'
  git stash pop -q
  trap - EXIT
  printf 'new:  '; npm run -s bench:data -- --sizes "$size" 2>&1 | grep 'events:'
done
