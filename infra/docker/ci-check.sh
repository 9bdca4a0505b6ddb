#!/usr/bin/env bash
# The worker images, checked without a container engine (npm test runs this through the nx project `infra`):
#  1. the Dockerfiles: every RUN is infra/docker/provision-image.sh <its variant>, and the image starts the worker on
#     the bundle that the script's bundle step writes
#  2. provision-image.sh cpu --ci: the image's steps, run for real into a scratch copy of the tree (tracked and
#     untracked, not ignored, files), reusing what scripts/setup.sh left: its node_modules and its download caches
#     (so nothing is downloaded or reinstalled); the native builds, the tfjs-node install and its verification, the
#     bundle and the load check all run
#  3. provision-image.sh gpu --ci --plan: the gpu image's steps and their preconditions (its tfjs-node-gpu build needs
#     the ~3 GB CUDA wheel set, which only the image build downloads)
# Usage: bash infra/docker/ci-check.sh   (env CFM_KEEP_SCRATCH=1 keeps the scratch tree; CFM_IMAGE_CHECK_STATIC=1: step 1 only)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
t0=$(date +%s)
fail() { echo "image-check: FAILED: $*" >&2; exit 1; }

bundle=/app/workflows/dist/workflow-bundle.js
docker_dir=${CFM_DOCKER_DIR:-$root/infra/docker}   # tests point it at altered copies
for v in cpu gpu; do
  f=$docker_dir/$v.Dockerfile
  runs=$(grep -E '^RUN ' "$f") || fail "$f has no RUN"
  while read -r line; do
    [[ $line == *"bash infra/docker/provision-image.sh $v"* ]] || fail "$f: a RUN step that is not provision-image.sh $v: $line"
  done <<<"$runs"
  grep -q "CFM_WORKFLOW_BUNDLE=$bundle" "$f" || fail "$f does not point CFM_WORKFLOW_BUNDLE at $bundle"
  grep -q "NODE_OPTIONS=--conditions=@cfm/source" "$f" || fail "$f does not set NODE_OPTIONS=--conditions=@cfm/source (the worker runs from sources)"
  grep -qE '^ENTRYPOINT \["node", "--import", "tsx", "apps/worker/src/main.ts"\]' "$f" || fail "$f: ENTRYPOINT is not the worker"
  [ -f "$f.dockerignore" ] || fail "no $f.dockerignore (the context is the repository root)"
done
grep -q -- "--bundle $bundle" <(tr -d '",[]' < "$docker_dir/cpu.Dockerfile" | grep '^CMD') || fail "cpu.Dockerfile CMD does not pass --bundle $bundle"
grep -q -- "--out workflows/dist/workflow-bundle.js" "$root/infra/docker/provision-image.sh" || fail "provision-image.sh does not write workflows/dist/workflow-bundle.js"
echo "image-check: Dockerfiles run only provision-image.sh and start the worker on $bundle"
[ "${CFM_IMAGE_CHECK_STATIC:-0}" = 1 ] && exit 0

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cfm-image-check.XXXXXX")
[ "${CFM_KEEP_SCRATCH:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT
app=$scratch/app
mkdir -p "$app"
# what `COPY . .` takes (the .dockerignore drops node_modules, tools, dist and the like, all ignored by git too)
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$app"
bash "$app/infra/docker/provision-image.sh" cpu --app "$app" --ci "$root"
bash "$app/infra/docker/provision-image.sh" gpu --app "$app" --ci "$root" --plan
echo "image-check: ok ($(( $(date +%s) - t0 ))s)"
