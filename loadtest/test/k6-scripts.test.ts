import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseProblem, QUOTA_EXCEEDED_TYPE } from '../k6/lib/problem-json';
import { judgeQuota } from '../k6/lib/quota-verdict';
import {
  parseRateLimitPolicies,
  parseRateLimitStates,
  parseRetryAfter,
  parseSfList,
} from '../k6/lib/rate-limit-headers';
import { buildSummary, type SummaryData } from '../k6/lib/summary-report';

// No k6 binary on the build machines: the scripts are type-checked, statically inspected, and their pure
// helpers (header parsing, the quota verdict, the summary) run here under Node.

const repoRoot = path.resolve(__dirname, '../..');
const k6Dir = path.join(repoRoot, 'loadtest/k6');
const entryFiles = readdirSync(k6Dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

describe('k6 scripts', () => {
  it('when type-checked with @types/k6, then tsc reports nothing', async () => {
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const run = promisify(execFile);
    const result = await run(process.execPath, [tsc, '-p', 'loadtest/tsconfig.k6.json', '--noEmit'], {
      cwd: repoRoot,
    }).then(
      () => ({ code: 0, output: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, output: err.stdout ?? '' }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 180_000);

  it('when listing the entry files, then there is one per scenario plus mixed', () => {
    expect(entryFiles.sort()).toEqual([
      'browse.ts',
      'cache-reads.ts',
      'mixed.ts',
      'rate-limit-burst.ts',
      'write-then-read.ts',
    ]);
  });

  it.each(entryFiles)(
    'when reading %s, then it is an open model with thresholds and handleSummary',
    (file) => {
      const source = readFileSync(path.join(k6Dir, file), 'utf8');
      const executors = [...source.matchAll(/executor:\s*'([a-z-]+)'/g)].map((m) => m[1]);
      expect(executors.length).toBeGreaterThan(0);
      expect(new Set(executors)).toEqual(new Set(['constant-arrival-rate']));
      expect(source).toMatch(/thresholds:\s*\{[^}]*dropped_iterations:\s*\['count==0'\]/);
      expect(source).toMatch(/export function handleSummary\(/);
      expect(source).toMatch(/export function setup\(/);
      // k6 would ignore `scenarios` if the options also set `vus`/`duration`/`iterations`/`stages`.
      const start = source.indexOf('export const options');
      const optionsBlock = source.slice(start, source.indexOf('\n};', start));
      expect(optionsBlock).toMatch(/scenarios:/);
      expect(optionsBlock).not.toMatch(/^ {2}(vus|duration|iterations|stages):/m);
    },
  );

  it('when a scenario expects 429, then it marks 429 as an expected status', () => {
    const source = readFileSync(path.join(k6Dir, 'rate-limit-burst.ts'), 'utf8');
    expect(source).toMatch(/http\.setResponseCallback\(BURST_EXPECTED\)/);
    const scenario = readFileSync(path.join(k6Dir, 'scenarios/rate-limit-burst.scenario.ts'), 'utf8');
    expect(scenario).toMatch(/http\.expectedStatuses\(\{ min: 200, max: 299 \}, 429\)/);
  });
});

describe('rate-limit header parsing', () => {
  it('when RateLimit-Policy lists two policies, then both come back with quota and window', () => {
    expect(parseRateLimitPolicies('"user-free";q=20;w=1, "ip";q=5000;w=60')).toEqual([
      { name: 'user-free', quota: 20, windowSeconds: 1 },
      { name: 'ip', quota: 5000, windowSeconds: 60 },
    ]);
  });

  it('when a policy omits w, then its window is undefined', () => {
    expect(parseRateLimitPolicies('"a";q=10')).toEqual([{ name: 'a', quota: 10, windowSeconds: undefined }]);
  });

  it('when RateLimit carries r and t, then remaining and reset are read', () => {
    expect(parseRateLimitStates('"user-free";r=0;t=1')).toEqual([
      { name: 'user-free', remaining: 0, resetSeconds: 1 },
    ]);
  });

  it('when a field is malformed, then the parse fails instead of guessing', () => {
    for (const bad of ['"a";q=1,', '"unterminated;q=1', '"a";Q=1', '"a" "b"', '(inner);q=1']) {
      expect(parseSfList(bad), bad).toBeUndefined();
    }
    expect(parseRateLimitPolicies(undefined)).toBeUndefined();
  });

  it('when strings, tokens, booleans and escapes mix, then each keeps its type', () => {
    expect(parseSfList('"a\\"b";x=?1;y=tok, z;n=-1.5')).toEqual([
      { value: 'a"b', params: { x: true, y: 'tok' } },
      { value: 'z', params: { n: -1.5 } },
    ]);
    expect(parseSfList('')).toEqual([]);
  });

  it('when Retry-After is delay-seconds, then it parses; an HTTP date does not', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('problem+json parsing', () => {
  it('when a 429 problem arrives, then code, type and violated-policies are read', () => {
    const body = JSON.stringify({
      type: QUOTA_EXCEEDED_TYPE,
      title: 'Too Many Requests',
      status: 429,
      code: 'E_RATE_LIMITED',
      instance: 'req-1',
      'violated-policies': ['user-free'],
    });
    expect(parseProblem('application/problem+json; charset=utf-8', body)).toMatchObject({
      code: 'E_RATE_LIMITED',
      'violated-policies': ['user-free'],
    });
  });

  it('when the media type is plain JSON or a member is missing, then it is not a problem', () => {
    expect(
      parseProblem('application/json', '{"type":"x","title":"t","status":400,"code":"E"}'),
    ).toBeUndefined();
    expect(parseProblem('application/problem+json', '{"title":"t","status":400}')).toBeUndefined();
    expect(parseProblem('application/problem+json', 'not json')).toBeUndefined();
  });
});

describe('quota verdict', () => {
  const policies = [
    { name: 'user-free', quota: 20, windowSeconds: 1 },
    { name: 'ip', quota: 5000, windowSeconds: 60 },
  ];
  const base = { policies, remainingAtStart: { 'user-free': 19, ip: 4999 }, burstSeconds: 30 };

  it('when admitted lies between the guarantee and the allowance, then it passes on the strictest policy', () => {
    const v = judgeQuota({ ...base, admitted: 620, limited: 880 });
    expect(v.verdict).toBe('pass');
    expect(v.policy?.name).toBe('user-free');
    expect(v.allowedAtMost).toBe(20 + 20 * 31);
    expect(v.expectedAtLeast).toBe(19 + 20 * 30 - 1);
  });

  it('when more were admitted than the policy allows, then it is over-admitted', () => {
    expect(judgeQuota({ ...base, admitted: 700, limited: 800 }).verdict).toBe('over-admitted');
  });

  it('when fewer were admitted than the policy guarantees, then it is under-admitted', () => {
    expect(judgeQuota({ ...base, admitted: 300, limited: 1200 }).verdict).toBe('under-admitted');
  });

  it('when nothing was limited, then the burst proved nothing', () => {
    expect(judgeQuota({ ...base, admitted: 500, limited: 0 }).verdict).toBe('not-exceeded');
  });

  it('when a GCRA burst exceeds q, then the probe remaining raises the allowance', () => {
    const v = judgeQuota({
      ...base,
      remainingAtStart: { 'user-free': 99, ip: 4999 },
      admitted: 720,
      limited: 1,
    });
    expect(v.allowedAtMost).toBe(100 + 20 * 31);
    expect(v.verdict).toBe('pass');
  });

  it('when no policy has a window, then there is nothing to judge', () => {
    const v = judgeQuota({
      ...base,
      policies: [{ name: 'a', quota: 1, windowSeconds: undefined }],
      admitted: 1,
      limited: 1,
    });
    expect(v.verdict).toBe('no-policy');
  });
});

describe('summary report', () => {
  const data: SummaryData = {
    state: { testRunDurationMs: 31_000 },
    setup_data: { password: 'secret-password-value', users: [{ token: 'secret-token-value' }] },
    metrics: {
      'http_req_duration{scenario:cache_reads}': {
        type: 'trend',
        contains: 'time',
        values: { avg: 5, 'p(95)': 12.4, 'p(99)': 30, max: 80, count: 3000 },
        thresholds: { 'p(95)<50': { ok: true }, 'p(99)<20': { ok: false } },
      },
      cache_hit: { type: 'rate', contains: 'default', values: { rate: 0.987, passes: 2961, fails: 39 } },
    },
  };

  it('when summarising, then the JSON goes to RESULTS_DIR without setup data and stdout names failures', () => {
    const out = buildSummary({
      scenario: 'cache-reads',
      data,
      resultsDir: '/results',
      config: { rate: 100 },
      highlights: ['cache_hit'],
    });
    const json = out['/results/cache-reads.json'] ?? '';
    expect(json).not.toContain('secret');
    const report = JSON.parse(json) as { ok: boolean; thresholds: { threshold: string; observed: string }[] };
    expect(report.ok).toBe(false);
    expect(report.thresholds.map((t) => t.observed)).toEqual(['p(95)=12.40ms', 'p(99)=30.00ms']);
    expect(out.stdout).toContain('FAIL  http_req_duration{scenario:cache_reads}  p(99)<20');
    expect(out.stdout).toContain('cache_hit  98.70% (2961 of 3000)');
  });
});
