import fs from 'node:fs';
import path from 'node:path';
import {
  buildOpenApiDocument,
  ERROR_STATUS,
  fillPath,
  problemSchemaFor,
  ROUTE_LIST,
  ROUTE_RESPONSES,
} from '@redwire/contracts';
import { errors } from '@redwire/http-kit';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';

const COMMITTED = path.resolve(__dirname, '../../../docs/openapi.json');
const document = buildOpenApiDocument();

describe('the generated OpenAPI document', () => {
  it('when validated against the OpenAPI 3.1 schema, then it is valid', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator is not vacuous: a response without its required description is refused.
    const broken = structuredClone(document) as unknown as {
      paths: { '/healthz': { get: { responses: { 200: { description?: string } } } } };
    };
    delete broken.paths['/healthz'].get.responses[200].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('when every component schema is compiled by an independent JSON Schema 2020-12 validator (strict), then none is refused', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    // The document's top-level members are not JSON Schema; `components` only holds the schemas the refs reach.
    ajv.addKeyword({ keyword: 'components' });
    ajv.addSchema({ $id: 'doc', components: document.components } as object, 'doc');
    for (const name of Object.keys((document.components as { schemas: object }).schemas)) {
      expect(() => ajv.getSchema(`doc#/components/schemas/${name}`), name).not.toThrow();
      expect(ajv.getSchema(`doc#/components/schemas/${name}`), name).toBeTypeOf('function');
    }
  });

  it('when compared with docs/openapi.json, then the committed document is the generated one (run `npm run openapi` after a contract change)', () => {
    expect(JSON.parse(fs.readFileSync(COMMITTED, 'utf8'))).toEqual(document);
  });

  it('when the route catalogue is read, then every public route is an operation (and no internal one is)', () => {
    const operations = Object.entries(document.paths).flatMap(([p, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${p}`),
    );
    const publicRoutes = ROUTE_LIST.filter((r) => r.visibility === 'public').map(
      (r) => `${r.method} ${fillPath(r.path, { id: '{id}' }).replace('%7Bid%7D', '{id}')}`,
    );
    expect(operations.sort()).toEqual([...publicRoutes, 'GET /healthz'].sort());
    expect(Object.keys(ROUTE_RESPONSES).sort()).toEqual(
      ROUTE_LIST.filter((r) => r.visibility === 'public')
        .map((r) => r.id)
        .sort(),
    );
    expect(JSON.stringify(document)).not.toContain('/internal/');
  });

  it('when each route is documented, then every success status of the catalogue has a response, and nothing else succeeds', () => {
    for (const route of ROUTE_LIST.filter((r) => r.visibility === 'public')) {
      const documented = Object.keys(ROUTE_RESPONSES[route.id as keyof typeof ROUTE_RESPONSES].success).map(
        Number,
      );
      expect(documented.sort(), route.id).toEqual([...route.success].sort());
    }
  });
});

describe('error codes', () => {
  it("when http-kit's error factories are built, then each code has the status the contract gives it, and the lists are equal", () => {
    const built = Object.entries(errors).map(([code, factory]) => {
      const error =
        code === 'E_RATE_LIMITED'
          ? errors.E_RATE_LIMITED({ violatedPolicies: ['p'], retryAfterSeconds: 1 })
          : (factory as () => { status: number })();
      return [code, error.status];
    });
    expect(Object.fromEntries(built)).toEqual(ERROR_STATUS);
  });

  it("when a problem is built by http-kit, then the status's problem schema accepts it (and refuses another status's code)", () => {
    const problem = (e: {
      code: string;
      status: number;
      title: string;
      detail: string;
      type: string;
      extensions: object;
    }) => ({
      type: e.type,
      title: e.title,
      status: e.status,
      detail: e.detail,
      code: e.code,
      instance: 'req-1',
      ...e.extensions,
    });
    expect(
      problemSchemaFor(429).safeParse(
        problem(errors.E_RATE_LIMITED({ violatedPolicies: ['ip'], retryAfterSeconds: 2 })),
      ).success,
    ).toBe(true);
    expect(problemSchemaFor(400).safeParse(problem(errors.E_VALIDATION({ name: ['bad'] }))).success).toBe(
      true,
    );
    expect(
      problemSchemaFor(503).safeParse(
        problem(errors.E_UNAVAILABLE('x', { reducedCapacity: true, violatedPolicies: ['ip'] })),
      ).success,
    ).toBe(true);
    expect(problemSchemaFor(404).safeParse(problem(errors.E_VALIDATION())).success).toBe(false);
  });
});
