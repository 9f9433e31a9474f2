/** Hand-written horizontal bar charts as inline SVG: no chart library, readable without JavaScript. */

export interface Bar {
  readonly label: string;
  /** Undefined: drawn as "not measured". */
  readonly value: number | undefined;
  /** Whisker from min to max (e.g. the rounds). */
  readonly min?: number;
  readonly max?: number;
  /** redwire's bars are coloured, baselines grey. */
  readonly highlight: boolean;
  /** Ticks on this bar's row (its own targets). */
  readonly targets?: readonly number[];
  /** Text after the value (e.g. "SHORT"). */
  readonly note?: string;
}

export interface BarChart {
  readonly title: string;
  readonly format: (value: number) => string;
  readonly bars: readonly Bar[];
  /** Vertical lines across the chart, e.g. ratio 1.0. */
  readonly references?: readonly { readonly value: number; readonly label: string }[];
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

const WIDTH = 720;
const LABEL_W = 250;
const VALUE_W = 120;
const ROW = 26;
const TOP = 30;
const PLOT_W = WIDTH - LABEL_W - VALUE_W - 10;

/**
 * The end of the scale: past every value, whisker, target and reference; but when one bar dwarfs the rest
 * (an in-process cache against network round trips) the scale ends at 2.5× the runner-up and that bar is
 * drawn broken, so the others stay readable.
 */
function scaleTop(chart: BarChart): number {
  const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
  const values = chart.bars
    .map((b) => b.value)
    .filter(finite)
    .sort((a, b) => b - a);
  const [largest = 0, second = 0] = values;
  const cap = largest > 4 * second && second > 0 ? 2.5 * second : Number.POSITIVE_INFINITY;
  const candidates = [
    ...chart.bars.flatMap((b) => [b.value, b.max, ...(b.targets ?? [])]),
    ...(chart.references ?? []).map((r) => r.value),
  ].filter(finite);
  return Math.min(Math.max(...candidates, 0), cap) * 1.08 || 1;
}

/** Renders one chart. The scale starts at 0 (see scaleTop for its end). */
export function renderBarChart(chart: BarChart): string {
  const top = scaleTop(chart);
  const x = (v: number) => LABEL_W + (Math.min(Math.max(0, v), top) / top) * PLOT_W;
  const height = TOP + chart.bars.length * ROW + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<text x="0" y="18" class="t">${escapeXml(chart.title)}</text>`,
    `<line x1="${LABEL_W}" y1="${TOP - 4}" x2="${LABEL_W}" y2="${height - 20}" class="axis"/>`,
  ];
  chart.bars.forEach((bar, i) => {
    const y = TOP + i * ROW;
    parts.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" class="l" text-anchor="end">${escapeXml(bar.label)}</text>`,
    );
    if (bar.value === undefined || !Number.isFinite(bar.value)) {
      parts.push(`<text x="${LABEL_W + 6}" y="${y + 15}" class="na">not measured</text>`);
      return;
    }
    const w = Math.max(1, x(bar.value) - LABEL_W);
    parts.push(
      `<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 8}" class="${bar.highlight ? 'rw' : 'bl'}"><title>${escapeXml(`${bar.label}: ${chart.format(bar.value)}`)}</title></rect>`,
    );
    if (bar.value > top) {
      const bx = LABEL_W + PLOT_W * 0.9;
      parts.push(
        `<path d="M${bx} ${y + ROW - 3}l6 ${-(ROW - 4)}M${bx + 6} ${y + ROW - 3}l6 ${-(ROW - 4)}" class="brk"/>`,
      );
    } else if (bar.min !== undefined && bar.max !== undefined) {
      const cy = y + ROW / 2 - 1;
      parts.push(
        `<path d="M${x(bar.min).toFixed(1)} ${cy}H${x(bar.max).toFixed(1)}M${x(bar.min).toFixed(1)} ${cy - 5}v10M${x(bar.max).toFixed(1)} ${cy - 5}v10" class="wh"/>`,
      );
    }
    for (const target of bar.targets ?? []) {
      parts.push(
        `<path d="M${x(target).toFixed(1)} ${y}v${ROW - 2}" class="tg"><title>target ${escapeXml(chart.format(target))}</title></path>`,
      );
    }
    const valueText = `${chart.format(bar.value)}${bar.note ? ` ${bar.note}` : ''}`;
    parts.push(`<text x="${WIDTH - VALUE_W}" y="${y + 15}" class="v">${escapeXml(valueText)}</text>`);
  });
  for (const ref of chart.references ?? []) {
    const rx = x(ref.value).toFixed(1);
    parts.push(`<path d="M${rx} ${TOP - 6}V${height - 18}" class="ref"/>`);
    parts.push(
      `<text x="${rx}" y="${height - 4}" class="rl" text-anchor="middle">${escapeXml(ref.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The CSS the charts' classes refer to (put once in the page). */
export const CHART_CSS = `
svg .t{font:600 14px system-ui,sans-serif;fill:#222}
svg .l,svg .v{font:12px system-ui,sans-serif;fill:#333}
svg .na{font:italic 12px system-ui,sans-serif;fill:#a33}
svg .rl{font:11px system-ui,sans-serif;fill:#666}
svg .rw{fill:#c8102e}
svg .bl{fill:#9aa5b1}
svg .wh{stroke:#222;stroke-width:1.2;fill:none}
svg .tg{stroke:#0a7d32;stroke-width:3}
svg .ref{stroke:#555;stroke-dasharray:4 3}
svg .axis{stroke:#999}
svg .brk{stroke:#fff;stroke-width:3}
`;
