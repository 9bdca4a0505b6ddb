#!/usr/bin/env bash
# Builds the clean-CSV fast path of @cfm/data (packages/data/native/*.cc: a threaded scan of a plain contract
# events CSV and its Parquet writer), one N-API addon, into tools/native-data/cfm_data.node. Needs g++ and Node's
# headers (node_api.h); no other library. Rebuilds only when the source or the flags change.
# Usage: bash infra/native-data/provision.sh   (on failure it exits non-zero; data prep then reads every file with DuckDB)
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=tools/native-data
src_dir=packages/data/native
flags="-O3 -fPIC -shared -std=c++17"
stamp="$(cat "$src_dir"/*.cc "$src_dir"/*.h | sha256sum | cut -d' ' -f1) $flags"
if [ -f "$dest/cfm_data.node" ] && [ "$(cat "$dest/STAMP" 2>/dev/null)" = "$stamp" ]; then
  echo "native-data: $dest/cfm_data.node (cached)"
  exit 0
fi
node_include=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
[ -f "$node_include/node_api.h" ] || { echo "native-data: Node headers (node_api.h) not found" >&2; exit 1; }
command -v g++ >/dev/null || { echo "native-data: g++ not found" >&2; exit 1; }
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
# shellcheck disable=SC2086
g++ $flags -DNODE_GYP_MODULE_NAME=cfm_data -I"$node_include" "$src_dir"/*.cc -o "$dest.tmp/cfm_data.node" -pthread
node -e "const m={exports:{}};process.dlopen(m,process.argv[1]);if(typeof m.exports.scan!=='function'||typeof m.exports.writeParquet!=='function')process.exit(1)" "$PWD/$dest.tmp/cfm_data.node"
echo "$stamp" > "$dest.tmp/STAMP"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "native-data: built $dest/cfm_data.node"
