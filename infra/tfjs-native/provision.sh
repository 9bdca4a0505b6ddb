#!/usr/bin/env bash
# Native TensorFlow for @tensorflow/tfjs-node (or -gpu) where its own install step cannot download
# libtensorflow: take the TensorFlow shared libraries and C headers from the PyPI wheel, lay them out as
# <pkg>/deps/{lib,include}, build the addon with node-gyp against the local Node headers, cache the result
# keyed by versions, link it into node_modules and verify it (tf.getBackend() === 'tensorflow', and a
# training step matches wasm). See infra/README.md.
#
#   infra/tfjs-native/provision.sh [--gpu] [--if-missing] [--force] [--no-verify]
#     --gpu         @tensorflow/tfjs-node-gpu with the CUDA build and the CUDA/cuDNN wheels of its and-cuda extra
#     --if-missing  exit at once when the addon already loads
#     --force       rebuild even when the cache has this key
# env: CFM_CACHE_DIR (default ~/.cache/cfm), CFM_TFJS_NATIVE_SOURCE=auto|stock|pypi (auto: the package's own
#      download first, PyPI when that fails), CFM_TFJS_NATIVE_COPY=1 to copy deps/ instead of linking the cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
variant=cpu; if_missing=0; force=0; verify=1
for a in "$@"; do
  case $a in
    --gpu) variant=gpu ;; --if-missing) if_missing=1 ;; --force) force=1 ;; --no-verify) verify=0 ;;
    *) echo "usage: $0 [--gpu] [--if-missing] [--force] [--no-verify]" >&2; exit 2 ;;
  esac
done
source_mode=${CFM_TFJS_NATIVE_SOURCE:-auto}
pkg=@tensorflow/tfjs-node; wheel_name=$TF_CPU_WHEEL
if [ "$variant" = gpu ]; then pkg=@tensorflow/tfjs-node-gpu; wheel_name=$TF_GPU_WHEEL; fi
pkgdir=$root/node_modules/$pkg
cache_root=${CFM_CACHE_DIR:-$HOME/.cache/cfm}/tfjs-native
mkdir -p "$cache_root"
log=$cache_root/provision-$variant.log
t0=$(date +%s)
say() { echo "[tfjs-native +$(( $(date +%s) - t0 ))s] $*"; }
# one line on failure; callers (scripts/setup.sh) carry on, and initBackend() then picks wasm
die() { echo "[tfjs-native] native TensorFlow not provisioned, TF.js will use wasm: $* (log: $log)" >&2; exit 1; }
: > "$log"
trap 'die "unexpected failure at provision.sh line $LINENO"' ERR
temps=()  # temp dirs under the cache, removed on any exit
trap 'rm -rf "${temps[@]}"' EXIT
tempdir() { mktemp -d "$cache_root/$1.XXXXXX"; }  # callers add it to temps (a $(...) subshell cannot)

[ -f "$pkgdir/package.json" ] || die "$pkg is not in node_modules (run npm install at the repo root first)"
tfjs_version=$(node -p "require('$pkgdir/package.json').version")
# where node-pre-gyp (and so tfjs-node at run time) looks for the addon, e.g. lib/napi-v8/tfjs_binding.node
binding=$(cd "$pkgdir" && node -e "
  const p = require('path'); const pj = p.resolve('package.json');
  const find = require(require.resolve('@mapbox/node-pre-gyp', { paths: [p.dirname(pj)] })).find;
  console.log(p.relative(p.dirname(pj), find(pj)))")
napi=$(basename "$(dirname "$binding")")   # napi-v8

addon_loads() {
  [ -f "$pkgdir/$binding" ] || return 1
  # LD_BIND_NOW: fail here on any TF_/TFE_ symbol the library lacks, not at the first op
  (cd "$pkgdir" && LD_BIND_NOW=1 TF_CPP_MIN_LOG_LEVEL=2 node -e "require('./$binding')") >>"$log" 2>&1
}

if [ $if_missing = 1 ] && [ $force = 0 ] && addon_loads; then
  say "$pkg already loads native TensorFlow ($binding)"; exit 0
fi

# ---- node-gyp and Node headers (node-gyp must not download headers) ----
find_node_gyp() {
  local c
  for c in "${npm_config_node_gyp:-}" "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"; do
    [ -n "$c" ] && [ -f "$c" ] && { echo "$c"; return; }
  done
  die "node-gyp not found (it ships inside npm: <npm>/node_modules/node-gyp)"
}
find_nodedir() {
  local p
  for p in /usr "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"; do
    [ -f "$p/include/node/node_api.h" ] && { echo "$p"; return; }
  done
  die "Node headers not found (<prefix>/include/node/node_api.h); install the Node development headers for $(node -v)"
}

# ---- route 1: the package's own install step (needs the internet) ----
stock_build() {  # $1 = output dir; runs in a copy so a failed download never touches node_modules
  local out=$1 libtf_v work
  libtf_v=$(cd "$pkgdir" && node -p "require('./scripts/deps-constants.js').LIBTENSORFLOW_VERSION")
  key="$variant-tfjs-node$tfjs_version-tf$libtf_v-stock-$napi-$(uname -m)"
  say "trying $pkg's own libtensorflow $libtf_v download (${STOCK_TIMEOUT_S}s limit)"
  work=$(tempdir work); temps+=("$work")
  copy_package "$work"
  # its requires (tar, adm-zip, node-pre-gyp ...) resolve from the installed package's node_modules
  (cd "$work" && NODE_PATH="$pkgdir/node_modules:$root/node_modules" PATH="$root/node_modules/.bin:$PATH" \
    timeout "$STOCK_TIMEOUT_S" node scripts/install.js "$variant" download) >>"$log" 2>&1 || { rm -rf "$work"; return 1; }
  if [ ! -f "$work/$binding" ] || [ ! -d "$work/deps/lib" ]; then rm -rf "$work"; return 1; fi
  mkdir -p "$out/$(dirname "$binding")"
  cp -a "$work/deps" "$out/deps" && cp "$work/$binding" "$out/$binding"
  rm -rf "$work"
}
copy_package() {  # sources + binding.gyp of the installed package, without its build outputs
  mkdir -p "$1"
  (cd "$pkgdir" && tar cf - --exclude=./node_modules --exclude=./deps --exclude=./lib --exclude=./build .) | tar xf - -C "$1"
}

# ---- route 2: PyPI wheels ----
pypi_build() {  # $1 = output dir
  local out=$1 work wheel nodegyp nodedir
  key="$variant-tfjs-node$tfjs_version-tf$TF_VERSION-pypi-$napi-$(uname -m)"
  work=$(tempdir work); temps+=("$work")
  say "downloading $wheel_name==$TF_VERSION wheel from the Python package index"
  python3 -m pip download --no-deps --only-binary=:all: --python-version "$WHEEL_PYTHON" --platform "$WHEEL_PLATFORM" \
    --progress-bar off -d "$work/wheels" "$wheel_name==$TF_VERSION" >>"$log" 2>&1 || die "pip download $wheel_name==$TF_VERSION"
  wheel=$(ls "$work"/wheels/*.whl)
  say "extracting shared libraries and C headers from $(basename "$wheel") ($(du -m "$wheel" | cut -f1) MB)"
  python3 "$here/wheel.py" tf "$wheel" "$work/tf" >>"$log" 2>&1 || die "extracting $wheel"
  # build tree: a copy of the package (sources + binding.gyp) with deps/ beside it
  copy_package "$work/pkg"
  mkdir -p "$work/pkg/deps"
  mv "$work/tf/lib" "$work/pkg/deps/lib" && mv "$work/tf/include" "$work/pkg/deps/include"
  # binding.gyp links -ltensorflow -ltensorflow_framework; the wheel's C API lives in libtensorflow_cc.so.2,
  # whose SONAME becomes the addon's DT_NEEDED entry (found through the addon's $ORIGIN/../../deps/lib rpath)
  ln -s libtensorflow_cc.so.2 "$work/pkg/deps/lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$work/pkg/deps/lib/libtensorflow_framework.so"
  if [ "$variant" = gpu ]; then
    say "downloading the CUDA / cuDNN wheels pinned by $wheel_name[and-cuda]"
    python3 "$here/wheel.py" cuda-reqs "$wheel" > "$work/cuda-reqs.txt"
    [ -s "$work/cuda-reqs.txt" ] || die "no and-cuda requirements in $(basename "$wheel")"
    python3 -m pip download --no-deps --only-binary=:all: --python-version "$WHEEL_PYTHON" --platform "$WHEEL_PLATFORM" \
      --progress-bar off -d "$work/cuda" -r "$work/cuda-reqs.txt" >>"$log" 2>&1 || die "pip download of the CUDA wheels"
    # libtensorflow_cc.so.2 looks for them at $ORIGIN/../nvidia/<component>/lib (site-packages layout)
    for w in "$work"/cuda/*.whl; do python3 "$here/wheel.py" nvidia "$w" "$work/pkg/deps" >>"$log" 2>&1 || die "extracting $w"; done
    rm -rf "$work/cuda"
  fi
  rm -rf "$work/wheels" "$work/tf"
  nodegyp=$(find_node_gyp); nodedir=$(find_nodedir)
  say "building the addon with node-gyp (headers: $nodedir/include/node)"
  (cd "$work/pkg" && npm_config_nodedir="$nodedir" node "$nodegyp" rebuild --nodedir="$nodedir" \
    --module_name=tfjs_binding --module_path="$work/pkg/$(dirname "$binding")" \
    --napi_build_version="${napi#napi-v}" -j 2) >>"$log" 2>&1 || die "node-gyp build"
  # keep only the headers the addon includes (the wheel ships 160 MB of them)
  (cd "$work/pkg" && g++ -MM -I deps/include -I "$nodedir/include/node" binding/*.cc) 2>>"$log" \
    | tr ' \\' '\n\n' | grep '^deps/include/' | sort -u > "$work/headers.txt" || true
  mkdir -p "$out/$(dirname "$binding")"
  (cd "$work/pkg" && tar cf - -T "$work/headers.txt" deps/lib deps/nvidia 2>/dev/null || true) | tar xf - -C "$out"
  cp "$work/pkg/$binding" "$out/$binding"
  rm -rf "$work"
  [ -f "$out/deps/lib/libtensorflow_cc.so.2" ] || die "cache layout incomplete"
}

# ---- build into the cache (atomic: temp dir + rename), unless it is there ----
pick_cached() {
  local k
  for k in "$variant-tfjs-node$tfjs_version-tf$TF_VERSION-pypi-$napi-$(uname -m)" \
           "$(ls "$cache_root" 2>/dev/null | grep "^$variant-tfjs-node$tfjs_version-tf.*-stock-$napi-$(uname -m)$" | head -1)"; do
    [ -n "$k" ] && [ -f "$cache_root/$k/manifest.json" ] && { key=$k; return 0; }
  done
  return 1
}
key=
if [ $force = 1 ] || ! pick_cached; then
  tmp=$(tempdir new); temps+=("$tmp")
  built=0
  if [ "$source_mode" != pypi ]; then
    if stock_build "$tmp"; then built=1; else say "the package's own download is impossible here; using PyPI"; fi
    [ "$source_mode" = stock ] && [ $built = 0 ] && die "stock download failed"
  fi
  if [ $built = 0 ]; then rm -rf "$tmp"; tmp=$(tempdir new); temps+=("$tmp"); pypi_build "$tmp"; fi
  cat > "$tmp/manifest.json" <<JSON
{ "key": "$key", "package": "$pkg", "tfjsNode": "$tfjs_version", "binding": "$binding",
  "node": "$(node -v)", "builtAt": "$(date -u +%FT%TZ)", "buildSeconds": $(( $(date +%s) - t0 )) }
JSON
  rm -rf "${cache_root:?}/$key"; mv "$tmp" "$cache_root/$key"
  say "cached as $cache_root/$key ($(du -sm "$cache_root/$key" | cut -f1) MB)"
else
  say "using cached build $cache_root/$key"
fi

# ---- install into node_modules ----
cached=$cache_root/$key
rm -rf "${pkgdir:?}/deps"
if [ "${CFM_TFJS_NATIVE_COPY:-0}" = 1 ]; then cp -a "$cached/deps" "$pkgdir/deps"; else ln -s "$cached/deps" "$pkgdir/deps"; fi
mkdir -p "$pkgdir/$(dirname "$binding")"
cp "$cached/$binding" "$pkgdir/$binding"
addon_loads || die "the addon does not load from $pkgdir/$binding"
say "installed into $pkgdir"

# ---- verify: backend is 'tensorflow', and a training step matches wasm ----
if [ $verify = 1 ]; then
  # the addon loads; now the tfjs side: tf.getBackend() and a training step against wasm
  say "verifying: packages/tensor backend test with CFM_REQUIRE_NATIVE=1"
  (cd "$root/packages/tensor" && CFM_REQUIRE_NATIVE=1 npx vitest run src/backend.test.ts) >>"$log" 2>&1 \
    || die "verification (packages/tensor/src/backend.test.ts) failed"
  grep -E "^backend-check:" "$log" | tail -2 || true
fi
say "done: native TensorFlow ready for $pkg"
