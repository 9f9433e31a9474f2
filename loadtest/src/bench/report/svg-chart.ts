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
  /** A tick on this bar's row (its own target). */
  readonly target?: number;
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

/** Renders one chart. The scale starts at 0 and ends past the largest value, whisker or reference. */
export function renderBarChart(chart: BarChart): string {
  const candidates = [
    ...chart.bars.flatMap((b) => [b.value, b.max, b.target]),
    ...(chart.references ?? []).map((r) => r.value),
  ].filter((v): v is number => v !== undefined && Number.isFinite(v));
  const top = Math.max(...candidates, 0) * 1.08 || 1;
  const x = (v: number) => LABEL_W + (Math.max(0, v) / top) * PLOT_W;
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
    if (bar.min !== undefined && bar.max !== undefined) {
      const cy = y + ROW / 2 - 1;
      parts.push(
        `<path d="M${x(bar.min).toFixed(1)} ${cy}H${x(bar.max).toFixed(1)}M${x(bar.min).toFixed(1)} ${cy - 5}v10M${x(bar.max).toFixed(1)} ${cy - 5}v10" class="wh"/>`,
      );
    }
    if (bar.target !== undefined) {
      parts.push(
        `<path d="M${x(bar.target).toFixed(1)} ${y}v${ROW - 2}" class="tg"><title>target ${escapeXml(chart.format(bar.target))}</title></path>`,
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
`;
