#!/usr/bin/env bash
# Installs the PostgreSQL server binaries (initdb, pg_ctl, postgres) from the distribution's packages. The
# @cfm/registry tests start a throw-away server with them (startPostgres in @cfm/registry/testing); nothing
# here creates or starts a cluster for the project. Debian puts them in /usr/lib/postgresql/<major>/bin (not on
# PATH); any major version there is accepted (CFM_PG_BIN names another folder). Idempotent: with the binaries
# present it does nothing. Any failure prints one line and exits 1.
# Usage: bash infra/postgres/install.sh   (env PG_MAJOR picks the package, default 15)
set -euo pipefail
major=${PG_MAJOR:-15}
found() {
  local d
  for d in "${CFM_PG_BIN:-}" /usr/lib/postgresql/"$major"/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}
if bin=$(found); then
  echo "postgres: server binaries in $bin ($("$bin/postgres" --version))"
  exit 0
fi
fail() { echo "postgres: server not installed: $1" >&2; exit 1; }
command -v apt-get >/dev/null 2>&1 || fail "no apt-get (install the PostgreSQL server binaries and set CFM_PG_BIN to their folder)"
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || fail "apt-get needs root (run as root or with passwordless sudo)"
  as_root=(sudo -n)
fi
start=$(date +%s)
log=$(mktemp)
# postgresql-<major> is the server alone (no client extras); the distribution's default major when that one is not packaged
install() {
  local pkg=postgresql-$major
  apt-cache show "$pkg" >/dev/null 2>&1 || pkg=postgresql
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >>"$log" 2>&1
}
install || { "${as_root[@]}" apt-get update -q >>"$log" 2>&1 && install; } || fail "apt-get install failed: $(tail -n1 "$log")"
bin=$(found) || fail "installed, but no initdb / pg_ctl / postgres under /usr/lib/postgresql/*/bin"
rm -f "$log"
echo "postgres: installed $("$bin/postgres" --version) in $bin in $(( $(date +%s) - start )) s"
