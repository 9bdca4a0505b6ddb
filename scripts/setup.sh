#!/usr/bin/env bash
# Fresh-machine setup: npm packages, native TensorFlow for TF.js (offline provisioning), Temporal CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
# node-gyp must not download Node headers: use the ones installed with Node when present
if [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
npm install --no-audit --no-fund
bash infra/temporal/install.sh || echo "setup: Temporal CLI not installed (Temporal integration tests will be skipped)"
