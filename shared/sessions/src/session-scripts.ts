import path from 'node:path';
import { defineScript } from '@redwire/redis-kit';

const lua = (file: string) => defineScript({ file: path.join(__dirname, 'lua', file) });

/** The session store's scripts; each file's header documents its KEYS, ARGV and reply. */
export const sessionScripts = {
  validate: lua('validate-N.lua'),
  create: lua('create-3.lua'),
  revoke: lua('revoke-2.lua'),
  revokeAll: lua('revoke-all-1.lua'),
  list: lua('list-2.lua'),
  syncAccount: lua('sync-account-1.lua'),
};
