/** What `cfm run` and `cfm train` print before they start: the resolved settings of every family. */
import type { RunSpec } from '@cfm/contracts';

export function formatResolved(spec: RunSpec): string {
  const lines = [
    `run ${spec.name}: dataset ${spec.datasetName} (${spec.dataset.source}), split ${spec.prepare.split.kind}, ${spec.prepare.maxSeqLen} events kept per customer, ` +
      `training seeds ${spec.seeds.join(', ')}; outputs in ${spec.workDir}`,
  ];
  for (const f of spec.families) {
    lines.push(
      `  ${f.id} (${f.name}${f.preset ? `, preset "${f.preset}"` : ''}): ${Object.entries(f.config)
        .filter(([k]) => k !== 'seed')
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')}`,
    );
  }
  lines.push(
    `  evaluate: ${spec.evaluate.map((e) => (e.protocol === 'full' ? `full${e.excludeHistory ? '' : ' (history kept)'}` : `${e.negatives} ${e.sampling} negatives, seeds ${e.seeds.join(',')}`)).join('; ')}`,
  );
  if (spec.benchmarks.length) lines.push(`  benchmarks: ${spec.benchmarks.map((b) => b.name).join(', ')}`);
  lines.push(
    `  gate: ${spec.gate.metric} (protocol ${spec.gate.protocol}, min delta ${spec.gate.minDelta})${spec.gate.benchmarks.length ? ` and ${spec.gate.benchmarks.map((b) => `${b.result} >= ${b.min}`).join(', ')}` : ''}; promote: ${spec.promote}`,
  );
  return lines.join('\n');
}
