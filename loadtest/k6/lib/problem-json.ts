// Pure parsing (no k6 imports) so the vitest suite can exercise it under Node.

/** An `application/problem+json` body as docs/api.md defines it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  /** The request id. */
  instance?: string;
  /** Validation errors: field → messages. */
  errors?: Record<string, string[]>;
  /** On 429: the names of the policies the request exceeded. */
  'violated-policies'?: string[];
}

/** The problem type docs/api.md assigns to 429 answers. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Reads a problem+json answer.
 * @returns the problem, or `undefined` when the media type is not problem+json or a required member is missing.
 */
export function parseProblem(contentType: string | undefined, body: string | null): Problem | undefined {
  if (body === null || !contentType?.toLowerCase().startsWith('application/problem+json')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  if (typeof p.type !== 'string' || typeof p.title !== 'string') return undefined;
  if (typeof p.status !== 'number' || typeof p.code !== 'string') return undefined;
  const problem: Problem = { type: p.type, title: p.title, status: p.status, code: p.code };
  if (typeof p.detail === 'string') problem.detail = p.detail;
  if (typeof p.instance === 'string') problem.instance = p.instance;
  const violated = p['violated-policies'];
  if (isStringArray(violated)) problem['violated-policies'] = violated;
  const errors = p.errors;
  if (typeof errors === 'object' && errors !== null && !Array.isArray(errors)) {
    const fields: Record<string, string[]> = {};
    for (const [field, messages] of Object.entries(errors)) {
      if (isStringArray(messages)) fields[field] = messages;
    }
    problem.errors = fields;
  }
  return problem;
}
