// `coffer auth enable|disable|list|tune|move`: the auth-method mount table (sys/auth).
import { enableCommand, disableCommand, listCommand, moveCommand, tuneCommand } from './mounts.js';
import { dispatch, type Io } from './runtime.js';

const COMMANDS = {
  enable: enableCommand('auth'),
  disable: disableCommand('auth'),
  list: listCommand('auth'),
  tune: tuneCommand('auth'),
  move: moveCommand('auth'),
};

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('auth', 'Enable, disable, list, tune and move auth methods.', COMMANDS, argv, io);
