export { initBackend, backendInfo, loadNative, resolvePreference } from './backend';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend';
// Kernels the wasm backend lacks (UnsortedSegmentSum, ...) are registered on import.
import { registerWasmKernels } from './wasm-kernels';
registerWasmKernels();
export { registerWasmKernels };
// Kernels only native TensorFlow has (fused sparse softmax CE, stateless uniform noise), called through tfjs-node.
import { registerNativeKernels } from './native-kernels';
registerNativeKernels();
export { registerNativeKernels, hasNativeKernels } from './native-kernels';
export { linearSoftmaxCE, fusedCeActive, nativeKernelsReady, loadFusedCe, fusedCeAddonPath } from './fused-ce';
export { fusedBlockActive } from './fused-block';
export { fusedEmbed, fusedEmbedActive } from './fused-embed';
export { fusedItemHeadCE, fusedHeadActive } from './fused-head';
export type { ItemHeadWeights } from './fused-head';
export { uniform } from './random';
// Building blocks
export { matmul2d, dense, gelu, layerNorm, dropout, lookup } from './ops';
export { Params, Ctx } from './params';
export type { Init } from './params';
export { Dense, Mlp, activate } from './layers/dense';
export type { Activation } from './layers/dense';
export { FeatureEmbedding, Positions, sinusoidalPositions } from './layers/embedding';
export type { Pooling } from './layers/embedding';
export { MultiHeadAttention, TransformerBlock, TransformerEncoder, LayerNorm, paddingBias } from './layers/transformer';
export type { EncoderOptions } from './layers/transformer';
export { ItemSequenceEncoder } from './layers/item-encoder';
export type { ItemEncoderOptions } from './layers/item-encoder';
export { ItemSequenceModel, NEXT_ITEM } from './item-model';
export { TargetAttention } from './layers/readout';
export { Gru } from './layers/gru';
export { Mmoe } from './layers/mmoe';
// Losses
export { softmaxCrossEntropy, sampledSoftmax, binaryCrossEntropy, cosineLoss, mseLoss, UncertaintyWeighting } from './losses';
// Training, checkpoints, artifacts
export { AdamW, learningRate } from './optim';
export type { OptimOptions } from './optim';
export { train, trainStep } from './trainer';
export { fitNextItem } from './fit-next-item';
export type { NextItemModel, NextItemTrainSettings, BatchSampler } from './fit-next-item';
export type { TrainTask, TrainOptions } from './trainer';
export { fineTune, encodeExamples, FineTuned } from './finetune';
export type { Encoder, FineTuneExamples, FineTuneOptions } from './finetune';
export { FineTuneConfig, FROM_SCRATCH } from './finetune-config';
export type { FineTuneConfigInput } from './finetune-config';
export { saveCheckpoint, loadCheckpoint } from './checkpoint';
export type { LoopState } from './checkpoint';
export { saveArtifact, loadArtifact, artifactHash } from './artifact';
export type { ArtifactInput, LoadedArtifact } from './artifact';
export { saveWeights, loadWeights, writeAtomic } from './weights-io';
// Batches and configs
export { lengthBuckets, nextTokenBatch, seqLength, sequenceWindows, WindowBatches } from './batch';
export type { TargetBatch, Windows } from './batch';
export { TransformerConfig, TrainerConfig, divisibleHeads } from './config';
export type { ProgressReporter } from '@cfm/core';
