import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillPath, ROUTE_LIST } from '@redwire/contracts';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStack, startLocalStack } from '../../../../infra/compose/test/support/local-stack';

// The reference page as a person meets it: `npm start`'s compiled runner and the processes it spawns, and
// Debian's Chromium (headless, driven by playwright-core) opening http://127.0.0.1:<port>/docs. Serial:
// a browser start and a whole stack are heavy for a 2-core machine shared with other suites.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags that work on a machine without network or GPU (Chromium otherwise retries Google's hosts). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.resolve(__dirname, '../../../../test-artifacts');

let stack: RunningStack;
let profile: string;
let context: BrowserContext;
let page: Page;
const requested: string[] = [];
const consoleProblems: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  }
  stack = await startLocalStack({ LOG_LEVEL: 'warn' });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1600 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => requested.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) {
      consoleProblems.push(message.text());
    }
  });
  page.on('pageerror', (error) => consoleProblems.push(`page error: ${error.message}`));
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  expect(await stack?.stop()).toBe(0);
}, 60_000);

/** `METHOD /path/{param}` of every operation the page lists. */
async function listedOperations(): Promise<string[]> {
  return page.$$eval('.opblock', (blocks) =>
    blocks.map((block) => {
      const method = block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '?';
      const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '?';
      return `${method} ${path}`;
    }),
  );
}

describe('the API reference page in a real browser, on the running stack (npm start)', () => {
  it('when /docs is opened, then every public route is listed, from same-origin assets only, with no CSP violation or script error', async () => {
    const response = await page.goto(`${stack.gatewayUrl}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const expected = [
      ...ROUTE_LIST.filter((r) => r.visibility === 'public').map(
        (r) => `${r.method} ${decodeURIComponent(fillPath(r.path, { id: '{id}' }))}`,
      ),
      'GET /healthz',
    ];
    expect((await listedOperations()).sort()).toEqual(expected.sort());
    expect(requested.filter((url) => !url.startsWith(`${stack.gatewayUrl}/`))).toEqual([]);
    expect(consoleProblems).toEqual([]);
  }, 60_000);

  it('when "Try it out" → "Execute" is used on GET /users, then the live gateway answers 200 and the page shows its answer', async () => {
    const block = page.locator('.opblock.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/users"]'),
    });
    await block.locator('.opblock-summary').click();
    await block.locator('button.try-out__btn').click();
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/users' && r.request().method() === 'GET'),
      block.locator('button.execute').click(),
    ]);
    expect(answer.status()).toBe(200);
    const requestId = (await answer.allHeaders())['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const live = block.locator('.live-responses-table');
    await expect
      .poll(() => live.locator('tr.response .response-col_status').first().textContent())
      .toContain('200');
    // The page shows what the gateway sent: the body and this request's own id.
    const shown = (await live.textContent()) ?? '';
    expect(shown).toContain('"items"');
    expect(shown).toContain(requestId);
    expect(consoleProblems).toEqual([]);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = path.join(ARTIFACTS, 'api-reference.png');
    await block.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`api reference screenshot: ${screenshot}`);
  }, 60_000);
});
