import { randomUUID } from 'node:crypto';
import { rawRequest } from '@redwire/testing';

/** The password of every account these tests register. */
export const PASSWORD = 'correct horse battery staple';

/** A registration body for `email` (a fresh address by default). */
export function registrationBody(email = `adversarial-${randomUUID()}@example.com`): string {
  return JSON.stringify({ email, password: PASSWORD, name: 'Mallory' });
}

/** A complete `POST /auth/register` as bytes on the wire: to send, or to hide inside another request. */
export function registrationRequest(email?: string): string {
  const body = registrationBody(email);
  return rawRequest(
    [
      'POST /auth/register HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

/** The status of a login as `email` through the gateway at `gatewayUrl`: 200 only if the account exists. */
export async function loginStatus(gatewayUrl: string, email: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  await res.arrayBuffer();
  return res.status;
}
