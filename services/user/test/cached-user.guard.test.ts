import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { isCachedUser } from '../src/cache/cached-user.guard';
import type { User } from '../src/users/user.model';

function user(version: number): User {
  const at = new Date().toISOString();
  const id = uuidv7();
  return { id, email: `${id}@example.com`, name: 'N', bio: '', createdAt: at, updatedAt: at, version };
}

// The envelope's own branches are @redwire/cache's (cache-envelope.test.ts); these are the User's.
describe('isCachedUser', () => {
  it('when a cached value is a User of the entry version, then it passes', () => {
    expect(isCachedUser(user(2), 2)).toBe(true);
  });

  it('when a cached value is anything else, then it fails, so the entry is a miss and is replaced', () => {
    const bad: [unknown, number][] = [
      [user(2), 3], // the user's version is not the entry's
      [{ ...user(2), extra: 1 }, 2],
      [{ ...user(2), bio: undefined, role: 'x' }, 2], // one field swapped for another
      [{ ...user(2), createdAt: 'yesterday' }, 2],
      [{ ...user(2), updatedAt: '2026-01-02T03:04:05+01:00' }, 2], // not UTC
      [{ ...user(2), id: 'not-a-uuid' }, 2],
      [{ ...user(2), name: 7 }, 2],
      [{ ...user(2), email: null }, 2],
      [[1, 2, 3, 4, 5, 6, 7], 2],
      [null, 2],
      ['a user', 2],
    ];
    for (const [value, version] of bad)
      expect(isCachedUser(value, version), JSON.stringify(value)).toBe(false);
  });
});
