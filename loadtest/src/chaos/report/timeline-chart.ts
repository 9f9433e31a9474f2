import { escapeXml as esc } from '../../bench/report/svg-chart';
import type { ChaosReport } from '../chaos-report.types';

const WIDTH = 1000;
const LEFT = 56;
const RIGHT = 16;
const PLOT_W = WIDTH - LEFT - RIGHT;
const TOP = 40;
const COUNTS_H = 170;
const GAP = 34;
const LATENCY_H = 170;
const HEIGHT = TOP + COUNTS_H + GAP + LATENCY_H + 40;

const CLASSES = [
  { key: 's2xx', label: '2xx', css: 'ok' },
  { key: 's4xx', label: '4xx', css: 'c4' },
  { key: 's5xx', label: '5xx', css: 'c5' },
  { key: 'noAnswer', label: 'no answer', css: 'na' },
] as const;

/**
 * The run on one time axis: requests per 250 ms bucket stacked by outcome (top), their median and worst
 * latency on a log scale with the hung threshold (bottom), and each fault's window shaded across both,
 * numbered as in the tables.
 */
export function renderTimeline(report: ChaosReport): string {
  const buckets = report.timeline;
  const bucketMs = buckets.length > 1 ? (buckets[1]?.t ?? 250) - (buckets[0]?.t ?? 0) : 250;
  const endMs = Math.max(bucketMs, (buckets.at(-1)?.t ?? 0) + bucketMs);
  const x = (ms: number) => LEFT + (Math.max(0, Math.min(ms, endMs)) / endMs) * PLOT_W;
  const maxCount = Math.max(1, ...buckets.map((b) => b.s2xx + b.s4xx + b.s5xx + b.noAnswer));
  const countY = (n: number) => TOP + COUNTS_H - (n / maxCount) * COUNTS_H;
  const latTop = TOP + COUNTS_H + GAP;
  const LOG_MIN = 0; // 1 ms
  const LOG_MAX = 4; // 10 s
  const latY = (ms: number) => {
    const v = Math.log10(Math.max(1, Math.min(ms, 10 ** LOG_MAX)));
    return latTop + LATENCY_H - ((v - LOG_MIN) / (LOG_MAX - LOG_MIN)) * LATENCY_H;
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="chaos run timeline">`,
    `<text x="0" y="16" class="t">Requests per ${bucketMs} ms by outcome (steady traffic, probes excluded)</text>`,
    `<text x="0" y="${latTop - 10}" class="t">Latency per ${bucketMs} ms: median (line) and worst (dots), log scale</text>`,
  ];
  // Fault windows, shaded over both panels, numbered in order.
  report.faults.forEach((f, i) => {
    const x1 = x(f.injectedAt);
    const w = Math.max(2, x(f.endedAt) - x1);
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${TOP - 12}" width="${w.toFixed(1)}" height="${COUNTS_H + GAP + LATENCY_H + 12}" class="fw"><title>${esc(`${i + 1}. ${f.title}: ${f.action}`)}</title></rect>`,
      `<text x="${(x1 + w / 2).toFixed(1)}" y="${TOP - 2}" class="fl" text-anchor="middle">${i + 1}</text>`,
    );
  });
  // Stacked counts.
  const barW = Math.max(1, PLOT_W / buckets.length - 0.3);
  for (const b of buckets) {
    let base = 0;
    for (const c of CLASSES) {
      const n = b[c.key];
      if (n === 0) continue;
      const y1 = countY(base + n);
      parts.push(
        `<rect x="${x(b.t).toFixed(1)}" y="${y1.toFixed(1)}" width="${barW.toFixed(2)}" height="${(countY(base) - y1).toFixed(1)}" class="${c.css}"/>`,
      );
      base += n;
    }
  }
  parts.push(
    `<line x1="${LEFT}" y1="${TOP + COUNTS_H}" x2="${LEFT + PLOT_W}" y2="${TOP + COUNTS_H}" class="axis"/>`,
    `<text x="${LEFT - 6}" y="${countY(maxCount) + 4}" class="l" text-anchor="end">${maxCount}</text>`,
    `<text x="${LEFT - 6}" y="${TOP + COUNTS_H}" class="l" text-anchor="end">0</text>`,
  );
  // Latency: gridlines per decade, the hung threshold, the median as a line and the worst as dots.
  for (let d = LOG_MIN; d <= LOG_MAX; d++) {
    const y = latY(10 ** d);
    const label = d < 3 ? `${10 ** d} ms` : `${10 ** (d - 3)} s`;
    parts.push(
      `<line x1="${LEFT}" y1="${y.toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y.toFixed(1)}" class="grid"/>`,
      `<text x="${LEFT - 6}" y="${(y + 4).toFixed(1)}" class="l" text-anchor="end">${label}</text>`,
    );
  }
  const hungY = latY(report.settings.hungAfterMs);
  parts.push(
    `<line x1="${LEFT}" y1="${hungY.toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${hungY.toFixed(1)}" class="hung"/>`,
    `<text x="${LEFT + PLOT_W}" y="${(hungY - 4).toFixed(1)}" class="l" text-anchor="end">hung: &gt; ${report.settings.hungAfterMs} ms</text>`,
  );
  const median = buckets
    .filter((b) => b.p50Ms !== null)
    .map((b) => `${x(b.t + bucketMs / 2).toFixed(1)},${latY(b.p50Ms as number).toFixed(1)}`);
  if (median.length > 1) parts.push(`<polyline points="${median.join(' ')}" class="p50"/>`);
  for (const b of buckets) {
    if (b.maxMs === null) continue;
    parts.push(
      `<circle cx="${x(b.t + bucketMs / 2).toFixed(1)}" cy="${latY(b.maxMs).toFixed(1)}" r="1.6" class="mx"/>`,
    );
  }
  // Time axis.
  const axisY = latTop + LATENCY_H;
  const stepS = endMs > 120_000 ? 20 : endMs > 40_000 ? 10 : 5;
  for (let s = 0; s * 1000 <= endMs; s += stepS) {
    parts.push(
      `<text x="${x(s * 1000).toFixed(1)}" y="${axisY + 16}" class="l" text-anchor="middle">${s} s</text>`,
    );
  }
  // Legend.
  let lx = LEFT;
  const ly = HEIGHT - 8;
  for (const c of CLASSES) {
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" class="${c.css}"/>`,
      `<text x="${lx + 14}" y="${ly}" class="l">${c.label}</text>`,
    );
    lx += 90;
  }
  parts.push(
    `<rect x="${lx}" y="${ly - 9}" width="10" height="10" class="fw"/>`,
    `<text x="${lx + 14}" y="${ly}" class="l">fault in force</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** The CSS the timeline's classes refer to. */
export const TIMELINE_CSS = `
svg .t{font:600 13px system-ui,sans-serif;fill:#222}
svg .l{font:11px system-ui,sans-serif;fill:#444}
svg .fl{font:600 11px system-ui,sans-serif;fill:#8a5a00}
svg .fw{fill:#f5c542;fill-opacity:.25}
svg .ok{fill:#2e8b57}
svg .c4{fill:#e0a100}
svg .c5{fill:#c8102e}
svg .na{fill:#222}
svg .axis{stroke:#999}
svg .grid{stroke:#e3e3e3}
svg .hung{stroke:#c8102e;stroke-dasharray:5 3}
svg .p50{fill:none;stroke:#1f5fa8;stroke-width:1.3}
svg .mx{fill:#c8102e;fill-opacity:.7}
`;
