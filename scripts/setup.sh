#!/usr/bin/env bash
# Fresh-machine setup: npm packages, native TensorFlow for TF.js (offline provisioning), Temporal CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
# node-gyp must not download Node headers: use the ones installed with Node when present
if [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
# the lockfile is the one source of versions: npm ci installs exactly it (and never rewrites it)
npm ci --no-audit --no-fund
# Native TensorFlow for TF.js when missing (from the PyPI wheel if the normal download is impossible);
# on failure it prints one line and TF.js runs on wasm. A machine with an NVIDIA GPU also gets tfjs-node-gpu.
bash infra/tfjs-native/provision.sh --if-missing || true
if nvidia-smi -L >/dev/null 2>&1; then bash infra/tfjs-native/provision.sh --gpu --if-missing || true; fi
# The native CPU kernels of @cfm/tensor (fused output layer + cross-entropy, fused transformer block; needs g++);
# without them training runs as TF.js ops
bash infra/native-kernels/provision.sh || echo "setup: native kernels not built (training uses TF.js ops for the output layer and the encoder)"
# The clean-CSV fast path of @cfm/data (a threaded scan and Parquet writer for plain events CSVs; needs g++);
# without it every events file is read by DuckDB (same outputs, slower)
bash infra/native-data/provision.sh || echo "setup: native data scan not built (every events file is read by DuckDB)"
bash infra/temporal/install.sh || echo "setup: Temporal CLI not installed (Temporal integration tests will be skipped)"
bash infra/seaweedfs/install.sh || echo "setup: SeaweedFS not installed (the @cfm/storage S3 tests will be skipped outside CI)"
bash infra/postgres/install.sh || echo "setup: PostgreSQL server not installed (the @cfm/export PostgreSQL registry tests will be skipped outside CI)"
bash infra/chromium/install.sh || echo "setup: chromium not installed (the report browser test will be skipped outside CI)"
bash infra/xgboost/provision.sh || echo "setup: libxgboost not provisioned (@cfm/gbdt training tests will be skipped)"
# The offline schema check of infra/k8s (a Go program on k8s.io/api; npm test runs it through infra/k8s/manifests.test.ts)
bash infra/k8s/validate/build.sh || echo "setup: k8s-validate not built (infra/k8s/manifests.test.ts will build it or fail)"
