#!/usr/bin/env node
import { Command } from 'commander';
import { isCfmError } from '@cfm/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeVersion } from '@cfm/pipeline';
import { commands } from './commands';

const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const program = new Command('cfm')
  .description('customer foundation models: prepare data, train, evaluate, export')
  .showHelpAfterError()
  .version(`cfm ${version} (code ${codeVersion()})`, '-V, --version');
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // one `cfm:` line and a non-zero exit, never a stack trace (CFM_DEBUG=1 adds it for bug reports)
  if (isCfmError(err)) {
    process.stderr.write(`cfm: ${err.message}\n`);
    process.exit(2);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`cfm: [CFM_E_INTERNAL] ${e.message.split('\n')[0]} (unexpected: CFM_DEBUG=1 prints the stack)\n`);
  if (process.env.CFM_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
