import { userProfileSchema } from '@redwire/contracts';
import { currentDeadline } from '@redwire/deadline';
import { IDENTITY_HEADER, type IdentitySigner } from '@redwire/http-kit';
import type { z } from 'zod';

/** The user service did not answer as the contract says (down, timed out, 5xx, unexpected reply). */
export class UserServiceError extends Error {
  override readonly name = 'UserServiceError';
  constructor(
    message: string,
    /** False only when the request certainly had no effect (refused connection): nothing to undo. */
    readonly maybeApplied: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The `errors` member of a 400 problem from the user service, reduced to the fields a registrant sent
 * (`email`, `name`): what the registrant can fix. Read into a map without a prototype, whatever it holds.
 */
function fieldErrorsOf(problem: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  const errors = (problem as { errors?: unknown } | undefined)?.errors;
  if (typeof errors !== 'object' || errors === null) return out;
  for (const field of ['email', 'name']) {
    const messages: unknown = Object.hasOwn(errors, field)
      ? (errors as Record<string, unknown>)[field]
      : undefined;
    if (Array.isArray(messages)) out[field] = messages.filter((m): m is string => typeof m === 'string');
  }
  return out;
}

/**
 * The profile the user service returns (the GET shape with email), read with the contract's response
 * schema: what reaches the registrant is the documented fields, checked, and nothing else.
 */
export type UserProfile = Readonly<z.output<typeof userProfileSchema>>;

/** Options of {@link UserServiceClient}. */
export interface UserServiceClientOptions {
  /** `USER_SERVICE_URL`. */
  baseUrl: string;
  /** Signs auth's own service identity for the user service. */
  signer: IdentitySigner;
  /** Deadline of each call; a call made within a request's deadline also ends when that passes. @default 2000 */
  timeoutMs?: number;
}

/** The user service's internal API (contract: /tmp/contracts.md), called with a service identity. */
export class UserServiceClient {
  private readonly baseUrl: string;
  private readonly signer: IdentitySigner;
  private readonly timeoutMs: number;

  constructor(options: UserServiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.signer = options.signer;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** `POST /internal/users`, idempotent on `id`. `email_taken`: another id holds the email (409). */
  async createProfile(input: {
    id: string;
    email: string;
    name: string;
  }): Promise<
    | { kind: 'created'; user: UserProfile }
    | { kind: 'email_taken' }
    | { kind: 'rejected'; fieldErrors: Record<string, string[]> }
  > {
    const response = await this.call('POST', '/internal/users', input);
    if (response.status === 409) return { kind: 'email_taken' };
    if (response.status === 400) {
      return { kind: 'rejected', fieldErrors: fieldErrorsOf(await response.json().catch(() => undefined)) };
    }
    if (response.status !== 201 && response.status !== 200) {
      throw new UserServiceError(`POST /internal/users answered ${response.status}`, true);
    }
    const parsed = userProfileSchema.safeParse(await response.json().catch(() => undefined));
    const user = parsed.success ? parsed.data : undefined;
    if (!user || user.id !== input.id) {
      throw new UserServiceError('POST /internal/users answered with no profile, or another user’s', true);
    }
    return { kind: 'created', user };
  }

  /** `DELETE /internal/users/:id`: 204 whether or not it existed. */
  async deleteProfile(id: string): Promise<void> {
    const response = await this.call('DELETE', `/internal/users/${encodeURIComponent(id)}`);
    await response.body?.cancel();
    if (response.status !== 204) {
      throw new UserServiceError(`DELETE /internal/users/:id answered ${response.status}`, true);
    }
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      [IDENTITY_HEADER]: await this.signer.signService('auth', 'user'),
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const deadline = currentDeadline();
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: deadline ? AbortSignal.any([timeout, deadline.signal]) : timeout,
      });
    } catch (error) {
      // A refused connection never reached the service; a timeout or reset may have.
      const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
      throw new UserServiceError(`${method} ${path} failed`, !refused, { cause: error });
    }
  }
}
