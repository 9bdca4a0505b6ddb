#!/usr/bin/env bash
# Builds k8s-validate (the offline schema check of infra/k8s, main.go) into tools/k8s-validate/ with the Go toolchain;
# the k8s.io modules come from the Go module proxy (go.sum pins them). Rebuilt only when a source, go.mod / go.sum or
# the Go version change. scripts/setup.sh runs it; infra/k8s/manifests.test.ts runs it too when the binary is missing.
set -euo pipefail
cd "$(dirname "$0")"
dest=../../../tools/k8s-validate
command -v go >/dev/null || { echo "k8s-validate: go not found" >&2; exit 1; }
stamp="$(cat go.mod go.sum ./*.go | sha256sum | cut -c1-16) $(go version)"
if [ -x "$dest/k8s-validate" ] && [ "$(cat "$dest/STAMP" 2>/dev/null)" = "$stamp" ]; then
  echo "k8s-validate: $dest/k8s-validate (cached)"
  exit 0
fi
mkdir -p "$dest"
go build -trimpath -o "$dest/k8s-validate.tmp" .
mv "$dest/k8s-validate.tmp" "$dest/k8s-validate"
echo "$stamp" > "$dest/STAMP"
echo "k8s-validate: built $(cd "$dest" && pwd)/k8s-validate"
