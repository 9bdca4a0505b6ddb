# syntax=docker/dockerfile:1
# cfm gpu worker: training only (task queue cfm-gpu), with @tensorflow/tfjs-node-gpu on a CUDA base. Build from the
# repository root:
#   docker build -f infra/docker/gpu.Dockerfile -t cfm-worker-gpu .
# Every RUN is infra/docker/provision-image.sh, which CI runs the same way (infra/docker/ci-check.sh).
# TensorFlow 2.18.1 is built for CUDA 12.5 / cuDNN 9.3: provision-image.sh gpu takes those libraries from the CUDA
# wheels its and-cuda extra pins (infra/tfjs-native), so the base only has to match the CUDA major and carry the
# NVIDIA container runtime settings; the driver (libcuda.so.1, >= 525) comes from the node.
ARG NODE_IMAGE=node:20-bookworm
ARG CUDA_IMAGE=nvidia/cuda:12.5.1-base-ubuntu22.04

FROM ${NODE_IMAGE} AS node

FROM ${CUDA_IMAGE} AS build
COPY --from=node /usr/local/bin/ /usr/local/bin/
COPY --from=node /usr/local/lib/node_modules/ /usr/local/lib/node_modules/
COPY --from=node /usr/local/include/node/ /usr/local/include/node/
WORKDIR /app
COPY . .
# the same steps as the cpu image, with tfjs-node-gpu and the CUDA / cuDNN wheels (provision.sh --gpu); apt-get
# brings g++, make and python3-pip, which the CUDA base lacks
RUN CFM_CACHE_DIR=/tmp/cfm-cache bash infra/docker/provision-image.sh gpu && rm -rf /tmp/cfm-cache /root/.npm

FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/ /usr/local/bin/
COPY --from=node /usr/local/lib/node_modules/ /usr/local/lib/node_modules/
WORKDIR /app
COPY --from=build /app /app
# NODE_OPTIONS: the worker runs from TypeScript, @cfm/* resolve to their sources (docs/conventions.md)
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=@cfm/source \
    CFM_HEALTH_PORT=8080 \
    CFM_WORKFLOW_BUNDLE=/app/workflows/dist/workflow-bundle.js \
    TF_CPP_MIN_LOG_LEVEL=2 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 8080
USER 1000:1000
ENTRYPOINT ["node", "--import", "tsx", "apps/worker/src/main.ts"]
CMD ["--queue", "gpu", "--concurrency", "1"]
