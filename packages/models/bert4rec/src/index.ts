// Top level exports
export { bert4rec } from './family';
export { Bert4RecModel, NEXT_ITEM } from './model';
export { Bert4RecConfig, PRESETS } from './config';
export { ClozeSampler, windows } from './cloze';
export type { ClozeBatch } from './cloze';
