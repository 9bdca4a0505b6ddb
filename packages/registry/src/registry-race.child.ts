// A registry writer in its own process, for registry-pg.test.ts: opens the registry, registers its run, metrics and
// artifact twice (a retried activity), says "ready", then on a line "go <expected champion>" runs promoteIf and
// prints the result as JSON.
// Usage: node --import tsx registry-race.child.ts <url> <runId> <artifactDir>
import { createInterface } from 'node:readline';
import { openRegistry } from './open-registry';

async function main(): Promise<void> {
  const [url, runId, dir] = process.argv.slice(2);
  const reg = await openRegistry(url);
  let artifactId = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    await reg.registerRun({ runId, family: 'bert4rec', useCase: 'next_item', seed: attempt });
    await reg.recordMetrics(runId, [
      { name: 'ndcg@10', value: 0.5, protocol: 'loo' },
      { name: 'loss', value: 2, protocol: 'loo', higherIsBetter: false },
    ]);
    artifactId = (await reg.registerArtifact(runId, dir)).artifactId;
  }
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [word, expected] = line.split(' ');
    if (word !== 'go') continue;
    const r = await reg.promoteIf(artifactId, expected, runId);
    process.stdout.write(`${JSON.stringify({ runId, artifactId, ...r })}\n`);
    break;
  }
  lines.close();
  await reg.close();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
