import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.ts';

/** node's parseArgs, with its complaints (unknown option, missing value) as usage errors: one line, exit 2. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, help = '--help'): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw usageError(`${(err as Error).message.split('\n')[0]} (see ${help})`);
  }
}
