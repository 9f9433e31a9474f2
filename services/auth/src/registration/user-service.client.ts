import { currentDeadline } from '@redwire/deadline';
import { IDENTITY_HEADER, type IdentitySigner } from '@redwire/http-kit';

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

/** The profile the user service returns (the GET shape with email); passed through to the client as is. */
export type UserProfile = Readonly<Record<string, unknown>> & { readonly id: string };

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
  }): Promise<{ kind: 'created'; user: UserProfile } | { kind: 'email_taken' }> {
    const response = await this.call('POST', '/internal/users', input);
    if (response.status === 409) return { kind: 'email_taken' };
    if (response.status !== 201 && response.status !== 200) {
      throw new UserServiceError(`POST /internal/users answered ${response.status}`, true);
    }
    const user = (await response.json().catch(() => undefined)) as UserProfile | undefined;
    if (!user || user.id !== input.id) {
      throw new UserServiceError('POST /internal/users answered with another user', true);
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
