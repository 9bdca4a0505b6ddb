/** A binary customer label from the users table by rule (run.yaml `benchmarks:`): `positive` values count as 1,
 * or a numeric `threshold` (value >= threshold → 1). Customers without the field are left out. */
import { CfmError, type PreparedDataset } from '@cfm/core';
import type { LabelRule } from '@cfm/contracts';
import { labelTask, type ClassificationTask } from './tasks';

/** the rule as a predicate and as the sentence reports state */
export function labelRule(r: LabelRule): { positive: (v: string | number) => boolean; rule: string } {
  if (r.positive?.length) {
    const set = new Set(r.positive.map(String));
    return { positive: (v) => set.has(String(v)), rule: `users.${r.field} in {${r.positive.join(', ')}} = 1, any other value = 0` };
  }
  if (r.threshold !== undefined && Number.isFinite(r.threshold)) {
    const threshold = r.threshold;
    return {
      positive: (v) => {
        const x = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(x))
          throw new CfmError('CFM_E_DATASET', `value "${v}" is not a number (the label rule has a threshold)`, { field: r.field });
        return x >= threshold;
      },
      rule: `users.${r.field} >= ${threshold} = 1, below = 0`,
    };
  }
  throw new CfmError('CFM_E_CONFIG', `the label rule of "${r.field}" needs \`positive\` values or a numeric \`threshold\``, {
    field: r.field,
  });
}

/** the label task of `rule` on the training histories; a clear error when the data has no users table, no such
 * field, or only one class under the rule */
export function labelRuleTask(data: PreparedDataset, name: string, r: LabelRule): ClassificationTask {
  const { positive, rule } = labelRule(r);
  const users = data.userLabels;
  if (!users || !Object.keys(users).length)
    throw new CfmError('CFM_E_DATASET', `dataset ${data.dataset} has no users table, so there is no "${r.field}" label`, {
      field: r.field,
    });
  const known = new Set<string>();
  let found = false;
  for (const u of Object.values(users)) {
    if (u[r.field] !== undefined) {
      found = true;
      break;
    }
    if (known.size < 50) for (const k of Object.keys(u)) known.add(k);
  }
  if (!found)
    throw new CfmError(
      'CFM_E_DATASET',
      `no customer has a "${r.field}" field in the users table (fields: ${[...known].join(', ') || 'none'})`,
      { field: r.field },
    );
  const t = labelTask(data, name, r.field, positive, rule);
  const pos = t.labels.reduce((a, y) => a + y, 0);
  if (pos === 0 || pos === t.labels.length)
    throw new CfmError(
      'CFM_E_DATASET',
      `label "${r.field}" has one class only under "${rule}" (${pos} positive of ${t.labels.length} customers)`,
      { field: r.field },
    );
  return t;
}
