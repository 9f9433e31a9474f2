import {
  bioSchema,
  cursorSchema,
  decodeCursor,
  emailSchema,
  encodeCursor,
  fillPath,
  nameSchema,
  newPasswordSchema,
  presentedPasswordSchema,
  ROUTE_LIST,
  ROUTES,
  registerBody,
} from '@redwire/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

describe('field rules', () => {
  it('when a name has control characters, lone surrogates or the wrong length, then it is refused; trimmed names and emoji count as code points', () => {
    for (const bad of [
      '',
      '   ',
      'A\tB',
      'A\nB',
      'A\u0000B',
      'A\u007fB',
      'A\ud800',
      'x'.repeat(101),
      '😀'.repeat(101),
    ]) {
      expect(nameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(nameSchema.parse('  Ada  ')).toBe('Ada');
    expect(nameSchema.parse('😀'.repeat(100))).toHaveLength(200);
    expect(nameSchema.safeParse(42).success).toBe(false);
  });

  it('when a bio has line breaks and tabs it passes; other control characters and lone surrogates do not', () => {
    expect(bioSchema.parse('line\nbreak\ttab\r')).toBe('line\nbreak\ttab\r');
    for (const bad of ['\u0000', 'a\u0001', '\udc00', 'b'.repeat(1001)])
      expect(bioSchema.safeParse(bad).success).toBe(false);
  });

  it('when emails are read, then they are trimmed and lower-cased, and at most 254 characters', () => {
    expect(emailSchema.parse('  Ada@Example.COM ')).toBe('ada@example.com');
    const local = 'a'.repeat(64);
    const at254 = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(at254).toHaveLength(254);
    expect(emailSchema.safeParse(at254).success).toBe(true);
    expect(emailSchema.safeParse(`${at254.slice(0, -1)}dd`).success).toBe(false);
    for (const bad of ['not-an-email', 'a@b\u0000.com', '', 'a b@example.com'])
      expect(emailSchema.safeParse(bad).success).toBe(false);
  });

  it('when passwords are checked, then new ones need 15–256 code points and presented ones only the upper bound', () => {
    expect(newPasswordSchema.safeParse('p'.repeat(14)).success).toBe(false);
    expect(newPasswordSchema.safeParse('🔑'.repeat(15)).success).toBe(true);
    expect(newPasswordSchema.safeParse('p'.repeat(257)).success).toBe(false);
    expect(presentedPasswordSchema.safeParse('short').success).toBe(true);
    expect(presentedPasswordSchema.safeParse('p'.repeat(257)).success).toBe(false);
  });

  it('when a cursor round-trips, then it yields the id; anything else is refused', () => {
    const id = '0190f5c4-7a3e-7b8e-9c4d-2f1a3b5c7d9e';
    expect(cursorSchema.parse(encodeCursor(id))).toBe(id);
    for (const bad of [
      '',
      'dTE6',
      '%%%',
      'a'.repeat(65),
      Buffer.from('u1:not-a-uuid').toString('base64url'),
    ]) {
      expect(cursorSchema.safeParse(bad).success, bad).toBe(false);
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });
});

describe('route catalogue', () => {
  it('when it is read, then every route has a unique id and method+path, and every object schema is strict', () => {
    expect(new Set(ROUTE_LIST.map((r) => r.id)).size).toBe(ROUTE_LIST.length);
    expect(new Set(ROUTE_LIST.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTE_LIST.length);
    for (const route of ROUTE_LIST) {
      for (const schema of [route.params, route.query, route.body]) {
        if (!schema) continue;
        expect(schema, route.id).toBeInstanceOf(z.ZodObject);
        expect(schema.safeParse({ unexpected: 1 }).success, route.id).toBe(false);
      }
      for (const param of route.path.match(/:(\w+)/g) ?? []) {
        expect(Object.keys((route.params as z.ZodObject).shape), route.id).toContain(param.slice(1));
      }
    }
  });

  it('when each schema is converted with z.toJSONSchema, then it describes the input (the OpenAPI generator can use it)', () => {
    for (const route of ROUTE_LIST) {
      for (const schema of [route.params, route.query, route.body]) {
        if (!schema) continue;
        const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
          type?: string;
          properties?: Record<string, unknown>;
          additionalProperties?: unknown;
        };
        expect(json.type, route.id).toBe('object');
        expect(json.additionalProperties, route.id).toBe(false);
        expect(Object.keys(json.properties ?? {}).length, route.id).toBeGreaterThan(0);
      }
    }
    expect(z.toJSONSchema(registerBody, { io: 'input' })).toMatchObject({
      required: ['email', 'password', 'name'],
    });
  });

  it('when a path is filled, then each parameter is URI-encoded and a missing one is an error', () => {
    expect(fillPath(ROUTES['users.get'].path, { id: 'a/b' })).toBe('/users/a%2Fb');
    expect(() => fillPath(ROUTES['users.get'].path, {})).toThrow(/:id/);
    expect(() => fillPath('/x/:constructor', {})).toThrow(/:constructor/);
  });

  it('when a registration body names a role or a prototype member, then it is refused as an unknown field', () => {
    const base = { email: 'a@example.com', password: 'p'.repeat(15), name: 'A' };
    for (const extra of ['role', '__proto__', 'constructor', 'toString']) {
      const body = JSON.parse(
        `{"email":"a@example.com","password":"${base.password}","name":"A",${JSON.stringify(extra)}:"admin"}`,
      );
      const result = registerBody.safeParse(body);
      expect(result.success, extra).toBe(false);
      expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: [extra] });
    }
  });
});
