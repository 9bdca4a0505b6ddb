import type { Command } from 'commander';
import { registerSimulate } from './simulate';

/** Each command lives in its own file and registers itself on the program. Add one line per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerSimulate,
];
