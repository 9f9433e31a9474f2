import type { Params, RefinedParams, RefinedResponse } from 'k6/http';
import http from 'k6/http';
import { type Problem, parseProblem } from './problem-json.ts';

/** A response with a text body (the k6 default `responseType`). */
export type ApiResponse = RefinedResponse<'text'>;

/** What `http.expectedStatuses()` returns. */
export type ResponseCallback = NonNullable<Params['responseCallback']>;

/**
 * Tags on every request. `name` folds URLs with ids into one series (k6 otherwise tags by the full URL);
 * `op` is what latency thresholds select on (`read`, `write`, `login`, `burst`, `setup`, ...).
 */
export interface RequestTags {
  name: string;
  op: string;
}

/** Per-request options for {@link ApiClient}. */
export interface RequestOptions {
  tags: RequestTags;
  /** Sent as `Authorization: Bearer <token>`; omitted → anonymous. */
  token?: string | undefined;
  /** Replaces the global expected-status callback for this request (k6 default: 200–399). */
  responseCallback?: ResponseCallback;
}

/** The gateway's HTTP API as k6 sees it: JSON bodies, bearer tokens, tagged requests. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get(path: string, options: RequestOptions): ApiResponse {
    return http.get(this.baseUrl + path, this.params(options, false));
  }

  post(path: string, body: object | undefined, options: RequestOptions): ApiResponse {
    const payload = body === undefined ? null : JSON.stringify(body);
    return http.post(this.baseUrl + path, payload, this.params(options, body !== undefined));
  }

  patch(path: string, body: object, options: RequestOptions): ApiResponse {
    return http.patch(this.baseUrl + path, JSON.stringify(body), this.params(options, true));
  }

  del(path: string, options: RequestOptions): ApiResponse {
    return http.del(this.baseUrl + path, null, this.params(options, false));
  }

  private params(options: RequestOptions, hasBody: boolean): RefinedParams<'text'> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (hasBody) headers['Content-Type'] = 'application/json';
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const params: RefinedParams<'text'> = { headers, tags: { ...options.tags }, responseType: 'text' };
    if (options.responseCallback !== undefined) params.responseCallback = options.responseCallback;
    return params;
  }
}

/**
 * A response header, case-insensitively: k6 hands headers over in Go's canonical form, so `ETag` arrives
 * as `Etag` and `RateLimit-Policy` as `Ratelimit-Policy`.
 */
export function header(res: ApiResponse, name: string): string | undefined {
  const exact = res.headers[name];
  if (exact !== undefined) return exact;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(res.headers)) {
    if (key.toLowerCase() === wanted) return res.headers[key];
  }
  return undefined;
}

/** The parsed JSON body, or `undefined` when there is none or it does not parse. */
export function jsonBody(res: ApiResponse): unknown {
  if (res.body === null || res.body === '') return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    return undefined;
  }
}

/** The problem+json body of an error answer, if it is one. */
export function problemOf(res: ApiResponse): Problem | undefined {
  return parseProblem(header(res, 'Content-Type'), res.body);
}

/** `status code [request id]` for log lines and failure messages; never a token or a body. */
export function describe(res: ApiResponse): string {
  const problem = problemOf(res);
  const requestId = header(res, 'X-Request-Id');
  const status = res.status === 0 ? `transport error ${res.error_code} ${res.error}` : String(res.status);
  return [status, problem?.code, requestId === undefined ? undefined : `[${requestId}]`]
    .filter((part) => part !== undefined)
    .join(' ');
}
