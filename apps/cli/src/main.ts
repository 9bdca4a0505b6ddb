#!/usr/bin/env tsx
import { Command } from 'commander';
import { isCfmError } from '@cfm/core';
import { commands } from './commands';

const program = new Command('cfm').description('customer foundation models: prepare data, train, evaluate, export').showHelpAfterError();
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isCfmError(err)) {
    process.stderr.write(`cfm: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
});
