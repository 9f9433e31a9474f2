import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// Checks real responses against an OpenAPI 3.1 document the way the specification reads: the operation by
// path template and method, the response by exact status (then `4XX`, then `default`), the media type by
// Content-Type, every required header present and every declared header's value valid, the body valid
// against the media type's schema. JSON Schema 2020-12 is validated by Ajv (not by zod, which generated the
// schemas), so the check is independent of the code that produced the document.
//
// Why not a ready-made response validator: openapi-backend validates only `application/json` bodies (so
// every problem+json would pass unchecked) and treats every declared header as required; the kogo
// validators (openapi-response-validator) stop at OpenAPI 3.0.

type Json = Record<string, unknown>;

/** One response as the client received it. */
export interface ObservedResponse {
  readonly method: string;
  /** The request path, without the query string. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** The verdict on one response. */
export interface ResponseVerdict {
  /** `operationId` of the matched operation, when one matched. */
  readonly operationId?: string;
  /** The response key that matched (`200`, `4XX`, `default`). */
  readonly responseKey?: string;
  /** Every disagreement with the document; empty when the response conforms. */
  readonly problems: readonly string[];
}

const DOCUMENT_ID = 'openapi.json';
/** Members of an OpenAPI document that are not JSON Schema keywords (Ajv's strict mode refuses unknown ones). */
const DOCUMENT_MEMBERS = [
  'openapi',
  'info',
  'tags',
  'paths',
  'components',
  'servers',
  'security',
  'webhooks',
];

/** Validates responses against one OpenAPI 3.1 document (as served, parsed JSON). */
export class OpenApiResponseCheck {
  readonly #document: Json;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<object, ValidateFunction>();
  readonly #templates: { readonly template: string; readonly pattern: RegExp; readonly literal: boolean }[];

  constructor(document: Json) {
    if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.1.')) {
      throw new Error(`not an OpenAPI 3.1 document: ${String(document.openapi)}`);
    }
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.#ajv);
    for (const keyword of DOCUMENT_MEMBERS) this.#ajv.addKeyword({ keyword });
    this.#ajv.addSchema(document, DOCUMENT_ID);
    this.#templates = Object.keys(document.paths as Json).map((template) => ({
      template,
      literal: !template.includes('{'),
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
      ),
    }));
  }

  /** The path template `path` matches; a literal template wins over a templated one (OpenAPI 3.1 §4.8.8). */
  templateOf(path: string): string | undefined {
    const matches = this.#templates.filter((t) => t.pattern.test(path));
    return (matches.find((t) => t.literal) ?? matches[0])?.template;
  }

  check(response: ObservedResponse): ResponseVerdict {
    const template = this.templateOf(response.path);
    if (!template) return { problems: [`no path of the document matches ${response.path}`] };
    const item = (this.#document.paths as Record<string, Json>)[template] as Json;
    const operation = item[response.method.toLowerCase()] as Json | undefined;
    if (!operation)
      return { problems: [`${response.method} ${template} is not an operation of the document`] };
    const operationId = String(operation.operationId);
    const responses = operation.responses as Record<string, Json>;
    const key = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find(
      (k) => k in responses,
    );
    if (!key) {
      return { operationId, problems: [`${operationId}: status ${response.status} is not documented`] };
    }
    const declared = this.#resolve(responses[key] as Json);
    const where = `${operationId} ${response.status}`;
    const problems = [
      ...this.#checkHeaders(where, declared, response.headers),
      ...this.#checkContent(where, declared, response),
    ];
    return { operationId, responseKey: key, problems };
  }

  #checkHeaders(where: string, declared: Json, headers: Headers): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries((declared.headers ?? {}) as Json)) {
      if (name.toLowerCase() === 'content-type') continue; // described by `content`, ignored here (§4.8.21)
      const header = this.#resolve(value as Json);
      const sent = name.toLowerCase() === 'set-cookie' ? headers.getSetCookie() : headers.get(name);
      const values = sent === null ? [] : Array.isArray(sent) ? sent : [sent];
      if (values.length === 0) {
        if (header.required === true) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      const validate = this.#validator(header.schema as Json);
      for (const v of values) {
        if (!validate(v))
          problems.push(`${where}: header ${name}: ${JSON.stringify(v)} ${this.#errors(validate)}`);
      }
    }
    return problems;
  }

  #checkContent(where: string, declared: Json, response: ObservedResponse): string[] {
    const content = declared.content as Record<string, Json> | undefined;
    if (!content) {
      return response.body === '' ? [] : [`${where}: no content is documented, but a body was sent`];
    }
    const contentType = response.headers.get('content-type');
    if (!contentType) return [`${where}: Content-Type is missing`];
    const essence = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    const media = content[essence];
    if (!media) return [`${where}: Content-Type ${essence} is not one of ${Object.keys(content).join(', ')}`];
    if (!media.schema) return [];
    if (!/[/+]json$/.test(essence)) return [`${where}: only JSON media types are checked here (${essence})`];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [`${where}: the body is not JSON: ${response.body.slice(0, 120)}`];
    }
    const validate = this.#validator(media.schema as Json);
    return validate(body) ? [] : [`${where}: body ${this.#errors(validate)}: ${response.body.slice(0, 300)}`];
  }

  /** A Reference Object's target (components only, as this document uses them). */
  #resolve(value: Json): Json {
    let current = value;
    for (let hops = 0; typeof current.$ref === 'string'; hops++) {
      if (hops > 8) throw new Error(`reference loop at ${current.$ref}`);
      const pointer = current.$ref.replace(/^#\//, '').split('/');
      current = pointer.reduce<Json>(
        (node, token) => node[token.replace(/~1/g, '/').replace(/~0/g, '~')] as Json,
        this.#document,
      );
      if (!current) throw new Error(`unresolvable reference ${value.$ref}`);
    }
    return current;
  }

  /** Ajv's validator of a schema inside the document: its local references resolve in the document. */
  #validator(schema: Json): ValidateFunction {
    const cached = this.#compiled.get(schema);
    if (cached) return cached;
    const rebased = JSON.parse(JSON.stringify(schema), (key, value) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${DOCUMENT_ID}${value}`
        : value,
    ) as Json;
    const validate = this.#ajv.compile(rebased);
    this.#compiled.set(schema, validate);
    return validate;
  }

  #errors(validate: ValidateFunction): string {
    return this.#ajv.errorsText(validate.errors, { separator: '; ' });
  }
}
