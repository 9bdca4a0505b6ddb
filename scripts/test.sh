#!/usr/bin/env bash
# The test command (README, .ci/run): the format check (Prettier), then lint + typecheck + every package's vitest
# suite through Nx, then one closing line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
# run the TF.js suites on native TensorFlow when it is provisioned (infra/tfjs-native), as production does
if [ -z "${CFM_TEST_BACKEND:-}" ] && npx tsx scripts/native-available.ts 2>/dev/null; then export CFM_TEST_BACKEND=tensorflow; fi
echo "test backend: ${CFM_TEST_BACKEND:-wasm}"
extra=()
[ "${CI:-}" = "true" ] && extra+=(--skip-nx-cache)
echo "format check: npm run format:check (npm run format rewrites)"
npm run -s format:check 2>&1 | tee "$log"
frc=${PIPESTATUS[0]}
npx nx run-many -t lint typecheck test --parallel="${CFM_TEST_PARALLEL:-2}" --outputStyle=stream "${extra[@]}" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
[ "$frc" -ne 0 ] && rc=$frc
node scripts/test-summary.mjs "$log" "$rc"
