# syntax=docker/dockerfile:1
# cfm cpu worker: the workflows and every activity but training (task queue cfm-cpu); the scheduler CLI runs from
# it too. Build from the repository root:
#   docker build -f infra/docker/cpu.Dockerfile -t cfm-worker-cpu .
# Every RUN is infra/docker/provision-image.sh, which CI runs the same way (infra/docker/ci-check.sh).
ARG NODE_IMAGE=node:20-bookworm
ARG RUNTIME_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
# setup's provisioning scripts into /app: npm ci, native TensorFlow (tfjs-node), the native kernels for a
# portable CPU level, the native data scan, libxgboost, the prebuilt workflow bundle; then a load check of each
RUN CFM_CACHE_DIR=/tmp/cfm-cache bash infra/docker/provision-image.sh cpu && rm -rf /tmp/cfm-cache /root/.npm

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app /app
# NODE_OPTIONS: the worker runs from TypeScript, @cfm/* resolve to their sources (docs/conventions.md)
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=@cfm/source \
    CFM_HEALTH_PORT=8080 \
    CFM_WORKFLOW_BUNDLE=/app/workflows/dist/workflow-bundle.js \
    TF_CPP_MIN_LOG_LEVEL=2
EXPOSE 8080
USER node
ENTRYPOINT ["node", "--import", "tsx", "apps/worker/src/main.ts"]
CMD ["--queue", "cpu", "--bundle", "/app/workflows/dist/workflow-bundle.js"]
