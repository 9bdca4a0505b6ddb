#!/usr/bin/env bash
# Builds the native CPU kernels of @cfm/tensor (packages/tensor/native/*.cc: the fused linear + softmax
# cross-entropy and the fused transformer block), one N-API addon, into tools/native-kernels/cfm_kernels.node. BLAS comes from the `scipy-openblas32` wheel (OpenBLAS with its C headers,
# symbols prefixed scipy_), fetched with pip and cached; libscipy_openblas.so is copied beside the addon, which
# finds it through RPATH $ORIGIN. Needs g++ and Node's headers (node_api.h). Rebuilds only when the source, the
# pin or the compiler flags change. Env: OPENBLAS_WHEEL_VERSION (pin), CFM_CACHE_DIR (default ~/.cache/cfm),
# CFM_NATIVE_MARCH (g++ -march, default native).
# Usage: bash infra/native-kernels/provision.sh   (on failure it exits non-zero; training then uses TF.js ops)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${OPENBLAS_WHEEL_VERSION:-0.3.34.481.3}
cache=${CFM_CACHE_DIR:-$HOME/.cache/cfm}/openblas/$version
dest=tools/native-kernels
src_dir=packages/tensor/native
declare -A SHA256=([scipy_openblas32-0.3.34.481.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl]=0595f94cd58c1f8a0d90c975621f4587337a003916b1979e834ebdf2cb5d9504)
# CFM_NATIVE_MARCH: the target CPU (default native: this machine); images use a portable level (infra/docker)
flags="-O3 -march=${CFM_NATIVE_MARCH:-native} -ffast-math -fPIC -shared -std=c++17"
stamp="$version $(cat "$src_dir"/*.cc "$src_dir"/*.h | sha256sum | cut -d' ' -f1) $flags $(grep -m1 "^flags" /proc/cpuinfo | sha256sum | cut -c1-16)"

if [ -f "$dest/cfm_kernels.node" ] && [ "$(cat "$dest/STAMP" 2>/dev/null)" = "$stamp" ]; then
  echo "native-kernels: $dest/cfm_kernels.node (cached)"
  exit 0
fi
node_include=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
[ -f "$node_include/node_api.h" ] || { echo "native-kernels: Node headers (node_api.h) not found" >&2; exit 1; }
command -v g++ >/dev/null || { echo "native-kernels: g++ not found" >&2; exit 1; }
if [ ! -f "$cache/scipy_openblas32/lib/libscipy_openblas.so" ]; then
  mkdir -p "$cache/wheel"
  if ! ls "$cache/wheel"/scipy_openblas32-"$version"-*.whl >/dev/null 2>&1; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheel" "scipy-openblas32==$version"
  fi
  wheel=$(ls "$cache/wheel"/scipy_openblas32-"$version"-*.whl | head -n1)
  want=${SHA256[$(basename "$wheel")]:-}
  if [ -n "$want" ] && [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$want" ]; then
    echo "native-kernels: checksum mismatch for $wheel" >&2
    exit 1
  fi
  python3 - "$wheel" "$cache" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.startswith('scipy_openblas32/lib/libscipy_openblas') or n.startswith('scipy_openblas32/include/'):
            z.extract(n, out)
PY
fi
ob="$cache/scipy_openblas32"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
# -lmvec: with -ffast-math GCC vectorises the expf loop through glibc's vector math library
# shellcheck disable=SC2086
g++ $flags -DNODE_GYP_MODULE_NAME=cfm_kernels -I"$node_include" -I"$ob/include" "$src_dir"/*.cc -o "$dest.tmp/cfm_kernels.node" \
  -L"$ob/lib" -lscipy_openblas -Wl,-rpath,'$ORIGIN' -lmvec -lm -pthread
cp "$ob"/lib/libscipy_openblas*.so "$dest.tmp"/
node -e "const m={exports:{}};process.dlopen(m,process.argv[1]);if(typeof m.exports.run!=='function'||typeof m.exports.blockForward!=='function'||typeof m.exports.embedForward!=='function'||typeof m.exports.headRun!=='function')process.exit(1)" "$PWD/$dest.tmp/cfm_kernels.node"
echo "$stamp" > "$dest.tmp/STAMP"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "native-kernels: built $dest/cfm_kernels.node (OpenBLAS wheel $version)"
