import type { Command } from 'commander';
import { registerSimulate } from './simulate';
import { registerTrain } from './train';
import { registerEval } from './eval';
import { registerRun } from './run';
import { registerEmbed } from './embed';
import { registerReport } from './report';
import { registerPrepare } from './prepare';
import { registerDatasets } from './datasets';
import { registerResults } from './results';

/** Each command lives in its own file and registers itself on the program. Add one line per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerSimulate,
  registerTrain,
  registerEval,
  registerRun,
  registerEmbed,
  registerReport,
  registerPrepare,
  registerDatasets,
  registerResults,
];
