/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

// Field names that hold credentials wherever they appear: request bodies, headers objects, options.
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'signingKey',
  'authorization',
  'cookie',
  '["set-cookie"]',
  '["x-redwire-identity"]',
];

/**
 * pino `redact` paths: every secret field at the top level and up to three levels down, which covers
 * `{ password }`, `{ body: { password } }`, `{ req: { headers: { authorization } } }` and
 * `{ res: { headers: { "set-cookie" } } }`. ioredis errors carry the failed command's arguments
 * (`err.command.args`), which can be session payloads.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS.flatMap((field) => {
    const member = field.startsWith('[') ? field : `.${field}`;
    return [field, `*${member}`, `*.*${member}`, `*.*.*${member}`];
  }),
  'err.command.args',
];
