export { families, getFamily, familyNames } from './families';
export type { FamilyName } from './families';
export { resolveRunConfig, parseConfig, parseOverrides, presetOf } from './resolve';
export type { ResolvedRunConfig } from './resolve';
