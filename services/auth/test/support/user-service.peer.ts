import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdentityVerifier } from '@redwire/http-kit';
import { Keyspace } from '@redwire/redis-kit';
import { Redis } from 'ioredis';

/** How the peer misbehaves on POST /internal/users. */
export type CreateFault =
  | 'none'
  /** 500 without creating. */
  | 'error-before'
  /** Creates (and emits user.created), then answers 500. */
  | 'error-after'
  /** Creates, then holds the answer for `delayMs` (the caller times out). */
  | 'slow-after'
  /** Holds the request for `delayMs`, then creates: the create lands after the caller gave up. */
  | 'slow-before'
  /** 400 E_VALIDATION for the name (and the id), as a user service with a stricter rule would. */
  | 'reject';

interface Profile {
  id: string;
  email: string;
  name: string;
  bio: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/**
 * A small, faithful stand-in for the user service's internal API (contract in /tmp/contracts.md): a real
 * HTTP server that checks auth's service identity, is idempotent on `id`, answers 409 for an email held by
 * another id, and emits user.created / user.deleted on the real `user-events` stream. Faults are switches.
 */
export class UserServicePeer {
  readonly profiles = new Map<string, Profile>();
  readonly calls: string[] = [];
  /** Every email a profile was ever created for (deleted ones included). */
  readonly createdEmails: string[] = [];
  createFault: CreateFault = 'none';
  deleteFault: 'none' | 'error' = 'none';
  delayMs = 0;
  private server: http.Server | undefined;
  private port = 0;
  private readonly verifier: IdentityVerifier;
  private readonly redis: Redis;
  private readonly stream: string;

  constructor(options: { signingKey: string; redisUrl: string; namespace: string }) {
    this.verifier = new IdentityVerifier({ key: options.signingKey, audience: 'user' });
    this.redis = new Redis(options.redisUrl);
    this.redis.on('error', () => {}); // outage tests stop this Redis

    this.stream = new Keyspace({ service: 'user', namespace: options.namespace }).stream('user-events');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `stop`). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: calls are refused (ECONNREFUSED) until `start`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async close(): Promise<void> {
    await this.stop();
    this.redis.disconnect();
  }

  byEmail(email: string): Profile | undefined {
    return [...this.profiles.values()].find((p) => p.email === email);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.calls.push(`${req.method} ${req.url}`);
    const token = req.headers['x-redwire-identity'];
    const identity = typeof token === 'string' ? await this.verifier.verify(token).catch(() => null) : null;
    if (identity?.sub !== 'service:auth') return void res.writeHead(401).end();

    if (req.method === 'POST' && req.url === '/internal/users') {
      const body = JSON.parse(await readBody(req)) as { id: string; email: string; name: string };
      if (this.createFault === 'error-before') return void res.writeHead(500).end();
      if (this.createFault === 'reject') {
        return json(res, 400, {
          code: 'E_VALIDATION',
          errors: { name: ['must not contain control characters'], id: ['must be a user id (UUID)'] },
        });
      }
      if (this.createFault === 'slow-before') await sleep(this.delayMs);
      const existing = this.profiles.get(body.id);
      if (existing && existing.email === body.email) return json(res, 200, existing);
      if (this.byEmail(body.email) || existing) return json(res, 409, { code: 'E_EMAIL_TAKEN' });
      const now = new Date().toISOString();
      const profile = { ...body, bio: '', createdAt: now, updatedAt: now, version: 1 };
      this.profiles.set(body.id, profile);
      this.createdEmails.push(body.email);
      await this.emit('user.created', body.id, 1);
      if (this.createFault === 'error-after') return void res.writeHead(500).end();
      if (this.createFault === 'slow-after') await sleep(this.delayMs);
      return json(res, 201, profile);
    }
    const match = /^\/internal\/users\/([0-9a-f-]{36})$/.exec(req.url ?? '');
    if (req.method === 'DELETE' && match?.[1]) {
      if (this.deleteFault === 'error') return void res.writeHead(503).end();
      const profile = this.profiles.get(match[1]);
      if (profile) {
        this.profiles.delete(match[1]);
        await this.emit('user.deleted', match[1], profile.version + 1);
      }
      return void res.writeHead(204).end();
    }
    res.writeHead(404).end();
  }

  private async emit(type: string, userId: string, version: number): Promise<void> {
    await this.redis.xadd(
      this.stream,
      '*',
      ...[
        ['type', type],
        ['userId', userId],
        ['version', String(version)],
        ['eventId', randomUUID()],
        ['occurredAt', new Date().toISOString()],
        ['traceparent', ''],
      ].flat(),
    );
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
