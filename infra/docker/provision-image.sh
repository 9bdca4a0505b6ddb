#!/usr/bin/env bash
# Provisioning of the cfm worker images: every RUN step of infra/docker/{cpu,gpu}.Dockerfile is this script, and
# CI runs it the same way without a container engine (infra/docker/ci-check.sh). It calls the provisioning scripts
# that scripts/setup.sh runs, but every step must succeed: an image without native TensorFlow or its kernels is broken.
#
#   provision-image.sh cpu|gpu [--app DIR] [--ci CHECKOUT] [--plan]
#     --app DIR       the application tree to provision (default: the tree this script is in; /app in the image)
#     --ci CHECKOUT   CI on a scratch copy of the tree: `system` checks the commands instead of installing packages
#                     and `deps` reuses CHECKOUT's node_modules (installed by scripts/setup.sh) instead of npm ci
#     --plan          run only each step's preconditions and print what the step would run
#
# Steps, in order:
#   system   g++, make, python3 + pip (apt-get when missing), Node >= 20.19 with its headers, npm >= 11 (root allowScripts)
#   deps     npm ci (the command scripts/setup.sh runs)
#   tfjs     infra/tfjs-native/provision.sh (gpu: --gpu: @tensorflow/tfjs-node-gpu + the CUDA/cuDNN wheels); the
#            libraries are copied into node_modules (CFM_TFJS_NATIVE_COPY=1) so the app tree is self-contained
#   kernels  infra/native-kernels/provision.sh for a portable CPU level (CFM_NATIVE_MARCH, default x86-64-v3)
#   data     infra/native-data/provision.sh
#   xgboost  infra/xgboost/provision.sh
#   bundle   workflows/scripts/bundle.ts -> workflows/dist/workflow-bundle.js (the workers' --bundle)
#   verify   every addon and library loads from the app tree and the bundle is there
# Env: CFM_CACHE_DIR (download and build caches, default ~/.cache/cfm), CFM_NATIVE_MARCH, CFM_NPM_VERSION (the npm the
# image installs when its Node brings an older one, default 11.19.1), CFM_IMAGE_STEPS (a
# space-separated subset of the steps, in the order above).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
variant=${1:-}
case $variant in cpu|gpu) shift ;; *) echo "usage: $0 cpu|gpu [--app DIR] [--ci CHECKOUT] [--plan]" >&2; exit 2 ;; esac
app=$(cd "$here/../.." && pwd); ci=; plan=0
while [ $# -gt 0 ]; do
  case $1 in
    --app) app=$(cd "$2" && pwd); shift 2 ;;
    --ci) ci=$(cd "$2" && pwd); shift 2 ;;
    --plan) plan=1; shift ;;
    *) echo "usage: $0 cpu|gpu [--app DIR] [--ci CHECKOUT] [--plan]" >&2; exit 2 ;;
  esac
done
export CFM_NATIVE_MARCH=${CFM_NATIVE_MARCH:-x86-64-v3}
steps=${CFM_IMAGE_STEPS:-system deps tfjs kernels data xgboost bundle verify}
t0=$(date +%s)
say() { echo "[image $variant +$(( $(date +%s) - t0 ))s] $*"; }
die() { echo "[image $variant] FAILED: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"; }
run() {  # a step's command: shown, then run unless --plan
  say "\$ $*"
  [ $plan = 1 ] || (cd "$app" && "$@") || die "$*"
}

step_system() {
  local missing=()
  for c in g++ make python3 node npm; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  if [ ${#missing[@]} -gt 0 ]; then
    [ -z "$ci" ] && [ $plan = 0 ] && command -v apt-get >/dev/null || die "missing: ${missing[*]}"
    run apt-get update
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ make python3 python3-pip ca-certificates
    [ $plan = 1 ] || rm -rf /var/lib/apt/lists/*
  fi
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node $(node -v) is older than the root package.json's engines (>= 20.19)"
  local nodedir; nodedir=$(node -p "require('path').resolve(process.execPath, '..', '..')")
  [ -f "$nodedir/include/node/node_api.h" ] || [ -f /usr/include/node/node_api.h ] || die "Node headers (include/node/node_api.h) not found"
  if [ "$(npm -v | cut -d. -f1)" -lt 11 ]; then  # the root package.json's allowScripts needs npm >= 11
    [ -z "$ci" ] || die "npm $(npm -v) lacks allowScripts (npm >= 11)"
    run npm install -g --no-audit --no-fund "npm@${CFM_NPM_VERSION:-11.19.1}"
  fi
  # the portable CPU level of the kernels must be one this g++ knows
  echo 'int main(){}' | g++ -march="$CFM_NATIVE_MARCH" -x c++ -o /dev/null - || die "g++ does not take -march=$CFM_NATIVE_MARCH"
  say "system: node $(node -v), npm $(npm -v), $(g++ --version | head -1), $(python3 -m pip --version | cut -d' ' -f1-2), -march=$CFM_NATIVE_MARCH"
}

step_deps() {
  [ -f "$app/package.json" ] && [ -f "$app/package-lock.json" ] || die "no package.json / package-lock.json in $app"
  for p in @tensorflow/tfjs-node @tensorflow/tfjs-node-gpu; do
    node -e "const j=require('$app/package.json'); process.exit(j.optionalDependencies?.['$p'] && j.allowScripts?.['$p']===false ? 0 : 1)" \
      || die "$p must be a root optionalDependency whose install script allowScripts denies (infra/tfjs-native)"
  done
  if [ -n "$ci" ]; then
    say "deps: node_modules of $ci (scripts/setup.sh ran npm ci there)"
    [ $plan = 1 ] || link_node_modules "$ci"
  else
    # what scripts/setup.sh runs: exactly the lockfile's versions
    run npm ci --no-audit --no-fund
  fi
}

# CI: the checkout's node_modules, linked entry by entry, except what provisioning writes into: the tfjs-node
# packages are copied without their build outputs and the workspace links point into the scratch tree
link_node_modules() {
  local src=$1/node_modules dst=$app/node_modules e n p d
  [ -d "$src/@tensorflow/tfjs-node" ] || die "$src has no @tensorflow/tfjs-node (run scripts/setup.sh there first)"
  rm -rf "$dst"; mkdir -p "$dst/@tensorflow"
  for e in "$src"/* "$src"/.bin; do
    n=$(basename "$e")
    case $n in
      @cfm) cp -P -r "$e" "$dst/@cfm" ;;
      @tensorflow)
        for p in "$e"/*; do
          case $(basename "$p") in
            tfjs-node|tfjs-node-gpu) mkdir -p "$dst/@tensorflow/$(basename "$p")"
              (cd "$p" && tar cf - --exclude=./deps --exclude=./lib/napi-v8 --exclude=./build .) | tar xf - -C "$dst/@tensorflow/$(basename "$p")" ;;
            *) ln -s "$p" "$dst/@tensorflow/" ;;
          esac
        done ;;
      *) ln -s "$e" "$dst/$n" ;;
    esac
  done
  # the workspaces' own node_modules (versions that differ from the root's)
  (cd "$1" && find apps packages workflows -maxdepth 3 -name node_modules -type d -prune) | while read -r d; do
    [ -d "$app/$(dirname "$d")" ] && ln -s "$1/$d" "$app/$d"
  done
}

step_tfjs() {
  local args=() pkg=tfjs-node wheel=TF_CPU_WHEEL
  if [ "$variant" = gpu ]; then args+=(--gpu); pkg=tfjs-node-gpu; wheel=TF_GPU_WHEEL; fi
  [ -f "$app/node_modules/@tensorflow/$pkg/package.json" ] || [ ! -d "$app/node_modules" ] || die "@tensorflow/$pkg is not in node_modules (deps)"
  (. "$app/infra/tfjs-native/versions.env" && [ -n "${TF_VERSION:-}" ] && [ -n "${!wheel:-}" ]) || die "infra/tfjs-native/versions.env lacks TF_VERSION / $wheel"
  [ "$variant" = cpu ] || grep -q '"cuda-reqs"' "$app/infra/tfjs-native/wheel.py" || die "infra/tfjs-native/wheel.py has no cuda-reqs command"
  # the image copies the libraries into node_modules; CI links its shared cache (the same files, no 650 MB copy)
  if [ -z "$ci" ]; then
    run env CFM_TFJS_NATIVE_COPY=1 bash infra/tfjs-native/provision.sh "${args[@]}"
  else
    run bash infra/tfjs-native/provision.sh "${args[@]}"
  fi
}
step_kernels() { [ -d "$app/packages/tensor/native" ] || die "no packages/tensor/native"; run bash infra/native-kernels/provision.sh; }
step_data() { [ -d "$app/packages/data/native" ] || die "no packages/data/native"; run bash infra/native-data/provision.sh; }
step_xgboost() { run bash infra/xgboost/provision.sh; }
step_bundle() { [ -f "$app/workflows/scripts/bundle.ts" ] || die "no workflows/scripts/bundle.ts"; run node --conditions=@cfm/source --import tsx workflows/scripts/bundle.ts --out workflows/dist/workflow-bundle.js; }

step_verify() {
  [ $plan = 1 ] && { say "verify: addons load from $app, bundle present"; return; }
  local pkg=@tensorflow/tfjs-node; [ "$variant" = gpu ] && pkg=@tensorflow/tfjs-node-gpu
  (cd "$app" && LD_BIND_NOW=1 TF_CPP_MIN_LOG_LEVEL=2 node -e "
    const path = require('path'), fs = require('fs');
    const load = (f) => { const m = { exports: {} }; process.dlopen(m, path.resolve(f)); return m.exports; };
    const pkg = path.dirname(require.resolve('$pkg/package.json'));
    const bin = require(require.resolve('@mapbox/node-pre-gyp', { paths: [pkg] })).find(path.join(pkg, 'package.json'));
    load(bin);
    if (typeof load('tools/native-kernels/cfm_kernels.node').run !== 'function') throw new Error('cfm_kernels.node');
    if (typeof load('tools/native-data/cfm_data.node').scan !== 'function') throw new Error('cfm_data.node');
    if (!fs.existsSync('tools/xgboost/xgboost/lib/libxgboost.so')) throw new Error('libxgboost.so');
    const b = fs.readFileSync('workflows/dist/workflow-bundle.js', 'utf8');
    if (!b.includes('retrainWorkflow') || !b.includes('backfillWorkflow')) throw new Error('workflow bundle');
    console.log('addon', path.relative(process.cwd(), bin));
  ") || die "verify"
  if [ -z "$ci" ]; then  # the runtime stage copies the app tree alone: nothing may point out of it
    local out; out=$(cd "$app" && find node_modules/@tensorflow tools workflows/dist -type l -lname '/*' ! -lname "$app/*" | head -5)
    [ -z "$out" ] || die "links out of the app tree: $out"
  fi
  say "verify: native TensorFlow ($pkg), kernels, data scan, libxgboost and the workflow bundle load from $app"
}

say "provisioning $app (${ci:+CI from $ci, }steps: $steps$([ $plan = 1 ] && echo ', plan only'))"
for s in $steps; do
  declare -F "step_$s" >/dev/null || die "unknown step $s"
  "step_$s"
done
say "done"
