#!/usr/bin/env bash
# Scaffold a workspace package: scripts/new-package.sh <dir> <@cfm/name> <layer> "<description>"
# layer: core | pure | data | tensor | model | pipeline | contracts | workflow | app
set -euo pipefail
dir=$1; name=$2; layer=$3; desc=${4:-}
mkdir -p "$dir/src"
rel=$(python3 -c "import os,sys; print(os.path.relpath('tsconfig.base.json', sys.argv[1]))" "$dir")
[ -f "$dir/package.json" ] || cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "private": true,
  "description": "$desc",
  "main": "src/index.ts",
  "types": "src/index.ts",
  "dependencies": {},
  "nx": { "tags": ["type:$layer"], "targets": { "test": {}, "lint": {}, "typecheck": {}, "build": {} } }
}
JSON
[ -f "$dir/tsconfig.json" ] || echo "{ \"extends\": \"$rel\", \"include\": [\"src/**/*.ts\"] }" > "$dir/tsconfig.json"
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
echo "created $dir ($name, layer $layer); run 'flock /tmp/cfm-npm.lock npm install' at the root to link it"
