// Top level exports
export { simulate, writeSimulation, parseSimConfig } from './simulate';
export type { Simulation, Manifest, Counts, WriteResult } from './simulate';
// Config
export {
  SimConfig,
  FunnelConfig,
  NavigationConfig,
  SessionConfig,
  SeasonalityConfig,
  SearchConfig,
  ImpressionConfig,
  IncentiveConfig,
  OutputConfig,
} from './config';
export type { SimConfigInput } from './config';
// Row shapes and file layout
export type { Impression, SearchQuery, IncentiveOffer } from './memory-sink';
export type { Truth } from './truth';
export { EVENT_COLUMNS, USER_COLUMNS, IMPRESSION_COLUMNS, QUERY_COLUMNS, INCENTIVE_COLUMNS } from './csv-sink';
export { ITEM_COLUMNS } from './items';
export { positionBias } from './feed';
