/** Validated CLI option values: a bad value is a CfmError naming the option, never a silent default. */
import { CfmError } from '@cfm/core';

/** an integer option >= min (commander argParser) */
export function intOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const v = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new CfmError(
        'CFM_E_CONFIG',
        `expected an integer${max < Number.MAX_SAFE_INTEGER ? ` in ${min}..${max}` : ` >= ${min}`}, got "${raw}"`,
        { field: flag },
      );
    }
    return v;
  };
}

/** a comma-separated list of integers >= min, e.g. --seeds 0,1,2 */
export function intListOption(flag: string, min: number): (raw: string) => number[] {
  const one = intOption(flag, min);
  return (raw) => {
    const parts = raw.split(',').map((s) => s.trim());
    if (!parts.length || parts.some((p) => p === ''))
      throw new CfmError('CFM_E_CONFIG', `expected a comma-separated list of integers, got "${raw}"`, { field: flag });
    return parts.map(one);
  };
}

/** one of the given words */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(choices as readonly string[]).includes(raw))
      throw new CfmError('CFM_E_CONFIG', `expected one of ${choices.join(', ')}, got "${raw}"`, { field: flag });
    return raw as T;
  };
}

/** a calendar date YYYY-MM-DD (2023-02-30 is refused) */
export function dateOption(flag: string): (raw: string) => string {
  return (raw) => {
    const t = Date.parse(`${raw}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || !Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== raw) {
      throw new CfmError('CFM_E_CONFIG', `expected a calendar date YYYY-MM-DD, got "${raw}"`, { field: flag });
    }
    return raw;
  };
}

/** commander's variadic collector for repeatable options (--config a=1 --config b=2) */
export const collect = (v: string, prev: string[] = []) => [...prev, v];
