#!/usr/bin/env bash
# Provisions libxgboost (XGBoost's C API, CPU build) for @cfm/gbdt without building anything:
# pip downloads the `xgboost-cpu` wheel (a zip that carries xgboost/lib/libxgboost.so and its
# bundled libgomp), which is unpacked into a cache and copied to tools/xgboost/ in the repo.
# Cached and idempotent. Env: XGBOOST_VERSION (pin), CFM_CACHE_DIR (default ~/.cache/cfm).
# Usage: bash infra/xgboost/provision.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${XGBOOST_VERSION:-3.1.3}
cache=${CFM_CACHE_DIR:-$HOME/.cache/cfm}/xgboost/$version
dest=tools/xgboost
lib=xgboost/lib/libxgboost.so
# sha256 of the pinned Linux x86_64 wheel; other platforms' wheels are trusted to pip
declare -A SHA256=([xgboost_cpu-3.1.3-py3-none-manylinux_2_28_x86_64.whl]=a7079aeca33e27b8b6d9967f84201b33942ed565178eda8db83ad0b59f17c033)

if [ -f "$dest/$lib" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
  echo "xgboost: $dest/$lib $version (cached)"
  exit 0
fi
if [ ! -f "$cache/$lib" ]; then
  mkdir -p "$cache/wheel"
  if ! ls "$cache/wheel"/xgboost_cpu-"$version"-*.whl >/dev/null 2>&1; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheel" "xgboost-cpu==$version"
  fi
  wheel=$(ls "$cache/wheel"/xgboost_cpu-"$version"-*.whl | head -n1)
  want=${SHA256[$(basename "$wheel")]:-}
  if [ -n "$want" ] && [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$want" ]; then
    echo "xgboost: checksum mismatch for $wheel" >&2
    exit 1
  fi
  # keep the wheel layout: libxgboost.so finds libgomp through RPATH $ORIGIN/../../xgboost_cpu.libs
  python3 - "$wheel" "$cache" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.startswith('xgboost/lib/') or '.libs/' in n:
            z.extract(n, out)
PY
fi
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cp -r "$cache"/xgboost "$cache"/*.libs "$dest.tmp"/ 2>/dev/null || cp -r "$cache"/xgboost "$dest.tmp"/
echo "$version" > "$dest.tmp/VERSION"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "xgboost: installed libxgboost $version at $dest/$lib"
