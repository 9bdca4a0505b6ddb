/** The one owner of a family's run settings: paper defaults (the family's strict zod schema) < dataset
 * preset (the family's `presets`, matched against the dataset name) < the user's overrides. `cfm train`,
 * `cfm run`, the Temporal activities and the quality suites all resolve through here, so what is printed,
 * recorded in the artifact and trained is one frozen, fully explicit object. */
import { CfmError, configHash } from '@cfm/core';
import type { z } from 'zod';
import { getFamily } from './families';

export interface ResolvedRunConfig {
  family: string;
  /** the dataset name the preset was chosen by */
  dataset: string;
  /** the preset key that applied (e.g. 'beauty' for 's3rec-beauty'), null when none */
  preset: string | null;
  /** the user's overrides, as given */
  overrides: Readonly<Record<string, unknown>>;
  /** every field explicit */
  config: Readonly<Record<string, unknown>>;
  /** configHash(config) */
  hash: string;
}

/** the preset whose key is contained in the dataset name (lower case), first key wins */
export function presetOf(
  presets: Readonly<Record<string, unknown>> | undefined,
  dataset: string,
): { key: string; values: Record<string, unknown> } | null {
  const name = dataset.toLowerCase();
  const key = Object.keys(presets ?? {}).find((k) => name.includes(k.toLowerCase()));
  return key ? { key, values: { ...(presets![key] as Record<string, unknown>) } } : null;
}

/** The frozen, fully explicit config of `family` on `dataset` with `overrides` (unknown keys and bad
 * values at any depth are a CfmError naming `<field>.<path>`). */
export function resolveRunConfig(
  family: string,
  dataset: string,
  overrides: Record<string, unknown> = {},
  o: { field?: string } = {},
): ResolvedRunConfig {
  const fam = getFamily(family);
  const preset = presetOf(fam.presets as Record<string, unknown> | undefined, dataset);
  const config = parseConfig(fam.config, { ...preset?.values, ...overrides }, o.field ?? 'config');
  return deepFreeze({ family, dataset, preset: preset?.key ?? null, overrides: { ...overrides }, config, hash: configHash(config) });
}

/** Validates a family config; the first problem becomes one CfmError with the field path. */
export function parseConfig(schema: z.ZodType<unknown>, raw: unknown, field = 'config'): Record<string, unknown> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data as Record<string, unknown>;
  const issue = r.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = [field, ...issue.path.map(String), ...(keys.length === 1 ? keys : [])].join('.');
  const msg =
    issue.code === 'unrecognized_keys' ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  throw new CfmError('CFM_E_CONFIG', msg, { field: path });
}

/** "key=value" pairs → object: numbers, booleans and JSON arrays / objects parsed, anything else a string */
export function parseOverrides(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i < 1) throw new CfmError('CFM_E_CONFIG', `expected key=value, got "${p}"`, { field: 'config' });
    const key = p.slice(0, i);
    if (key in out) throw new CfmError('CFM_E_CONFIG', `"${key}" given twice`, { field: `config.${key}` });
    out[key] = parseValue(p.slice(i + 1), key);
  }
  return out;
}

function parseValue(raw: string, key: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (/^[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch (e) {
      throw new CfmError('CFM_E_CONFIG', `not valid JSON: ${(e as Error).message}`, { field: `config.${key}` });
    }
  }
  return raw;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
