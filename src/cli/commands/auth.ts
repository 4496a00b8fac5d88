// `coffer auth enable|disable|list|tune`: the auth-method mount table (sys/auth).
import { enableCommand, disableCommand, listCommand, tuneCommand } from './mounts.js';
import { dispatch, type Io } from './runtime.js';

const COMMANDS = {
  enable: enableCommand('auth'),
  disable: disableCommand('auth'),
  list: listCommand('auth'),
  tune: tuneCommand('auth'),
};

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('auth', 'Enable, disable, list and tune auth methods.', COMMANDS, argv, io);
