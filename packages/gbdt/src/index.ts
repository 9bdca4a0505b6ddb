// Train and use XGBoost models through its C API (libxgboost from infra/xgboost/provision.sh)
export { trainGbdt } from './train';
export type { GbdtParams, GbdtObjective, TrainGbdtInput } from './train';
export { GbdtModel, loadGbdt } from './model';
export { groupSizes, createDMatrix, freeDMatrix, withDMatrix } from './dmatrix';
export type { DMatrixInput } from './dmatrix';
export { xgboost, loadXgboost, libraryCandidates } from './library';
export type { XgbLibrary } from './library';
