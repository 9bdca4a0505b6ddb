#!/usr/bin/env bash
# Builds SeaweedFS's `weed` binary (an S3-compatible object store, Apache-2.0) into
# tools/seaweedfs/bin/weed with `go install` from the Go module proxy. The @cfm/storage tests start
# it as a real S3 server. Cached and idempotent: a second run with the binary present and the
# right version does nothing. Any failure prints one line (the log keeps the details) and exits 1.
#
# `go install github.com/seaweedfs/seaweedfs/weed@<version>` is refused because SeaweedFS's go.mod
# has replace directives, so the build runs in a small wrapper module (tools/seaweedfs/build) that
# requires the pinned version and repeats its module-to-module replace directives. The binary is also kept in
# ~/.cache/cfm/seaweedfs/<version>/ (CFM_CACHE_DIR moves it), so a fresh clone on the same machine copies it.
# Usage: bash infra/seaweedfs/install.sh   (env SEAWEEDFS_VERSION overrides the pin)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
module=github.com/seaweedfs/seaweedfs
dest=$PWD/tools/seaweedfs
bin=$dest/bin/weed
stamp=$dest/VERSION
log=$dest/install.log
cache=${CFM_CACHE_DIR:-$HOME/.cache/cfm}/seaweedfs/$version
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "seaweedfs: tools/seaweedfs/bin/weed $version (cached)"
  exit 0
fi
if [ -x "$cache/weed" ]; then
  mkdir -p "$dest/bin"
  cp "$cache/weed" "$bin.tmp" && mv "$bin.tmp" "$bin"
  echo "$version" > "$stamp"
  echo "seaweedfs: tools/seaweedfs/bin/weed $version (from $cache)"
  exit 0
fi
fail() { echo "seaweedfs: not installed: $1 (log: tools/seaweedfs/install.log)" >&2; exit 1; }
command -v go >/dev/null 2>&1 || { mkdir -p "$dest"; echo "no go" > "$log"; fail "no go toolchain on PATH"; }
start=$(date +%s)
rm -rf "$dest/build"
mkdir -p "$dest/bin" "$dest/build/bin"
: > "$log"
run() { "$@" >>"$log" 2>&1 || fail "$* failed: $(tail -n1 "$log")"; }
cd "$dest/build"
go mod download -json "$module@$version" > download.json 2>>"$log" || true
gomod=$(python3 -c 'import json,sys; d=json.load(open("download.json")); print(d.get("GoMod") or sys.exit(d.get("Error") or "no go.mod"))' 2>>"$log") \
  || fail "go mod download $module@$version failed: $(tail -n1 "$log")"
gover=$(go mod edit -json "$gomod" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Go"])')
run go mod init cfm.local/seaweedfs-build
run go mod edit -go="$gover" -require="$module@$version"
go mod edit -json "$gomod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    old, new = r["Old"], r["New"]
    if not new.get("Version"):
        sys.exit("local replace directive: " + new["Path"])
    left = old["Path"] + ("@" + old["Version"] if old.get("Version") else "")
    print("-replace=%s=%s@%s" % (left, new["Path"], new["Version"]))
' > replaces.txt 2>>"$log" || fail "cannot repeat the replace directives of $module"
[ -s replaces.txt ] && run xargs go mod edit < replaces.txt
run env GOBIN="$dest/build/bin" GOFLAGS="${GOFLAGS:-} -mod=mod -trimpath" CGO_ENABLED=0 \
  go install -ldflags "-s -w" "$module/weed"
mv "$dest/build/bin/weed" "$bin"
echo "$version" > "$stamp"
mkdir -p "$cache" && cp "$bin" "$cache/weed.tmp" && mv "$cache/weed.tmp" "$cache/weed" || true
cd "$dest" && rm -rf build
echo "seaweedfs: installed $("$bin" version 2>/dev/null | head -n1) at tools/seaweedfs/bin/weed in $(( $(date +%s) - start )) s"
