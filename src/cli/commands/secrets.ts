// `coffer secrets enable|disable|list|tune`: the secrets-engine mount table (sys/mounts).
import { enableCommand, disableCommand, listCommand, tuneCommand } from './mounts.js';
import { dispatch, type Io } from './runtime.js';

const COMMANDS = {
  enable: enableCommand('secrets'),
  disable: disableCommand('secrets'),
  list: listCommand('secrets'),
  tune: tuneCommand('secrets'),
};

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('secrets', 'Enable, disable, list and tune secrets engines.', COMMANDS, argv, io);
