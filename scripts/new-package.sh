#!/usr/bin/env bash
# Scaffold a workspace package: scripts/new-package.sh <dir> <@cfm/name> <layer> "<description>"
# layer: core | pure | data | storage | gbdt | report | tensor | model | registry | pipeline | contracts | workflow | benchmark | app
set -euo pipefail
dir=$1; name=$2; layer=$3; desc=${4:-}
mkdir -p "$dir/src"
up=$(python3 -c "import os,sys; print(os.path.relpath('.', sys.argv[1]))" "$dir")
[ -f "$dir/package.json" ] || cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "description": "$desc",
  "type": "commonjs",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": { "@cfm/source": "./src/index.ts", "types": "./dist/index.d.ts", "import": "./dist/index.js", "require": "./dist/index.js" },
    "./package.json": "./package.json"
  },
  "files": ["dist"],
  "engines": { "node": ">=20.19" },
  "dependencies": {},
  "nx": { "tags": ["type:$layer"], "targets": { "test": {}, "lint": {}, "typecheck": {}, "build": {} } }
}
JSON
[ -f "$dir/tsconfig.json" ] || echo "{ \"extends\": \"$up/tsconfig.base.json\", \"include\": [\"src/**/*.ts\", \"vitest.config.ts\"] }" > "$dir/tsconfig.json"
[ -f "$dir/tsconfig.build.json" ] || echo "{ \"extends\": \"$up/tsconfig.build.json\" }" > "$dir/tsconfig.build.json"
[ -f "$dir/vitest.config.ts" ] || printf "import { withSource } from '%s/vitest.base';\n\nexport default withSource();\n" "$up" > "$dir/vitest.config.ts"
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
echo "created $dir ($name, layer $layer); run 'flock /tmp/cfm-npm.lock npm install' at the root to link it"
