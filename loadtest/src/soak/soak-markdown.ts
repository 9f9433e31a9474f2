import type { SoakReport, TrendRow } from './soak-report.types';

const cell = (text: string | number) => String(text).replaceAll('|', '\\|');
const row = (cells: readonly (string | number)[]) => `| ${cells.map(cell).join(' | ')} |`;
const fmt = (n: number) =>
  Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 10) / 10);

/** Process rows judge (growing is flagged); Redis rows describe (their growth is in the key families). */
function trendRows(rows: readonly TrendRow[], judge: boolean): string[] {
  return rows.map((r) =>
    row([
      r.name,
      `${fmt(r.first)} ${r.unit}`,
      `${fmt(r.floorEarly)} → ${fmt(r.floorLate)} ${r.unit}`,
      `${fmt(r.max)} ${r.unit}`,
      `${fmt(r.last)} ${r.unit}`,
      `${fmt(r.slopePerHour)} ${r.unit}/h`,
      r.growing ? (judge ? '**growing**' : 'rising (see the key families)') : 'flat',
    ]),
  );
}

/** `soak.md`. */
export function renderSoakMarkdown(r: SoakReport): string {
  const s = r.summary;
  const set = r.settings;
  const m = r.machine;
  const samples = r.samples;
  const step = Math.max(1, Math.ceil(samples.length / 13));
  const shown = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  const processes = Object.keys(samples[0]?.rssMiB ?? {});
  return [
    '# Soak run',
    '',
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC → ${r.finishedAt.slice(11, 16)} UTC · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB · Node ${m.node}, Redis ${m.redis} · ` +
      `${set.minutes} min of load: ${set.users} signed-in users (one request each every ${set.userIntervalMs} ms: 70 % profile reads, 20 % writes, 10 % /auth/me) ` +
      `+ ${set.anonymous} anonymous readers + a login every ${set.sessionChurnMs / 1000} s by 10 other accounts (every other new session logged out at once, the rest kept up to the cap of 10 per user); state Redis persisted (AOF); sampled every ${set.sampleSeconds} s · ` +
      `load average ${s.loadAverage.min.toFixed(2)}–${s.loadAverage.max.toFixed(2)} (mean ${s.loadAverage.mean}) · ${s.requests.toLocaleString('en-US')} requests, ${s.failed} failed` +
      `${
        s.failed
          ? ` (${Object.entries(s.failures)
              .map(([kind, n]) => `${n} × ${kind}`)
              .join(', ')})`
          : ''
      }` +
      `${r.gitCommit ? ` · commit ${r.gitCommit.slice(0, 10)}` : ''}`,
    '',
    s.flags.length === 0
      ? '**Nothing grew without bound**: no process’s memory floor rose after warm-up, and every key without a TTL belongs to a family with a declared bound or stayed flat.'
      : `**Flagged**:\n\n${s.flags.map((f) => `- ${f}`).join('\n')}`,
    '',
    '## Processes and Redis',
    '',
    'Floor = the lowest sample in the run’s second quarter (after warm-up) → in its last quarter. A garbage-collected heap saws up and down and its peaks say little; what a collection cannot free lifts the floor. Growing = the floor rose by more than 5 % of the peak (at least 5 MiB for a process, 2 MiB / 20 keys for Redis). The least-squares slope over the second half, peaks included, is shown for reference.',
    '',
    row(['series', 'first', 'floor', 'max', 'last', 'slope, second half', 'verdict']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---']),
    ...trendRows(s.processes, true),
    ...trendRows(s.redis, false),
    '',
    '## Keys by family',
    '',
    'A family is a key with its ids replaced (`<id>` a UUID, `<token>` a random session tag, `<n>` a number). "Without TTL" counts the keys that had none at the last sample; bounded families name their cap.',
    '',
    row([
      'Redis',
      'family',
      'keys first → last (max)',
      'without TTL (last)',
      'elements held without TTL, first → last',
      'verdict',
    ]),
    row(['---', '---', '---:', '---:', '---:', '---']),
    ...s.families.map((f) =>
      row([
        f.role,
        `\`${f.family}\``,
        `${fmt(f.keysFirst)} → ${fmt(f.keysLast)} (${fmt(f.keysMax)})`,
        fmt(f.noTtlLast),
        f.verdict === 'ttl' ? '–' : `${fmt(f.noTtlElementsFirst)} → ${fmt(f.noTtlElementsLast)}`,
        f.verdict === 'no ttl, bounded'
          ? `bounded: ${f.bound}`
          : f.verdict === 'no ttl, GROWING'
            ? '**GROWING**'
            : f.verdict,
      ]),
    ),
    '',
    '## Over time',
    '',
    row([
      't',
      'load avg',
      'requests',
      'failed',
      'p99',
      ...processes.map((p) => `${p} RSS`),
      'state Redis',
      'cache Redis',
      'AOF',
    ]),
    row(['---:', '---:', '---:', '---:', '---:', ...processes.map(() => '---:'), '---:', '---:', '---:']),
    ...shown.map((x) =>
      row([
        `${Math.floor(x.t / 60)}:${String(x.t % 60).padStart(2, '0')}`,
        x.loadAverage.toFixed(2),
        fmt(x.requests.total),
        fmt(x.requests.failed),
        x.requests.p99Ms === null ? '–' : `${fmt(x.requests.p99Ms)} ms`,
        ...processes.map((p) => `${fmt(x.rssMiB[p] ?? 0)} MiB`),
        `${fmt(x.redis.state.usedMemoryMiB)} MiB / ${fmt(x.redis.state.keys)} keys`,
        `${fmt(x.redis.cache.usedMemoryMiB)} MiB / ${fmt(x.redis.cache.keys)} keys`,
        `${fmt(x.redis.state.aofMiB)} MiB`,
      ]),
    ),
    '',
  ].join('\n');
}
