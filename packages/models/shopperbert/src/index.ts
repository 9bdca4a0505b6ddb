// Top level exports
export { shopperbert, shopperBertDims, createShopperBert } from './family';
export type { ShopperBertInputs } from './family';
export { ShopperBertModel, taskName } from './model';
export { ShopperBertConfig, SMALL, PRESETS, CATEGORY_LEVELS, DATE_PARTS } from './config';
export type { DatePart } from './config';
// Pieces
export { ShopperBertBackbone } from './backbone';
export type { ShopperBertDims, TokenInputs } from './backbone';
export { MppSampler, tokenInputs } from './samples';
export type { MppBatch } from './samples';
export { dateId, dateIds, dateVocabSize } from './dates';
export { hashedBagOfWords, titleVectors, loadItemTitles, words } from './text';
export { historyBatch } from './history';
