// `coffer secrets enable|disable|list|tune|move`: the secrets-engine mount table (sys/mounts).
import { enableCommand, disableCommand, listCommand, moveCommand, tuneCommand } from './mounts.js';
import { dispatch, type Io } from './runtime.js';

const COMMANDS = {
  enable: enableCommand('secrets'),
  disable: disableCommand('secrets'),
  list: listCommand('secrets'),
  tune: tuneCommand('secrets'),
  move: moveCommand('secrets'),
};

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('secrets', 'Enable, disable, list, tune and move secrets engines.', COMMANDS, argv, io);
