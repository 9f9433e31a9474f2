import type { ScalingReport } from './scaling.types';

const num = (value: number | undefined, digits = 1) =>
  value === undefined
    ? '–'
    : value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });

/** Operations per second one fully busy core sustains at `usec` per operation. */
const perCore = (usec: number) => (usec > 0 ? num(Math.round(1e6 / usec / 100) * 100, 0) : '–');

/** The commands of an operation, most expensive first: `evalsha 0.06×/6.1 µs`. */
function commandList(byCommand: Readonly<Record<string, { calls: number; usec: number }>>): string {
  return Object.entries(byCommand)
    .filter(([, c]) => c.usec >= 0.05 || c.calls >= 0.01)
    .slice(0, 5)
    .map(([name, c]) => `${name} ${num(c.calls, 3)}× / ${num(c.usec, 2)} µs`)
    .join('; ');
}

/** loadtest/results/scaling.md. */
export function renderScalingMarkdown(report: ScalingReport): string {
  const m = report.machine;
  const s = report.settings;
  const lines: string[] = [
    '# Scaling measurements',
    '',
    `Run ${report.startedAt}${report.gitCommit ? ` at commit \`${report.gitCommit.slice(0, 7)}\`` : ''}, ${report.wallS} s wall: ${m.cpus} × ${m.cpuModel}, Node ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}; load average ${m.loadAverage.start} at the start, ${m.loadAverage.end} at the end.`,
    'Written by `npm run scaling` (`loadtest/src/scaling/`); what the numbers mean and what they imply for a deployment: [docs/scaling.md](../../docs/scaling.md).',
    '',
    '## Redis time per operation',
    '',
    `Real library calls in this process, ${s.callers} concurrent callers in a closed loop for ${s.libraryDurationS} s (writes: 8), against one redis-server. **Redis CPU** is the server's \`used_cpu_user + used_cpu_sys\` (\`INFO cpu\`) over the run ÷ operations, after subtracting what it used in a ${s.quietS} s quiet window just before (scaled to the run's length); it includes reading and writing sockets. **In scripts** and **in other commands** are \`usec\` of \`INFO commandstats\` ÷ operations: time executing EVALSHA (the commands a script calls included) and time executing every other command; Redis also counts each command a script calls under its own name, so script-internal GETs and SETs appear in both columns, which are not to be added up. **Per Redis core** = 1,000,000 ÷ Redis CPU µs: operations/s of one shard at 100 % of its one command thread.`,
    '',
    '| operation | Redis CPU µs/op | in scripts µs/op | in other commands µs/op | commands/op | per Redis core, ops/s | PostgreSQL CPU µs/op | this process µs/op | measured ops/s | errors | commands (calls × / µs per op) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const o of report.operations) {
    lines.push(
      `| ${o.label} | ${num(o.redis.cpuUsec)} | ${num(o.redis.scriptUsec)} | ${num(o.redis.otherUsec)} | ${num(o.redis.calls, 3)} | ${perCore(o.redis.cpuUsec)} | ${num(o.postgresCpuUsec)} | ${num(o.callerCpuUsec)} | ${num(o.opsPerSec, 0)} | ${o.errors}${o.firstError ? ` (${o.firstError})` : ''} | ${commandList(o.redis.byCommand)} |`,
    );
  }
  lines.push(
    '',
    '## Node CPU per request of the service processes',
    '',
    `autocannon at a fixed ${num(s.httpRate, 0)} requests/s (16 keep-alive connections) for ${s.httpDurationS} s per process; the process's utime + stime from \`/proc/<pid>/stat\` ÷ requests answered. **Per core** = 1,000,000 ÷ µs: requests/s of one process at 100 % of a core (Node runs JavaScript on one thread). **Redis CPU** is everything the one Redis did during the run ÷ requests.`,
    '',
    '| process | offered / answered req/s | Node CPU µs/req | share of a core | per core, req/s | Redis CPU µs/req | Redis commands/req | p50 / p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of report.requests) {
    lines.push(
      `| ${r.label} | ${num(r.offeredRps, 0)} / ${num(r.achievedRps, 0)} | ${num(r.cpuUsecPerRequest, 0)} | ${num(r.coreShare * 100, 0)} % | ${perCore(r.cpuUsecPerRequest)} | ${num(r.redis.cpuUsec)} | ${num(r.redis.calls, 2)} | ${num(r.p50Ms)} / ${num(r.p99Ms)} | ${r.errors}${r.firstError ? ` (${r.firstError})` : ''} |`,
    );
  }
  lines.push('', '## What each row is', '');
  for (const row of [...report.operations, ...report.requests])
    lines.push(`- **${row.label}**: ${row.description}.`);
  lines.push(
    '',
    '## Reading these numbers',
    '',
    '- The machine is shared (2 cores, other work running): absolute numbers move by 20–50 % between runs. Re-measure on the hardware you deploy to with `npm run scaling` (about 2 minutes; nothing else running).',
    '- Per-core figures assume the whole core: plan at a lower target utilisation (docs/scaling.md uses 50 %).',
    '- The load generator, the caller process, Redis and PostgreSQL share the same cores, so a busy Redis is measured with less CPU of its own than a dedicated one would have: these are costs per operation, not ceilings of this machine.',
    '',
  );
  return lines.join('\n');
}
