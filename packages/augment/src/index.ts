// Aligned sequences (items + side arrays that move with them)
export { seqLength, sliceSeq, permuteSeq, customerSeq, portion } from './aligned';
export type { AlignedSeq, TokenArray } from './aligned';
// MCM random prefix
export { randomPrefix } from './prefix';
export type { PrefixSample, PrefixOptions } from './prefix';
// ShopperBERT Algorithm 1 (crop / shuffle)
export { cropOrShuffle, augmentBatch } from './crop-shuffle';
export type { CropShuffleOptions, CropShuffleKind, Augmented } from './crop-shuffle';
// BERT masking
export { maskTokens, maskAligned, maskBatch, KEEP, MASKED, RANDOMIZED, UNCHANGED } from './masking';
export type { MaskOptions, Masked } from './masking';
